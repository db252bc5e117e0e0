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


_FIELDS = (
    ("hashes", np.uint64),
    ("starts", np.int32),
    ("ends", np.int32),
    ("boilerplate", np.bool_),
    ("stems", np.uint64),
    ("breaks", np.bool_),
)


@dataclass(frozen=True, slots=True)
class TokenStoreFiles:
    """Where a sealed token store lives: enough for a worker process to open it."""

    folder: Path
    offsets: npt.NDArray[np.int64]  # document k's tokens are [offsets[k], offsets[k+1])


class TokenStore:
    """Token arrays of documents 0..N-1, appended in order, memory-mapped once sealed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._files = {name: open(folder / f"{name}.bin", "wb") for name, _ in _FIELDS}  # noqa: SIM115
        self._offsets = [0]

    def append(self, tokens: Tokens) -> None:
        mask = tokens.boilerplate
        if mask is None:
            mask = np.zeros(len(tokens), dtype=np.bool_)
        arrays = {
            "hashes": tokens.hashes,
            "starts": tokens.starts,
            "ends": tokens.ends,
            "boilerplate": mask,
            **word_fields(tokens),
        }
        for name, dtype in _FIELDS:
            self._files[name].write(np.ascontiguousarray(arrays[name], dtype=dtype).tobytes())
        self._offsets.append(self._offsets[-1] + len(tokens))

    def seal(self) -> TokenStoreFiles:
        for stream in self._files.values():
            stream.close()
        return TokenStoreFiles(self.folder, np.asarray(self._offsets, dtype=np.int64))


class TokenReader:
    """Read access to a sealed token store (in any process): ``reader[k]`` is document
    k's tokens. A reader pickles as the names of its files and opens them again where it
    is unpickled, so a worker process started by ``spawn`` never receives the arrays.

    Each field is read through a :class:`_ReadMap` (like :class:`TextSpool`): a plain
    map counts every page it faulted in (and the kernel's read-around) in the resident
    set of each process aligning, which at a million documents grew to gigabytes per
    worker."""

    def __init__(self, files: TokenStoreFiles) -> None:
        self.files = files
        self._offsets = files.offsets
        self._maps: dict[str, _ReadMap] = {}
        if int(files.offsets[-1]):
            self._maps = {name: _ReadMap(files.folder / f"{name}.bin") for name, _ in _FIELDS}

    def __len__(self) -> int:
        return int(self._offsets.shape[0] - 1)

    def __reduce__(self) -> tuple[type[TokenReader], tuple[TokenStoreFiles]]:
        return TokenReader, (self.files,)

    def _field(self, name: str, dtype: type, lo: int, hi: int) -> npt.NDArray[Any]:
        if hi <= lo:
            return np.zeros(0, dtype=dtype)
        size = np.dtype(dtype).itemsize
        return np.frombuffer(self._maps[name].read(lo * size, (hi - lo) * size), dtype)

    def __getitem__(self, doc: int) -> Tokens:
        lo, hi = int(self._offsets[doc]), int(self._offsets[doc + 1])
        fields = {name: self._field(name, dtype, lo, hi) for name, dtype in _FIELDS}
        mask = fields["boilerplate"]
        return Tokens(
            hashes=fields["hashes"],
            starts=fields["starts"],
            ends=fields["ends"],
            boilerplate=mask if mask.any() else None,
            stems=fields["stems"],
            breaks=fields["breaks"],
        )


@dataclass(frozen=True, slots=True)
class AnchorFiles:
    """Where a sealed anchor store lives: enough for a worker process to open it."""

    folder: Path
    offsets: npt.NDArray[np.int64]  # document k's anchors are [offsets[k], offsets[k+1])


_ANCHOR_FIELDS = (("anchor-positions", np.int32), ("anchor-hashes", np.uint64))


class AnchorStore:
    """Every document's anchors (positions, hashes), appended batch by batch in document
    order, read back by :class:`AnchorReader` once sealed: the anchor index reads one
    document's anchors per alignment, and need not hold the collection's in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._files = {
            name: open(folder / f"{name}.bin", "wb")  # noqa: SIM115 - closed by seal()
            for name, _ in _ANCHOR_FIELDS
        }
        self._offsets = [np.zeros(1, dtype=np.int64)]
        self._size = 0

    def append(self, anchors: Anchors) -> None:
        """The anchors of the next documents (a batch, in document order)."""
        positions = anchors.positions
        if positions.shape[0] and int(positions.max()) > np.iinfo(np.int32).max:
            raise ValueError("a document of more than 2**31 tokens: positions overflow")
        self._files["anchor-positions"].write(positions.astype(np.int32).tobytes())
        self._files["anchor-hashes"].write(anchors.hashes.astype(np.uint64).tobytes())
        self._offsets.append(anchors.offsets[1:] + self._size)
        self._size += int(anchors.offsets[-1])

    def seal(self) -> AnchorFiles:
        for stream in self._files.values():
            stream.close()
        return AnchorFiles(self.folder, np.concatenate(self._offsets).astype(np.int64))


class AnchorReader:
    """Read access to a sealed anchor store (in any process): ``reader.of(k)`` is
    document k's anchor positions and hashes (:class:`reprints.candidates.AnchorLookup`).
    Read through :class:`_ReadMap` like the token store, and pickled as its file names,
    so that no process holds (or counts in its resident set) every document's anchors."""

    def __init__(self, files: AnchorFiles) -> None:
        self.files = files
        self._offsets = files.offsets
        self._maps: dict[str, _ReadMap] = {}
        if int(files.offsets[-1]):
            self._maps = {
                name: _ReadMap(files.folder / f"{name}.bin") for name, _ in _ANCHOR_FIELDS
            }

    def __len__(self) -> int:
        return int(self._offsets.shape[0] - 1)

    def __reduce__(self) -> tuple[type[AnchorReader], tuple[AnchorFiles]]:
        return AnchorReader, (self.files,)

    def of(self, doc: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint64]]:
        lo, hi = int(self._offsets[doc]), int(self._offsets[doc + 1])
        if hi <= lo:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint64)
        positions = self._maps["anchor-positions"].read(lo * 4, (hi - lo) * 4)
        hashes = self._maps["anchor-hashes"].read(lo * 8, (hi - lo) * 8)
        return np.frombuffer(positions, np.int32), np.frombuffer(hashes, np.uint64)
