"""Bytes to text: opening (possibly compressed) files, binary detection, decoding."""

from __future__ import annotations

import bz2
import gzip
import io
import sys
from typing import IO

from reprints.readers.base import ReadLog, Source

COMPRESSED_SUFFIXES = (".gz", ".zst", ".bz2")


def open_binary(source: Source) -> IO[bytes]:
    """Open a source for reading bytes, decompressing by its suffix."""
    if str(source.path) == "-":
        return sys.stdin.buffer
    suffix = source.path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(source.path, "rb")  # type: ignore[return-value]  # GzipFile is an IO[bytes] at run time
    if suffix == ".bz2":
        return bz2.open(source.path, "rb")
    if suffix == ".zst":
        import zstandard

        raw = open(source.path, "rb")  # noqa: SIM115 - closed by the returned reader
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True))
    return open(source.path, "rb")


def read_bytes(source: Source, log: ReadLog) -> bytes | None:
    """All bytes of a source; what a truncated archive yields before it breaks is kept."""
    chunks: list[bytes] = []
    try:
        with open_binary(source) as stream:
            while chunk := stream.read(1 << 20):
                chunks.append(chunk)
    except (OSError, EOFError, ValueError) as err:
        if not chunks:
            log.skip(source.name, None, "unreadable file", str(err))
            return None
        log.warn(source.name, None, "truncated file", f"kept what was read: {err}")
    except Exception as err:  # zstandard raises its own error type
        if not chunks:
            log.skip(source.name, None, "unreadable file", str(err))
            return None
        log.warn(source.name, None, "truncated file", f"kept what was read: {err}")
    return b"".join(chunks)


def looks_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB means a binary file, not text (what git does)."""
    return b"\x00" in data[:8192]


def decode_bytes(data: bytes, source: str, where: str | None, log: ReadLog) -> str:
    """UTF-8 text (a BOM is dropped); undecodable bytes become U+FFFD and are counted."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        log.warn(source, where, "undecodable bytes replaced", str(err.reason))
        return data.decode("utf-8-sig", errors="replace")
