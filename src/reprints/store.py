"""Spools on disk: what the pipeline must keep per document, out of memory.

Texts and token arrays are appended to files in a temporary folder as documents are
read and mapped back with ``mmap``/``np.memmap`` when needed, so the process holds
the index (anchors, offsets), not the collection: memory grows with the number of
documents, not with their text. Worker processes open the same files read-only.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from reprints.text import Tokens, word_fields


class TextSpool(Mapping[str, str]):
    """Texts by id, appended to one UTF-8 file; a read-only mapping once sealed."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file = open(path, "wb")  # noqa: SIM115 - closed by seal()
        self._where: dict[str, tuple[int, int]] = {}
        self._size = 0
        self._map: mmap.mmap | None = None

    def add(self, doc_id: str, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._file.write(data)
        self._where[doc_id] = (self._size, len(data))
        self._size += len(data)

    def seal(self) -> None:
        """Finish writing; from now on texts are read back through a memory map."""
        self._file.close()
        if self._size:
            with open(self._path, "rb") as stream:
                self._map = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)

    def __getitem__(self, doc_id: str) -> str:
        start, size = self._where[doc_id]
        if self._map is None:
            return ""
        return self._map[start : start + size].decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


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
    k's tokens. A reader pickles as the names of its files and maps them again where it
    is unpickled, so a worker process started by ``spawn`` never receives the arrays."""

    def __init__(self, files: TokenStoreFiles) -> None:
        self.files = files
        self._offsets = files.offsets
        total = int(files.offsets[-1])
        self._arrays = {
            name: (
                np.memmap(files.folder / f"{name}.bin", dtype=dtype, mode="r", shape=(total,))
                if total
                else np.zeros(0, dtype=dtype)
            )
            for name, dtype in _FIELDS
        }

    def __len__(self) -> int:
        return int(self._offsets.shape[0] - 1)

    def __reduce__(self) -> tuple[type[TokenReader], tuple[TokenStoreFiles]]:
        return TokenReader, (self.files,)

    def __getitem__(self, doc: int) -> Tokens:
        lo, hi = int(self._offsets[doc]), int(self._offsets[doc + 1])
        mask = np.asarray(self._arrays["boilerplate"][lo:hi])
        return Tokens(
            hashes=np.asarray(self._arrays["hashes"][lo:hi]),
            starts=np.asarray(self._arrays["starts"][lo:hi]),
            ends=np.asarray(self._arrays["ends"][lo:hi]),
            boilerplate=mask if mask.any() else None,
            stems=np.asarray(self._arrays["stems"][lo:hi]),
            breaks=np.asarray(self._arrays["breaks"][lo:hi]),
        )
