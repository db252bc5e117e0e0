"""The anchor index's (hash, document) rows, held in memory or spilled to disk.

The anchor index groups rows by hash into posting lists
(:func:`reprints.candidates.pair_partitions`); its working arrays take about
:data:`BYTES_PER_ROW` bytes a row (:data:`BUDGET_PER_ROW` of a budget, which counts
the rows of another spill waiting beside them). A :class:`PostingSpill` keeps the rows
it is given in memory while one partition of them fits a memory budget, and is then
that one partition: the in-memory case is not a second code path. Once they exceed it, they
go to radix bucket files (the top bits of the mixed hash pick the bucket) as they
arrive, and are read back as partitions of whole buckets, each within the budget. A
posting list lies in one bucket whatever the batch its rows came in, so no partition
splits one, and what each partition pairs merges exactly. A bucket over the budget is
split again by the next bits of the hash; one whose rows all share a few hashes (a
single huge posting list, which cannot be split) is read whole, over the budget.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

# Bytes per row of pairing one partition, the rows themselves included: the peak of
# candidates.pair_partitions, measured at 45 (12.6 million sentence keys of a
# find_bench collection, 72% of them shared; 52 with exact copies' weights; 36 for
# anchors, mostly lone), with a margin. A buffered row takes 12 bytes (hash, 32-bit
# document number).
BYTES_PER_ROW = 64
_BUFFERED_ROW = 12
# The budget a row of one partition takes: paired, beside a row of the other spill.
BUDGET_PER_ROW = BYTES_PER_ROW + _BUFFERED_ROW

_BITS = 6  # 64 buckets per level: each level divides a bucket's rows by ~64
_FAN = 1 << _BITS
_LEVELS = 64 // _BITS
# Rows buffered between two writes to the bucket files, once spilling.
_FLUSH_ROWS = 1 << 21
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: a bijection, mixing low bits upwards
_DOC_LIMIT = int(np.iinfo(np.int32).max)


def _buckets(hashes: U64, level: int) -> npt.NDArray[np.intp]:
    """Each hash's bucket at ``level``: the level's bits of the mixed hash (any function
    of the hash alone keeps a posting list in one bucket; mixing spreads hashes whose
    top bits are alike)."""
    mixed = hashes * _MIX
    shift = np.uint64(64 - _BITS * (level + 1))
    return ((mixed >> shift) & np.uint64(_FAN - 1)).astype(np.intp)


class PostingSpill:
    """(hash, document) rows, added batch by batch; read back as :meth:`partitions`.

    ``budget``: bytes that pairing one partition may take while another spill of as
    many rows waits beside it in memory (find keeps two: anchors and sentence keys);
    ``folder``: where bucket files go once the rows outgrow one partition (made only
    then)."""

    def __init__(self, folder: Path, budget: int) -> None:
        self.folder = folder
        self.capacity = max(budget // BUDGET_PER_ROW, 1)  # rows of one partition
        self._hashes: list[U64] = []
        self._docs: list[I32] = []
        self._buffered = 0
        self._spilled = False
        self._read = False
        self.rows = 0

    def add(self, hashes: U64, docs: I64) -> None:
        """Rows ``(hashes[k], docs[k])``."""
        if not hashes.shape[0]:
            return
        if int(docs.max()) > _DOC_LIMIT:
            raise ValueError(f"more than {_DOC_LIMIT:,} documents: document numbers overflow")
        self._hashes.append(np.ascontiguousarray(hashes, dtype=np.uint64))
        self._docs.append(docs.astype(np.int32))
        self._buffered += hashes.shape[0]
        self.rows += hashes.shape[0]
        limit = _FLUSH_ROWS if self._spilled else self.capacity
        if self._buffered > limit:
            self._flush()

    @property
    def spilled(self) -> bool:
        """Whether the rows outgrew one partition and went to bucket files."""
        return self._spilled

    def _take(self) -> tuple[U64, I32]:
        """The buffered rows, as two arrays, and the buffer emptied."""
        hashes = np.concatenate(self._hashes) if self._hashes else np.zeros(0, np.uint64)
        docs = np.concatenate(self._docs) if self._docs else np.zeros(0, np.int32)
        self._hashes, self._docs, self._buffered = [], [], 0
        return hashes, docs

    def _flush(self) -> None:
        if not self._spilled:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._spilled = True
        hashes, docs = self._take()
        _scatter(hashes, docs, self.folder, "", 0)

    def partitions(self) -> Iterator[tuple[U64, I32]]:
        """The rows in partitions that never split a posting list (hashes, documents);
        one partition when they fit the budget. The rows are read once: spilled ones'
        files go as they are read, and rows held in memory are let go with the
        partition, so that what the index no longer needs leaves memory before
        alignment starts (and before its worker processes copy this one)."""
        if self._read:
            raise RuntimeError("the rows are read once, and were read")
        self._read = True
        if not self._spilled:
            yield self._take()
            return
        if self._buffered:
            self._flush()
        yield from _read_groups(self.folder, "", 0, self.capacity)


def _paths(folder: Path, name: str) -> tuple[Path, Path]:
    return folder / f"b{name}.hash", folder / f"b{name}.doc"


def _rows_in(folder: Path, name: str) -> int:
    path = _paths(folder, name)[0]
    return path.stat().st_size // 8 if path.exists() else 0


def _scatter(hashes: U64, docs: I32, folder: Path, parent: str, level: int) -> None:
    """Append rows to the bucket files of ``parent`` at ``level`` (buckets named by
    their path of bucket numbers)."""
    if not hashes.shape[0]:
        return
    bucket = _buckets(hashes, level)
    order = np.argsort(bucket, kind="stable")
    bounds = np.searchsorted(bucket[order], np.arange(_FAN + 1))
    for b, (lo, hi) in enumerate(itertools.pairwise(bounds.tolist())):
        if hi <= lo:
            continue
        rows = order[lo:hi]
        hash_path, doc_path = _paths(folder, f"{parent}-{b}")
        with open(hash_path, "ab") as stream:
            stream.write(hashes[rows].tobytes())
        with open(doc_path, "ab") as stream:
            stream.write(docs[rows].tobytes())


def _load(folder: Path, names: list[str]) -> tuple[U64, I32]:
    """The rows of some buckets, joined (their files are then removed)."""
    hashes, docs = [], []
    for name in names:
        hash_path, doc_path = _paths(folder, name)
        hashes.append(np.fromfile(hash_path, dtype=np.uint64))
        docs.append(np.fromfile(doc_path, dtype=np.int32))
        hash_path.unlink()
        doc_path.unlink()
    return np.concatenate(hashes), np.concatenate(docs)


def _split(folder: Path, name: str, level: int) -> None:
    """Split a bucket by the next bits of its hashes, reading it a chunk at a time."""
    hash_path, doc_path = _paths(folder, name)
    total = _rows_in(folder, name)
    hashes = np.memmap(hash_path, dtype=np.uint64, mode="r", shape=(total,))
    docs = np.memmap(doc_path, dtype=np.int32, mode="r", shape=(total,))
    for lo in range(0, total, _FLUSH_ROWS):
        hi = min(lo + _FLUSH_ROWS, total)
        _scatter(np.array(hashes[lo:hi]), np.array(docs[lo:hi]), folder, name, level)
    del hashes, docs
    hash_path.unlink()
    doc_path.unlink()


def _read_groups(folder: Path, parent: str, level: int, capacity: int) -> Iterator[tuple[U64, I32]]:
    """The buckets under ``parent``, consecutive ones joined while they fit
    ``capacity`` rows; one over it split again (or read whole if that cannot help)."""
    group: list[str] = []
    held = 0
    for b in range(_FAN):
        name = f"{parent}-{b}"
        rows = _rows_in(folder, name)
        if not rows:
            continue
        if held + rows > capacity and group:
            yield _load(folder, group)
            group, held = [], 0
        if rows > capacity and level + 1 < _LEVELS and _splits(folder, name, level + 1):
            yield from _read_groups(folder, name, level + 1, capacity)
            continue
        group.append(name)
        held += rows
    if group:
        yield _load(folder, group)


def _splits(folder: Path, name: str, level: int) -> bool:
    """Whether splitting a bucket by the bits of ``level`` divides it (it does not when
    one posting list holds nearly all its rows); splits it if so."""
    hashes = np.memmap(_paths(folder, name)[0], dtype=np.uint64, mode="r")
    sample = np.array(hashes[: min(hashes.shape[0], _FLUSH_ROWS)])
    del hashes
    counts = np.bincount(_buckets(sample, level), minlength=_FAN)
    if int(counts.max()) == sample.shape[0]:
        return False
    _split(folder, name, level)
    return True
