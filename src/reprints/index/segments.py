"""Immutable segment files: one folder of ``.npy`` arrays per add, merged by compact.

A segment holds a set of documents, by their index-wide *numbers* (assigned in the
order documents were added, never reused):

- ``nums.npy``: the documents' numbers, ascending; slot ``k`` is ``nums[k]``;
- ``post_hash.npy``, ``post_doc.npy``: the posting rows, one per distinct
  (anchor hash, document number), sorted by hash then number, so that a hash's
  posting list is one ``searchsorted`` range and its length is the hash's document
  frequency inside the segment. Anchor *positions* are not stored: a query
  re-fingerprints the few documents it aligns from their stored tokens (the same
  :func:`reprints.fingerprint.fingerprint` call that built the postings), which is
  cheaper than keeping 4 bytes per anchor of the whole collection on disk;
- ``key_hash.npy``, ``key_doc.npy``: the same for the documents' sentence keys
  (:func:`reprints.seeds.sentence_keys`), which pair reworded copies;
- ``post_fence.npy``, ``key_fence.npy``: every ``FENCE_ROWS``-th hash of the two
  posting columns, read into memory, so that a lookup searches the small fence and
  then one block of the map (:func:`posting_ranges`); derived data, made again from
  the column when a segment written without them is read;
- ``tok_offsets.npy`` and ``tok_hashes``/``tok_starts``/``tok_ends``/
  ``tok_boilerplate``/``tok_stems``/``tok_breaks.npy``: every document's tokens as
  marked when it was added, slot ``k`` spanning ``tok_offsets[k]:tok_offsets[k+1]``.

Files are written under a temporary folder name, fsynced, then renamed into place;
only a manifest entry in SQLite makes a segment part of the index (see
:mod:`reprints.index.store`), so a folder without one is debris of an interrupted
write. Readers memory-map the arrays: opening costs nothing, pages come in on use;
a document's token rows are read with ``pread`` (:class:`TokenFiles`), so that they do
not stay mapped into the process.
"""

from __future__ import annotations

import errno
import os
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from reprints.fingerprint import Anchors
from reprints.store import TOKEN_FIELDS
from reprints.text import Tokens, word_fields

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

# The token columns of find's token store, under the segment's file names.
_TOKEN_FIELDS = tuple((f"tok_{name}", dtype) for name, dtype in TOKEN_FIELDS)
_FENCES = {"post_fence": "post_hash", "key_fence": "key_hash"}  # fence: its column
_ARRAYS = (
    "nums",
    "post_hash",
    "post_doc",
    "key_hash",
    "key_doc",
    "post_fence",
    "key_fence",
    "tok_offsets",
    *(name for name, _ in _TOKEN_FIELDS),
)


@dataclass(frozen=True, slots=True)
class SegmentData:
    """A segment's arrays in memory, before writing (or read back, memory-mapped)."""

    nums: I64
    post_hash: U64
    post_doc: I64
    key_hash: U64  # the sentence keys' postings, as post_hash and post_doc
    key_doc: I64
    post_fence: U64  # fence_of(post_hash)
    key_fence: U64  # fence_of(key_hash)
    tok_offsets: I64
    tok_hashes: U64
    tok_starts: npt.NDArray[np.int32]
    tok_ends: npt.NDArray[np.int32]
    tok_boilerplate: npt.NDArray[np.bool_]
    tok_stems: U64
    tok_breaks: npt.NDArray[np.bool_]
    # The token columns' files, for rows read with pread (None for a segment in memory)
    token_files: TokenFiles | None = None

    @property
    def documents(self) -> int:
        return int(self.nums.shape[0])

    @property
    def postings(self) -> int:
        return int(self.post_hash.shape[0])


@dataclass(frozen=True, slots=True)
class SegmentPart:
    """The tokens, anchors and sentence keys of consecutive documents as a few flat
    arrays: what a worker sends back for a chunk (one pickle of a few arrays, not
    several per document).

    The postings come sorted and distinct, numbered by the documents' slots in the
    part: the worker sorts its own, and the writer merges the parts' sorted runs
    (half the time of sorting their concatenation, in the one process that writes).
    When ``spilled`` is a file, the token columns are in it, back to back in
    ``_TOKEN_FIELDS`` order, and the token fields here are empty: the writer copies
    them into its columns in the kernel instead of receiving them pickled through a
    pipe (about 26 bytes a token, most of what a worker sends)."""

    lengths: I64  # tokens of each document
    tok_hashes: U64
    tok_starts: npt.NDArray[np.int32]
    tok_ends: npt.NDArray[np.int32]
    tok_boilerplate: npt.NDArray[np.bool_]
    tok_stems: U64
    tok_breaks: npt.NDArray[np.bool_]
    post_hash: U64
    post_slot: I64
    key_hash: U64
    key_slot: I64
    spilled: Path | None = None


def segment_part(tokens: list[Tokens], anchors: Anchors, keys: Anchors) -> SegmentPart:
    """The part of documents with these ``tokens``, ``anchors`` and sentence ``keys``
    (document k of each)."""
    columns: dict[str, Any] = _token_arrays(tokens)
    slots = np.arange(len(tokens), dtype=np.int64)
    post_hash, post_slot = _postings_of(slots, anchors)
    key_hash, key_slot = _postings_of(slots, keys)
    return SegmentPart(
        post_hash=post_hash,
        post_slot=post_slot,
        key_hash=key_hash,
        key_slot=key_slot,
        **columns,
    )


def spill_part(part: SegmentPart, path: Path) -> SegmentPart:
    """``part`` with its token columns written to the new file ``path`` instead."""
    with open(path, "xb", buffering=0) as stream:
        for name, _ in _TOKEN_FIELDS:
            _write_all(stream.fileno(), getattr(part, name))
    empty: dict[str, Any] = {name: np.zeros(0, dtype) for name, dtype in _TOKEN_FIELDS}
    return replace(part, spilled=path, **empty)


def _write_all(fd: int, array: npt.NDArray[Any]) -> None:
    view = np.ascontiguousarray(array).data.cast("B")
    while view.nbytes:
        view = view[os.write(fd, view) :]


def _postings_of(numbers: I64, anchors: Anchors) -> tuple[U64, I64]:
    """The distinct (hash, number) rows of documents ``numbers``' anchors (or keys)."""
    owners = numbers[anchors.owners()]
    # owners ascend with the anchors: a stable sort by hash orders (hash, number)
    return _distinct_postings(anchors.hashes, owners, np.argsort(anchors.hashes, kind="stable"))


def _joined(parts: Sequence[npt.NDArray[Any]], dtype: type) -> npt.NDArray[Any]:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _distinct_postings(hashes: U64, docs: I64, order: I64 | None = None) -> tuple[U64, I64]:
    """Distinct (hash, document) rows sorted by hash then document; ``order``, when
    given, is an ordering of the rows that sorts them so."""
    if order is None:
        order = np.lexsort((docs, hashes))
    h, d = hashes[order], docs[order]
    keep = np.ones(h.shape[0], dtype=bool)
    keep[1:] = (h[1:] != h[:-1]) | (d[1:] != d[:-1])
    return h[keep].astype(np.uint64), d[keep].astype(np.int64)


def _token_arrays(tokens: list[Tokens]) -> dict[str, npt.NDArray[Any]]:
    """Each document's token count and the concatenated token fields (one list per
    field, no dictionary per document)."""
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    words = [
        (t.stems, t.breaks) if t.stems is not None and t.breaks is not None else _words_of(t)
        for t in tokens
    ]
    columns: dict[str, list[npt.NDArray[Any]]] = {
        "tok_hashes": [t.hashes for t in tokens],
        "tok_starts": [t.starts for t in tokens],
        "tok_ends": [t.ends for t in tokens],
        "tok_boilerplate": [
            t.boilerplate if t.boilerplate is not None else np.zeros(len(t), np.bool_)
            for t in tokens
        ],
        "tok_stems": [w[0] for w in words],
        "tok_breaks": [w[1] for w in words],
    }
    return {
        "lengths": lengths,
        **{name: _joined(columns[name], dtype) for name, dtype in _TOKEN_FIELDS},
    }


def _words_of(tokens: Tokens) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    fields = word_fields(tokens)
    return fields["stems"], fields["breaks"]


def frequent_hashes(new: SegmentData, old: Sequence[SegmentData], max_df: int) -> U64:
    """The anchor hashes of ``new`` that ``max_df`` or more documents of ``new`` and
    ``old`` together hold (removed ones included: an over-count is safe), sorted."""
    hashes = np.asarray(new.post_hash)
    if not hashes.shape[0]:
        return np.zeros(0, np.uint64)
    first = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))
    distinct = hashes[first]
    df = np.diff(np.append(first, hashes.shape[0]))
    for seg in old:
        lo, hi = posting_ranges(seg.post_hash, distinct, seg.post_fence)
        df += hi - lo
    return distinct[df >= max_df].astype(np.uint64)


# Rows of a posting column per fence entry: 256 bytes of the map to read per lookup,
# and a fence of 1/32 of the column in memory (measured on a 24-million-row column:
# 16 and 32 rows were the fastest, 60 us for 90 hashes against 120 us for a binary
# search over the map).
FENCE_ROWS = 32
# Up to this many hashes are looked up through the fence (a query's few): more (an
# add's millions) would gather a block each, and are searched in the map at once.
_FENCED_LOOKUPS = 4096


def fence_of(column: U64) -> U64:
    """Every ``FENCE_ROWS``-th hash of a sorted posting column (row 0 first)."""
    return np.array(column[::FENCE_ROWS], dtype=np.uint64)


def posting_ranges(post_hash: U64, hashes: U64, fence: U64) -> tuple[I64, I64]:
    """The posting rows ``[lo, hi)`` of each of ``hashes`` in a segment's posting
    column ``post_hash`` (``fence``: :func:`fence_of` it). A binary search over the
    memory map costs a page and a cache miss a step, about 24 of them on a large
    segment; the fence, in memory, leaves one block of the map to read per hash. The
    right ends are searched only for the few hashes the segment holds."""
    lo = _sorted_position(post_hash, fence, hashes, right=False)
    inside = lo < post_hash.shape[0]
    held = np.flatnonzero(inside)[post_hash[lo[inside]] == hashes[inside]]
    hi = lo.copy()
    if held.shape[0]:
        hi[held] = _sorted_position(post_hash, fence, hashes[held], right=True)
    return lo, hi


def _sorted_position(column: U64, fence: U64, hashes: U64, right: bool) -> I64:
    """``np.searchsorted(column, hashes, side)`` through the fence: the fence says
    which block each hash falls in (its first row is the last one below the hash, or
    not above it for ``right``), and the rows of that block and the next block's first
    row below (not above) the hash are counted."""
    side: Literal["left", "right"] = "right" if right else "left"
    if hashes.shape[0] > _FENCED_LOOKUPS:  # an add's lookups: a block per hash is too much
        return np.searchsorted(column, hashes, side=side).astype(np.int64)
    if not column.shape[0]:  # no rows to take a block from
        return np.zeros(hashes.shape[0], dtype=np.int64)
    first = np.maximum(np.searchsorted(fence, hashes, side=side) - 1, 0) * FENCE_ROWS
    rows = first[:, None] + np.arange(FENCE_ROWS + 1)[None, :]
    # Rows past the end read the last row (clip) and are not counted.
    values = np.take(column, rows, mode="clip")
    before = values <= hashes[:, None] if right else values < hashes[:, None]
    before &= rows < column.shape[0]
    return (first + before.sum(axis=1)).astype(np.int64)


def merge_segments(segments: list[SegmentData], dead: I64) -> SegmentData:
    """One segment holding the live documents of ``segments`` (numbers not in ``dead``)."""
    nums_parts: list[I64] = []
    tokens: list[Tokens] = []
    for seg in segments:
        alive = ~np.isin(seg.nums, dead)
        nums_parts.append(np.asarray(seg.nums)[alive])
        tokens.extend(segment_tokens(seg, k) for k in np.flatnonzero(alive).tolist())
    nums = _joined(nums_parts, np.int64)
    order = np.argsort(nums, kind="stable")
    arrays: dict[str, Any] = _token_arrays([tokens[i] for i in order.tolist()])
    lengths = arrays.pop("lengths")
    post_hash, post_doc = _live_postings([(s.post_hash, s.post_doc) for s in segments], dead)
    key_hash, key_doc = _live_postings([(s.key_hash, s.key_doc) for s in segments], dead)
    return SegmentData(
        nums[order].astype(np.int64),
        post_hash,
        post_doc,
        key_hash,
        key_doc,
        fence_of(post_hash),
        fence_of(key_hash),
        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        **arrays,
    )


def _live_postings(parts: list[tuple[U64, I64]], dead: I64) -> tuple[U64, I64]:
    """The postings of several segments as one, the dead documents' rows dropped."""
    hashes, docs = [], []
    for post_hash, post_doc in parts:
        rows = ~np.isin(post_doc, dead)
        hashes.append(np.asarray(post_hash)[rows])
        docs.append(np.asarray(post_doc)[rows])
    return _distinct_postings(_joined(hashes, np.uint64), _joined(docs, np.int64))


def segment_tokens(seg: SegmentData, slot: int) -> Tokens:
    """The stored tokens of the document in ``slot`` (copied out of the files)."""
    lo, hi = int(seg.tok_offsets[slot]), int(seg.tok_offsets[slot + 1])
    files = seg.token_files
    rows = {
        name: np.array(getattr(seg, name)[lo:hi]) if files is None else files.rows(name, lo, hi)
        for name, _ in _TOKEN_FIELDS
    }
    mask = rows["tok_boilerplate"]
    return Tokens(
        hashes=rows["tok_hashes"],
        starts=rows["tok_starts"],
        ends=rows["tok_ends"],
        boilerplate=mask if mask.any() else None,
        stems=rows["tok_stems"],
        breaks=rows["tok_breaks"],
    )


class TokenFiles:
    """A segment's token columns, read with ``os.pread`` rather than through their maps.

    A query reads the rows of a few stored documents, but each page it faults in
    through a map brings the cached pages around it into the process as well (the
    kernel's fault-around, 64 KB; ``MADV_RANDOM`` does not stop it): 1,000 queries of a
    100,000-document index mapped in half of the token columns, 450 MB of resident
    memory that was only page cache. Read into small arrays, the rows stay in the page
    cache alone; the cost measured on a 1,000,000-document index is within the noise of
    the map's. Each file is opened on its first read and closed when the segment is
    dropped.
    """

    def __init__(self, folder: Path, columns: dict[str, np.memmap[Any, Any]]) -> None:
        self._where = {
            name: (folder / f"{name}.npy", int(column.offset), column.dtype)
            for name, column in columns.items()
        }
        self._fds: dict[str, int] = {}
        self._opening = threading.Lock()
        weakref.finalize(self, _close_all, self._fds)

    def rows(self, name: str, lo: int, hi: int) -> npt.NDArray[Any]:
        """Rows ``lo:hi`` of column ``name``, a new array."""
        path, offset, dtype = self._where[name]
        size = (hi - lo) * dtype.itemsize
        data = os.pread(self._fd(name), size, offset + lo * dtype.itemsize)
        if len(data) != size:
            raise OSError(f"{path}: rows {lo}:{hi} lie past the end of the file")
        return np.frombuffer(data, dtype=dtype).copy()

    def _fd(self, name: str) -> int:
        fd = self._fds.get(name)
        if fd is None:
            with self._opening:  # threads of a server share a snapshot's segments
                fd = self._fds.get(name)
                if fd is None:
                    fd = self._fds[name] = os.open(self._where[name][0], os.O_RDONLY)
        return fd


def _close_all(fds: dict[str, int]) -> None:
    for fd in fds.values():
        os.close(fd)
    fds.clear()


def write_segment(data: SegmentData, folder: Path) -> None:
    """Write every array of ``data`` into the new ``folder`` and fsync them and it."""
    folder.mkdir(parents=True)
    for name in _ARRAYS:
        _save(folder / f"{name}.npy", getattr(data, name))
    fsync_dir(folder)


def _save(path: Path, array: npt.NDArray[Any]) -> None:
    with open(path, "wb") as stream:
        np.save(stream, np.ascontiguousarray(array), allow_pickle=False)
        stream.flush()
        os.fsync(stream.fileno())


class SegmentWriter:
    """A new segment written as its parts arrive, in document order: the token fields
    are appended to their files at once, so that the adding process holds only the
    parts' postings (to merge at the end), not every document's tokens (which held the
    whole add's token arrays, about 30 bytes a token, and then a concatenated copy of
    them)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self._tokens = {
            name: _GrowingArray(folder / f"{name}.npy", dt) for name, dt in _TOKEN_FIELDS
        }
        self._lengths: list[I64] = []
        self._postings: list[tuple[U64, I64]] = []  # (hash, slot in the segment) runs
        self._keys: list[tuple[U64, I64]] = []
        self._documents = 0

    def spill_path(self, k: int) -> Path:
        """Where part ``k`` may spill its token columns (see :func:`spill_part`)."""
        return self.folder / f"part-{k:06d}.tokens"

    def add(self, part: SegmentPart) -> None:
        """The next documents' part (a spilled part's file is deleted once copied)."""
        if part.spilled is None:
            for name, array in self._tokens.items():
                array.append(getattr(part, name))
        else:
            rows = int(part.lengths.sum())
            with open(part.spilled, "rb", buffering=0) as source:
                offset = 0
                for array in self._tokens.values():
                    offset += array.append_from(source.fileno(), offset, rows)
            part.spilled.unlink()
        first = self._documents
        self._postings.append((part.post_hash, part.post_slot + first))
        self._keys.append((part.key_hash, part.key_slot + first))
        self._lengths.append(part.lengths)
        self._documents += int(part.lengths.shape[0])

    def finish(self, nums: I64) -> tuple[int, int]:
        """Write the rest for documents ``nums`` (ascending, one per document added, in
        order) and fsync it all; returns (documents, postings)."""
        numbers = nums.astype(np.int64)
        lengths = _joined(self._lengths, np.int64)
        if numbers.shape[0] != lengths.shape[0]:
            raise ValueError(f"{numbers.shape[0]} numbers for {lengths.shape[0]} documents")
        post_hash, post_doc = _merged_runs(self._postings, numbers)
        key_hash, key_doc = _merged_runs(self._keys, numbers)
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        arrays = {
            "nums": numbers,
            "post_hash": post_hash,
            "post_doc": post_doc,
            "key_hash": key_hash,
            "key_doc": key_doc,
            "post_fence": fence_of(post_hash),
            "key_fence": fence_of(key_hash),
            "tok_offsets": offsets,
        }
        for name, array in arrays.items():
            _save(self.folder / f"{name}.npy", array)
        for growing in self._tokens.values():
            growing.close()
        fsync_dir(self.folder)
        return int(numbers.shape[0]), int(post_hash.shape[0])


def _merged_runs(runs: list[tuple[U64, I64]], numbers: I64) -> tuple[U64, I64]:
    """One posting column from parts' distinct sorted (hash, slot) runs, slots
    ascending from run to run, as (hash, number) rows sorted by hash then number: a
    stable sort keeps equal hashes in run order (numbers ascend with the slots), and
    numpy's stable sort (timsort) merges presorted runs instead of sorting anew."""
    hashes = _joined([h for h, _ in runs], np.uint64)
    slots = _joined([s for _, s in runs], np.int64)
    order = np.argsort(hashes, kind="stable")
    return hashes[order], numbers[slots[order]]


class _GrowingArray:
    """A one-dimensional ``.npy`` file appended to: a header for no rows first, then the
    rows, then the header again with their count. A header of a one-dimensional array
    takes 128 bytes whatever its length (numpy pads it to 64-byte alignment), checked
    when it is rewritten. Unbuffered: rows are written (or copied) straight to the
    file descriptor, whose position is the file's end."""

    def __init__(self, path: Path, dtype: type) -> None:
        self.dtype = np.dtype(dtype)
        self.rows = 0
        self._stream = open(path, "wb", buffering=0)  # noqa: SIM115 - closed by close()
        self._header_size = self._write_header()

    def _write_header(self) -> int:
        header = {
            "descr": np.lib.format.dtype_to_descr(self.dtype),
            "fortran_order": False,
            "shape": (self.rows,),
        }
        np.lib.format.write_array_header_1_0(self._stream, header)
        return self._stream.tell()

    def append(self, array: npt.NDArray[Any]) -> None:
        _write_all(self._stream.fileno(), array.astype(self.dtype, copy=False))
        self.rows += int(array.shape[0])

    def append_from(self, fd: int, offset: int, rows: int) -> int:
        """Append ``rows`` rows read from ``fd`` at byte ``offset``; returns their bytes."""
        size = rows * self.dtype.itemsize
        _copy_bytes(fd, offset, size, self._stream.fileno())
        self.rows += rows
        return size

    def close(self) -> None:
        self._stream.seek(0)
        if self._write_header() != self._header_size:
            raise RuntimeError(f"{self._stream.name}: the .npy header changed size")
        os.fsync(self._stream.fileno())
        self._stream.close()


def _copy_bytes(source: int, offset: int, size: int, target: int) -> None:
    """Copy ``size`` bytes of ``source`` from ``offset`` to ``target``'s position: in
    the kernel (copy_file_range), or read and written where a file system refuses."""
    end = offset + size
    try:
        while offset < end:
            copied = os.copy_file_range(source, target, end - offset, offset)
            if copied == 0:
                raise OSError(f"{end - offset} bytes missing from a spilled part")
            offset += copied
    except OSError as refused:
        if refused.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
        while offset < end:
            block = os.pread(source, min(end - offset, 1 << 24), offset)
            if not block:
                raise OSError(f"{end - offset} bytes missing from a spilled part") from None
            _write_all(target, np.frombuffer(block, dtype=np.uint8))
            offset += len(block)


def read_segment(folder: Path) -> SegmentData:
    """A written segment, every array memory-mapped read-only but the fences, which are
    read (or made from their column, for a segment written without them)."""
    arrays: dict[str, Any] = {}  # arrays; Any: they are keywords of SegmentData
    for name in _ARRAYS:
        path = folder / f"{name}.npy"
        if name in _FENCES:
            if path.exists():
                arrays[name] = np.load(path, allow_pickle=False)
            continue
        try:  # a plain array over the map: np.memmap's methods cost on every call
            arrays[name] = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
        except ValueError:  # an empty array: nothing to map, read it
            arrays[name] = np.load(path, allow_pickle=False)
    for name, column in _FENCES.items():
        if name not in arrays:
            arrays[name] = fence_of(arrays[column])
    maps = {name: _memmap_of(arrays[name]) for name, _ in _TOKEN_FIELDS}
    mapped = {name: m for name, m in maps.items() if m is not None}
    if len(mapped) < len(maps):  # empty columns: nothing to read from a file
        return SegmentData(**arrays)
    return SegmentData(**arrays, token_files=TokenFiles(folder, mapped))


def _memmap_of(array: npt.NDArray[Any]) -> np.memmap[Any, Any] | None:
    """The memory map under ``array`` (a plain view of one), or None."""
    base: Any = array
    while base is not None and not isinstance(base, np.memmap):
        base = base.base
    return base


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new files, renames) durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
