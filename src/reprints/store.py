"""Spools on disk: what the pipeline must keep per document, out of memory.

Texts and token arrays are appended to files in a temporary folder as documents are
read, and read back with ``os.pread`` when needed (no memory map, whose pages would
count in the resident set), so the process holds the index (anchors, offsets), not the
collection: memory grows with the number of documents, not with their text. Worker
processes open the same files read-only.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.text import Tokens


class TextSpool(Mapping[str, str]):
    """Texts by id, appended to one UTF-8 file; a read-only mapping once sealed.

    Texts are read back with ``os.pread``, not through a memory map: a map would count
    every page read (the whole collection, once fingerprinting has read it) in the
    process's resident set, where the page cache keeps them without it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file = open(path, "wb")  # noqa: SIM115 - closed by seal()
        self._where: dict[str, tuple[int, int]] = {}
        self._size = 0
        self._fd: int | None = None

    def add(self, doc_id: str, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._file.write(data)
        self._where[doc_id] = (self._size, len(data))
        self._size += len(data)

    def seal(self) -> None:
        """Finish writing; from now on texts are read back from the file."""
        self._file.close()
        if self._size:
            self._fd = os.open(self._path, os.O_RDONLY)
            weakref.finalize(self, os.close, self._fd)

    def __getitem__(self, doc_id: str) -> str:
        start, size = self._where[doc_id]
        if self._fd is None:
            return ""
        return _read_at(self._fd, size, start).decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


def _read_at(fd: int, size: int, start: int) -> bytes:
    """``size`` bytes of a file from offset ``start`` (``os.pread`` where there is one)."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, start)
    os.lseek(fd, start, os.SEEK_SET)  # pragma: no cover - platforms without pread
    return os.read(fd, size)  # pragma: no cover


_FIELDS = (
    ("hashes", np.uint64),
    ("starts", np.int32),
    ("ends", np.int32),
    ("boilerplate", np.bool_),
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

    Each document's slice is read with ``os.pread`` (like :class:`TextSpool`), not from
    a memory map: a map counts every page it faulted in (and the kernel's read-ahead
    around it) in the resident set of each process aligning, which at a million
    documents grew to gigabytes per worker."""

    def __init__(self, files: TokenStoreFiles) -> None:
        self.files = files
        self._offsets = files.offsets
        self._fds: dict[str, int] = {}
        if int(files.offsets[-1]):
            for name, _ in _FIELDS:
                fd = os.open(files.folder / f"{name}.bin", os.O_RDONLY)
                weakref.finalize(self, os.close, fd)
                self._fds[name] = fd

    def __len__(self) -> int:
        return int(self._offsets.shape[0] - 1)

    def __reduce__(self) -> tuple[type[TokenReader], tuple[TokenStoreFiles]]:
        return TokenReader, (self.files,)

    def _field(self, name: str, dtype: type, lo: int, hi: int) -> npt.NDArray[Any]:
        if hi <= lo:
            return np.zeros(0, dtype=dtype)
        size = np.dtype(dtype).itemsize
        return np.frombuffer(_read_at(self._fds[name], (hi - lo) * size, lo * size), dtype)

    def __getitem__(self, doc: int) -> Tokens:
        lo, hi = int(self._offsets[doc]), int(self._offsets[doc + 1])
        fields = {name: self._field(name, dtype, lo, hi) for name, dtype in _FIELDS}
        mask = fields["boilerplate"]
        return Tokens(
            hashes=fields["hashes"],
            starts=fields["starts"],
            ends=fields["ends"],
            boilerplate=mask if mask.any() else None,
        )
