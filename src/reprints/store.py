"""Spools on disk: what the pipeline must keep per document, out of memory.

Texts and token arrays are appended to files in a temporary folder as documents are
read, and read back through memory maps that drop their pages from the resident set
as they go (:class:`_ReadMap`), so the process holds the index (anchors, offsets), not the
collection: memory grows with the number of documents, not with their text. Worker
processes open the same files read-only.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.fingerprint import Anchors
from reprints.text import Tokens, word_fields


class TextSpool(Mapping[str, str]):
    """Texts by id, appended to one UTF-8 file; a read-only mapping once sealed.

    Texts are read back through a :class:`_ReadMap`, which drops the pages it read from
    the resident set as it goes: a plain map would count every page read (the whole
    collection, once fingerprinting has read it) in the process's resident set."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file = open(path, "wb")  # noqa: SIM115 - closed by seal()
        self._where: dict[str, tuple[int, int]] = {}
        self._size = 0
        self._map: _ReadMap | None = None

    def add(self, doc_id: str, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._file.write(data)
        self._where[doc_id] = (self._size, len(data))
        self._size += len(data)

    def seal(self) -> None:
        """Finish writing; from now on texts are read back from the file."""
        self._file.close()
        if self._size:
            self._map = _ReadMap(self._path)

    def __getitem__(self, doc_id: str) -> str:
        start, size = self._where[doc_id]
        if self._map is None:
            return ""
        return self._map.read(start, size).decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


# Bytes a map may have brought in between two drops of its pages from the resident
# set; each read counts as at least the kernel's read-around (a fault maps up to
# 128 KiB either side), so that small scattered reads are dropped often enough.
_DROP_EVERY = 64 << 20
_READ_AROUND = 256 << 10


class _ReadMap:
    """A file read through a read-only memory map, whose pages are dropped from this
    process's resident set every ``_DROP_EVERY`` bytes it may have mapped
    (``MADV_DONTNEED``: they stay in the page cache). A map keeps the kernel's
    read-around on a cold cache (one disk read brings the neighbouring documents too,
    where ``os.pread`` of scattered documents waits for the disk once each), and the
    drops keep a whole collection read through it from counting in the resident set."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as stream:
            self._map = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        self._since_drop = 0

    def read(self, start: int, size: int) -> bytes:
        data = self._map[start : start + size]
        self._since_drop += max(size, _READ_AROUND)
        if self._since_drop >= _DROP_EVERY:
            self._since_drop = 0
            if hasattr(mmap, "MADV_DONTNEED"):
                self._map.madvise(mmap.MADV_DONTNEED)
        return data


Fields = tuple[tuple[str, type], ...]  # (file name, dtype) of each column


@dataclass(frozen=True, slots=True)
class ColumnFiles:
    """Where a sealed column store lives: enough for a worker process to open it."""

    folder: Path
    fields: Fields
    offsets: npt.NDArray[np.int64]  # document k's rows are [offsets[k], offsets[k+1])


class ColumnStore:
    """Per-document rows of a few fixed-type columns (one file each), appended in
    document order, read back by :class:`ColumnReader` once sealed."""

    def __init__(self, folder: Path, fields: Fields) -> None:
        self.folder = folder
        self.fields = fields
        self._files = {
            name: open(folder / f"{name}.bin", "wb")  # noqa: SIM115 - closed by seal()
            for name, _ in fields
        }
        self._offsets = [np.zeros(1, dtype=np.int64)]
        self._size = 0

    def append(
        self, columns: Mapping[str, npt.NDArray[Any]], offsets: npt.NDArray[np.int64]
    ) -> None:
        """The rows of the next documents: document k of them holds rows
        ``[offsets[k], offsets[k + 1])`` of every column."""
        for name, dtype in self.fields:
            data: npt.NDArray[Any] = np.ascontiguousarray(columns[name], dtype=dtype)
            self._files[name].write(data.tobytes())
        self._offsets.append(np.asarray(offsets[1:], dtype=np.int64) + self._size)
        self._size += int(offsets[-1])

    def seal(self) -> ColumnFiles:
        for stream in self._files.values():
            stream.close()
        offsets = np.concatenate(self._offsets).astype(np.int64)
        return ColumnFiles(self.folder, self.fields, offsets)


class ColumnReader:
    """Read access to a sealed column store (in any process): ``reader.rows(k)`` is
    document k's rows of every column. A reader pickles as the names of its files and
    opens them again where it is unpickled, so a worker process started by ``spawn``
    never receives the arrays.

    Each column is read through a :class:`_ReadMap` (like :class:`TextSpool`): a plain
    map counts every page it faulted in (and the kernel's read-around) in the resident
    set of each process aligning, which at a million documents grew to gigabytes per
    worker."""

    def __init__(self, files: ColumnFiles) -> None:
        self.files = files
        self._offsets = files.offsets
        self._maps: dict[str, _ReadMap] = {}
        if int(files.offsets[-1]):
            self._maps = {name: _ReadMap(files.folder / f"{name}.bin") for name, _ in files.fields}

    def __len__(self) -> int:
        return int(self._offsets.shape[0] - 1)

    def __reduce__(self) -> tuple[type[ColumnReader], tuple[ColumnFiles]]:
        return type(self), (self.files,)

    def rows(self, doc: int) -> dict[str, npt.NDArray[Any]]:
        lo, hi = int(self._offsets[doc]), int(self._offsets[doc + 1])
        return {name: self._column(name, dtype, lo, hi) for name, dtype in self.files.fields}

    def _column(self, name: str, dtype: type, lo: int, hi: int) -> npt.NDArray[Any]:
        if hi <= lo:
            return np.zeros(0, dtype=dtype)
        size = np.dtype(dtype).itemsize
        return np.frombuffer(self._maps[name].read(lo * size, (hi - lo) * size), dtype)


TOKEN_FIELDS: Fields = (
    ("hashes", np.uint64),
    ("starts", np.int32),
    ("ends", np.int32),
    ("boilerplate", np.bool_),
    ("stems", np.uint64),
    ("breaks", np.bool_),
)


class TokenStore(ColumnStore):
    """Token arrays of documents 0..N-1, appended in order, memory-mapped once sealed."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, TOKEN_FIELDS)

    def add(self, tokens: Tokens) -> None:
        """The next document's tokens."""
        mask = tokens.boilerplate
        if mask is None:
            mask = np.zeros(len(tokens), dtype=np.bool_)
        columns: dict[str, npt.NDArray[Any]] = {
            "hashes": tokens.hashes,
            "starts": tokens.starts,
            "ends": tokens.ends,
            "boilerplate": mask,
            **word_fields(tokens),
        }
        self.append(columns, np.array([0, len(tokens)], dtype=np.int64))


class TokenReader(ColumnReader):
    """``reader[k]`` is document k's tokens, from a sealed :class:`TokenStore`."""

    def __getitem__(self, doc: int) -> Tokens:
        fields = self.rows(doc)
        mask = fields["boilerplate"]
        return Tokens(
            hashes=fields["hashes"],
            starts=fields["starts"],
            ends=fields["ends"],
            boilerplate=mask if mask.any() else None,
            stems=fields["stems"],
            breaks=fields["breaks"],
        )


ANCHOR_FIELDS: Fields = (("anchor-positions", np.int32), ("anchor-hashes", np.uint64))


class AnchorStore(ColumnStore):
    """Every document's anchors (positions, hashes), appended batch by batch in document
    order, read back by :class:`AnchorReader` once sealed: the anchor index reads one
    document's anchors per alignment, and need not hold the collection's in memory."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, ANCHOR_FIELDS)

    def add(self, anchors: Anchors) -> None:
        """The anchors of the next documents (a batch, in document order)."""
        positions = anchors.positions
        if positions.shape[0] and int(positions.max()) > np.iinfo(np.int32).max:
            raise ValueError("a document of more than 2**31 tokens: positions overflow")
        columns = {"anchor-positions": positions, "anchor-hashes": anchors.hashes}
        self.append(columns, anchors.offsets)


class AnchorReader(ColumnReader):
    """``reader.of(k)`` is document k's anchor positions and hashes, from a sealed
    :class:`AnchorStore` (:class:`reprints.candidates.AnchorLookup`), so that no
    process holds (or counts in its resident set) every document's anchors."""

    def of(self, doc: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint64]]:
        fields = self.rows(doc)
        return fields["anchor-positions"], fields["anchor-hashes"]
