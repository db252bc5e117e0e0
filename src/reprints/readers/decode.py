"""Bytes to text: opening (possibly compressed) files, caps, binary detection, decoding.

Every input is read as a stream of at most ``ReadOptions.max_file_bytes`` decompressed
bytes (:func:`open_binary`), never buffered whole: a decompression bomb costs the time
to work through the cap, not the memory to hold it. A one-document file (text, HTML)
is read only as far as its document can use (:func:`read_document_bytes`).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import sys
from dataclasses import dataclass
from typing import IO, Any

from reprints.readers.base import ReadLog, ReadOptions, Source

COMPRESSED_SUFFIXES = (".gz", ".zst", ".bz2")
_CHUNK = 1 << 16
# Compressed bytes given to zstd per call. A zstd block of at least 4 bytes holds at most
# 128 KiB, so one call yields at most 32 MiB even from a bomb of zeros (a whole 64 KiB
# chunk at once could yield 2 GiB); on real text a call still yields a few KiB.
_ZSTD_PIECE = 1024
# Bytes looked at to tell text from binary.
SAMPLE_BYTES = 8192


class _ZstdFrames:
    """zstd frames one after another, as chunks; EOFError when the file ends inside a
    frame (zstandard's own stream reader returns a cut frame's bytes without a word)."""

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._raw = raw
        self._dctx = zstandard.ZstdDecompressor()
        self._frame: Any = None
        self._input = memoryview(b"")

    def read1(self, size: int = -1) -> bytes:
        while True:
            if not self._input:
                self._input = memoryview(self._raw.read(_CHUNK))
                if not self._input:
                    if self._frame is not None:
                        raise EOFError("zstd file ended inside a frame")
                    return b""
            if self._frame is None:
                self._frame = self._dctx.decompressobj()
            piece, self._input = self._input[:_ZSTD_PIECE], self._input[_ZSTD_PIECE:]
            out: bytes = self._frame.decompress(piece)
            if self._frame.eof:  # the next frame starts in what this one did not use
                self._input = memoryview(self._frame.unused_data + bytes(self._input))
                self._frame = None
            if out:
                return out

    def close(self) -> None:
        self._raw.close()


class BoundedReader(io.RawIOBase):
    """The decompressed bytes of one input, at most ``limit`` of them.

    It ends where a truncated or corrupt archive breaks, instead of raising: everything
    decompressed before the break is delivered and :attr:`error` says what broke. It
    also ends after ``limit`` bytes, with :attr:`capped` set when there was more.
    Readers check both with :func:`stream_end`."""

    def __init__(self, inner: Any, limit: int) -> None:
        self._read = getattr(inner, "read1", None) or inner.read
        self._inner = inner
        self._limit = limit
        self._left = memoryview(b"")  # decompressed, not yet delivered (never copied)
        self._position = 0
        self.error: str | None = None
        self.capped = False

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        """Bytes delivered so far (FastWARC asks for positions; there is no seeking)."""
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) in ((0, io.SEEK_CUR), (self._position, io.SEEK_SET)):
            return self._position
        raise io.UnsupportedOperation("a decompressing stream cannot seek")

    def _fill(self, size: int) -> None:
        if self._left or self.error is not None:
            return
        try:
            self._left = memoryview(self._read(size))
        except Exception as err:  # EOFError, OSError, zlib.error, zstd errors, ...
            self.error = str(err) or type(err).__name__

    def readinto(self, buffer: Any) -> int:
        room = self._limit - self._position
        if room <= 0:
            self._fill(1)
            self.capped = self.capped or bool(self._left)
            return 0
        self._fill(min(len(buffer), room))
        count = min(len(buffer), len(self._left), room)
        buffer[:count] = self._left[:count]
        self._left = self._left[count:]
        self._position += count
        return count

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


def open_binary(source: Source, limit: int) -> io.BufferedReader:
    """Open a source for reading at most ``limit`` bytes, decompressing by its suffix.

    A compressed file that is cut short or corrupt reads as if it ended at the break;
    :func:`stream_end` on the returned stream then tells why it ended."""
    inner: Any
    suffix = source.path.suffix.lower()
    if str(source.path) == "-":
        inner = sys.stdin.buffer
    elif suffix == ".gz":
        inner = gzip.open(source.path, "rb")  # noqa: SIM115 - closed with the reader
    elif suffix == ".bz2":
        inner = bz2.open(source.path, "rb")  # noqa: SIM115 - closed with the reader
    elif suffix == ".zst":
        inner = _ZstdFrames(open(source.path, "rb"))  # noqa: SIM115 - closed with the reader
    else:
        inner = open(source.path, "rb", buffering=0)  # noqa: SIM115 - closed with the reader
    return io.BufferedReader(BoundedReader(inner, limit), buffer_size=_CHUNK)


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """Why a stream from :func:`open_binary` ended, when it was not the file's end."""

    error: str | None = None  # a broken archive: what broke
    capped: bool = False  # more than the cap: the rest was not read


def stream_end(stream: IO[bytes]) -> StreamEnd:
    raw = getattr(stream, "raw", None)
    if not isinstance(raw, BoundedReader):
        return StreamEnd()
    return StreamEnd(raw.error, raw.capped)


def report_capped_file(
    source: Source, where: str | None, options: ReadOptions, log: ReadLog
) -> None:
    """The one message for a file longer than ``--max-file-bytes``."""
    log.warn(
        source.name,
        where,
        "file over --max-file-bytes",
        f"read its first {options.max_file_bytes:,} bytes, not the rest",
    )


@dataclass(frozen=True, slots=True)
class DocumentBytes:
    """The bytes of a one-document file, and whether they stop at a cap."""

    data: bytes
    cut: bool  # more bytes followed: the last character may be incomplete


def read_document_bytes(
    source: Source, options: ReadOptions, log: ReadLog, limit: int
) -> DocumentBytes | None:
    """The first ``limit`` bytes of a file holding one text document, or None when it
    is binary or cannot be read (reported either way). A truncated archive keeps what
    was read before its break."""
    limit = min(limit, options.max_file_bytes)
    try:
        with open_binary(source, limit) as stream:
            data = stream.read()
            end = stream_end(stream)
    except OSError as err:
        data, end = b"", StreamEnd(error=str(err))
    if end.error is not None:
        if not data:
            log.skip(source.name, None, "unreadable file", end.error)
            return None
        log.warn(source.name, None, "truncated file", f"kept what was read: {end.error}")
    if looks_binary(data):
        log.skip(source.name, None, "binary file")
        return None
    return DocumentBytes(data, end.capped)


def text_limit(options: ReadOptions) -> int:
    """Bytes that hold more than ``max_chars`` characters in any encoding (at most 4
    bytes a character, a BOM, an incomplete last character): a text file is read this
    far and no further, so its truncation never needs the whole file."""
    return min(options.max_doc_bytes, 4 * options.max_chars + 8)


# UTF-32 before UTF-16: the UTF-32 little-endian BOM begins with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 when the data starts with its byte-order mark."""
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


# Bytes that no text holds (C0 controls but tab, newlines, form feed, escape; DEL).
_CONTROL = bytes([*range(0, 9), *range(14, 27), *range(28, 32), 127])


def looks_binary(data: bytes) -> bool:
    """Whether the start of a file is binary, by the share of bytes text never holds.

    Not one NUL (what git does): text files do hold a few stray NULs or other control
    bytes (PAN's corpus has them), and skipping such a file loses all its text.
    Binary is a high share of control bytes (executables, UTF-16 without a BOM), or a
    fair share of them together with bytes that are not UTF-8 (compressed or random
    data: about 10% control bytes, most high bytes invalid). Legacy 8-bit text (Latin-1,
    cp1251) has no control bytes; mangled text full of them is still 7-bit clean."""
    sample = data[:SAMPLE_BYTES]
    if not sample or wide_encoding(sample) is not None:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    if controls < 8:  # a tiny file: too few bytes to judge by shares; its lines are
        return False  # judged one by one
    control = controls / len(sample)
    if control <= 0.01 or control > 0.3:
        return control > 0.3
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    invalid = decoder.decode(sample, final=False).count("\ufffd") - sample.count(b"\xef\xbf\xbd")
    return invalid / len(sample) > 0.01


def decode_strict(data: bytes, encoding: str, cut: bool = False) -> str:
    """``data`` decoded, raising UnicodeDecodeError on a bad byte; an incomplete last
    character is dropped when the bytes were ``cut`` at a cap."""
    return codecs.getincrementaldecoder(encoding)("strict").decode(data, final=not cut)


def decode_bytes(
    data: bytes, source: str, where: str | None, log: ReadLog, cut: bool = False
) -> str:
    """UTF-8 (or UTF-16/32 with a BOM) text, the BOM dropped; undecodable bytes become
    U+FFFD and are counted."""
    encoding = wide_encoding(data) or "utf-8-sig"
    try:
        return decode_strict(data, encoding, cut)
    except UnicodeDecodeError as err:
        log.warn(source, where, "undecodable bytes replaced", str(err.reason))
        decoder = codecs.getincrementaldecoder(encoding)("replace")
        return decoder.decode(data, final=not cut)
