"""Bytes to text: opening (possibly compressed) files, binary detection, decoding."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import sys
from typing import IO, Any

from reprints.readers.base import ReadLog, Source

COMPRESSED_SUFFIXES = (".gz", ".zst", ".bz2")
_CHUNK = 1 << 16


class _ZstdFrames:
    """zstd frames one after another, as chunks; EOFError when the file ends inside a
    frame (zstandard's own stream reader returns a cut frame's bytes without a word)."""

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._raw = raw
        self._dctx = zstandard.ZstdDecompressor()
        self._frame: Any = None
        self._pending = b""

    def read1(self, size: int = -1) -> bytes:
        while True:
            if self._frame is None:
                chunk, self._pending = self._pending or self._raw.read(_CHUNK), b""
                if not chunk:
                    return b""
                self._frame = self._dctx.decompressobj()
            else:
                chunk = self._raw.read(_CHUNK)
                if not chunk:
                    raise EOFError("zstd file ended inside a frame")
            out: bytes = self._frame.decompress(chunk)
            if self._frame.eof:
                self._pending, self._frame = self._frame.unused_data, None
            if out:
                return out

    def close(self) -> None:
        self._raw.close()


class SalvagingReader(io.RawIOBase):
    """A decompressing stream that ends where a truncated or corrupt archive breaks,
    instead of raising: everything decompressed before the break is delivered, and
    :attr:`error` says what broke. Readers check it with :func:`stream_error`."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._left = b""
        self._position = 0
        self.error: str | None = None

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        """Bytes delivered so far (FastWARC asks for positions; there is no seeking)."""
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) in ((0, io.SEEK_CUR), (self._position, io.SEEK_SET)):
            return self._position
        raise io.UnsupportedOperation("a decompressing stream cannot seek")

    def readinto(self, buffer: Any) -> int:
        if not self._left and self.error is None:
            try:
                self._left = self._inner.read1(len(buffer))
            except Exception as err:  # EOFError, OSError, zlib.error, zstd errors, ...
                self.error = str(err) or type(err).__name__
        count = min(len(buffer), len(self._left))
        buffer[:count] = self._left[:count]
        self._left = self._left[count:]
        self._position += count
        return count

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


def open_binary(source: Source) -> IO[bytes]:
    """Open a source for reading bytes, decompressing by its suffix.

    A compressed file that is cut short or corrupt reads as if it ended at the break;
    :func:`stream_error` on the returned stream then tells why."""
    if str(source.path) == "-":
        return sys.stdin.buffer
    suffix = source.path.suffix.lower()
    inner: Any
    if suffix == ".gz":
        inner = gzip.open(source.path, "rb")  # noqa: SIM115 - closed with the reader
    elif suffix == ".bz2":
        inner = bz2.open(source.path, "rb")  # noqa: SIM115 - closed with the reader
    elif suffix == ".zst":
        inner = _ZstdFrames(open(source.path, "rb"))  # noqa: SIM115 - closed with the reader
    else:
        return open(source.path, "rb")
    return io.BufferedReader(SalvagingReader(inner), buffer_size=_CHUNK)


def stream_error(stream: IO[bytes]) -> str | None:
    """Why a stream from :func:`open_binary` ended early (a broken archive), or None."""
    raw = getattr(stream, "raw", None)
    return raw.error if isinstance(raw, SalvagingReader) else None


def read_text_file(source: Source, log: ReadLog) -> bytes | None:
    """The bytes of a file meant to hold text, or None when it cannot be read or is
    binary (reported either way)."""
    data = read_bytes(source, log)
    if data is not None and looks_binary(data):
        log.skip(source.name, None, "binary file")
        return None
    return data


def read_bytes(source: Source, log: ReadLog) -> bytes | None:
    """All bytes of a source; what a truncated archive yields before it breaks is kept."""
    chunks: list[bytes] = []
    try:
        with open_binary(source) as stream:
            while chunk := stream.read(_CHUNK):
                chunks.append(chunk)
            error = stream_error(stream)
    except OSError as err:
        error = str(err)
    if error is not None:
        if not chunks:
            log.skip(source.name, None, "unreadable file", error)
            return None
        log.warn(source.name, None, "truncated file", f"kept what was read: {error}")
    return b"".join(chunks)


# UTF-32 before UTF-16: the UTF-32 little-endian BOM begins with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 when the data starts with its byte-order mark."""
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def looks_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB means a binary file, not text (what git does),
    unless a byte-order mark says the text is UTF-16 or UTF-32 (full of NULs)."""
    return b"\x00" in data[:8192] and _wide_encoding(data) is None


def decode_bytes(data: bytes, source: str, where: str | None, log: ReadLog) -> str:
    """UTF-8 (or UTF-16/32 with a BOM) text, the BOM dropped; undecodable bytes become
    U+FFFD and are counted."""
    encoding = _wide_encoding(data) or "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        log.warn(source, where, "undecodable bytes replaced", str(err.reason))
        return data.decode(encoding, errors="replace")
