"""WARC files (web crawls): one document per HTML or plain-text record.

Read with FastWARC. ``response`` records are HTTP responses: the HTTP head is parsed
here (status, Content-Type, Content-Encoding, chunked transfer), pages of type
text/html or XHTML go through the HTML reader (``--html main|raw``) and text/plain
bodies are decoded as text. ``resource`` records (files archived without HTTP, as
wget writes them) and ``conversion`` records (text extracted from pages, as in Common
Crawl's WET files) are read by their WARC Content-Type in the same way. Every other
record (requests, metadata, warcinfo, redirects, images, ...) is counted as ignored.

The document id is the WARC-Record-ID (without its angle brackets); ``url`` and
``date`` come from WARC-Target-URI and WARC-Date (a different date the page states is
kept as ``published``). A file cut short loses only the record it breaks in, counted
as a ``truncated record``; every record before it is kept. A compressed file is
decompressed by :func:`~reprints.readers.decode.open_binary`, which ends the stream
cleanly at a break, and an uncompressed one must end with the blank line that closes
every record (FastWARC silently drops a record whose head is cut).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from reprints.documents import Document
from reprints.readers.base import Page, ReadLog, ReadOptions, Source
from reprints.readers.decode import (
    COMPRESSED_SUFFIXES,
    StreamEnd,
    decode_bytes,
    decode_strict,
    looks_binary,
    open_binary,
    report_capped_file,
    stream_end,
)
from reprints.readers.html import page_bytes

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain",)
_READ_TYPES = ("response", "resource", "conversion")
_TRUNCATED = "truncated record"
BAD_LENGTH = "bad Content-Length"
# FastWARC cannot step over a record whose length is garbage: it stops at the next
# header with "Invalid WARC header"; what cannot be found again is counted under this.
_LOST = "records lost after a bad Content-Length"
# Fresh starts after bad records, per file: each reads the file again up to the bad
# record (a compressed stream cannot seek), so they are bounded.
_MAX_RESYNCS = 16
_RECORD_START = b"\nWARC/1."
_CHUNK = 1 << 20


def _record_types() -> Any:
    from fastwarc.warc import WarcRecordType

    return WarcRecordType.any_type


def _type_name(record: Any) -> str:
    return str(record.record_type).rsplit(".", 1)[-1]


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    """``text/html; charset=utf-8`` → ("text/html", "utf-8")."""
    if not content_type:
        return "", None
    kind, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return kind.strip().lower(), charset


def split_http(block: bytes) -> tuple[int, dict[str, str], bytes] | None:
    """Status code, headers (lower-case names) and body of an HTTP response; None if
    the block does not start with an HTTP status line."""
    if not block.startswith(b"HTTP/"):
        return None
    end = block.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end, sep = block.find(b"\n\n"), 2
    if end < 0:
        end, sep = len(block), 0
    lines = block[:end].decode("latin-1").splitlines()
    parts = lines[0].split(None, 2)
    try:
        status = int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        status = 0
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return status, headers, block[end + sep :]


def dechunk(body: bytes) -> bytes:
    """The body of a chunked HTTP transfer; what precedes a malformed chunk is kept."""
    out = []
    pos = 0
    while pos < len(body):
        line_end = body.find(b"\r\n", pos)
        if line_end < 0:
            break
        try:
            size = int(body[pos:line_end].split(b";")[0].strip() or b"0", 16)
        except ValueError:
            break
        if size == 0:
            break
        out.append(body[line_end + 2 : line_end + 2 + size])
        pos = line_end + 2 + size + 2
    return b"".join(out)


def _decode_content(body: bytes, encoding: str, limit: int) -> bytes | None:
    """The body without its Content-Encoding, at most ``limit`` + 1 bytes of it (so the
    caller sees it is longer, and a gzip bomb inside a record is never inflated whole)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip", "deflate"):
        # wbits 47 accepts both a gzip and a zlib header; raw deflate needs -15.
        for wbits in (47, -15):
            try:
                return zlib.decompressobj(wbits).decompress(body, limit + 1)
            except zlib.error:
                continue
    return None


def _text_document(
    body: bytes, charset: str | None, source: str, where: str, log: ReadLog, cut: bool
) -> str:
    if charset:
        try:
            return decode_strict(body, charset, cut)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(body, source, where, log, cut)


def _document(
    record: Any, number: int, source: Source, options: ReadOptions, log: ReadLog
) -> Document | Page | None:
    """The document of one record, or None (counted as ignored or skipped)."""
    where = f"record {number}"
    kind = _type_name(record)
    headers = record.headers
    declared = headers.get("Content-Length")
    if declared is not None and declared.strip() and not declared.strip().isdigit():
        # Whatever the record's type: FastWARC loses the records after it.
        log.skip(source.name, where, BAD_LENGTH, repr(declared))
        return None
    if kind not in _READ_TYPES:
        log.ignore(f"WARC {kind} record")
        return None
    if declared is None or not declared.strip():  # a head cut short
        log.skip(source.name, where, _TRUNCATED, "no Content-Length")
        return None
    # One byte over the cap is read, to know the record is longer; FastWARC skips the
    # rest of the record by itself.
    block = record.reader.read(options.max_doc_bytes + 1)
    if len(block) < min(int(declared), options.max_doc_bytes + 1):
        log.skip(source.name, where, _TRUNCATED, f"{len(block)} of {declared} bytes")
        return None
    cut = len(block) > options.max_doc_bytes
    record_id = (headers.get("WARC-Record-ID") or "").strip().strip("<>")
    doc_id = record_id or f"{source.name}#{where}"
    url = headers.get("WARC-Target-URI") or None
    meta: dict[str, Any] = {"source": str(source.path)}
    if date := headers.get("WARC-Date"):
        meta["date"] = date
    content_type = headers.get("Content-Type")
    body = block
    if kind == "response":
        http = split_http(block)
        if http is None:
            log.ignore("WARC response without HTTP head")
            return None
        status, http_headers, body = http
        if not 200 <= status < 300:
            log.ignore(f"HTTP status {status // 100}xx")
            return None
        content_type = http_headers.get("content-type")
        if "chunked" in http_headers.get("transfer-encoding", "").lower():
            body = dechunk(body)
        decoded = _decode_content(
            body, http_headers.get("content-encoding", ""), options.max_doc_bytes
        )
        if decoded is None:
            log.skip(source.name, where, "undecodable content encoding")
            return None
        body = decoded
    if len(body) > options.max_doc_bytes:
        body, cut = body[: options.max_doc_bytes], True
    media, charset = _media_type(content_type)
    if not media:
        media = "text/html" if body.lstrip()[:1] == b"<" else "text/plain"
    if media in _HTML_TYPES:
        if looks_binary(body):
            log.skip(source.name, where, "binary content")
            return None
        body, shrunk = page_bytes(body, options, source.name, where, log)
        crawled = meta.get("date")
        return Page(body, doc_id, source.name, where, url, meta, crawled, charset, cut or shrunk)
    if media in _TEXT_TYPES:
        if looks_binary(body):
            log.skip(source.name, where, "binary content")
            return None
        if cut:
            log.warn(
                source.name, where, "document truncated", f"read its first {len(body):,} bytes"
            )
        text = _text_document(body, charset, source.name, where, log, cut)
        return Document(doc_id, text, meta | ({"url": url} if url else {}))
    log.ignore(f"WARC {media} content")
    return None


def _ends_cleanly(source: Source) -> bool:
    """An uncompressed WARC file ends with the blank line that closes every record; one
    that does not was cut inside its last record (FastWARC drops such a record without
    a word when its head is incomplete)."""
    if str(source.path) == "-" or source.path.suffix.lower() in COMPRESSED_SUFFIXES:
        return True
    try:
        with open(source.path, "rb") as stream:
            stream.seek(max(source.path.stat().st_size - 4, 0))
            return stream.read() == b"\r\n\r\n"
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class _Pass:
    """How one pass of FastWARC over a file (from some offset on) ended."""

    number: int  # the number of the last record read
    end: StreamEnd
    bad: int | None  # where the last record with a bad Content-Length starts, if any


def read_warc(source: Source, options: ReadOptions, log: ReadLog) -> Iterator[Document | Page]:
    """The documents of a WARC file. FastWARC cannot step over a record whose
    Content-Length is garbage; the reader then finds the next record's head itself
    (``WARC/1.`` at the start of a line) and reads on from there, so one bad record
    costs only itself."""
    if str(source.path) == "-":
        log.skip(source.name, None, "unsupported file type", "a WARC must be a file, not stdin")
        return
    reported = log.skipped[_TRUNCATED]
    offset, resyncs = 0, 0
    result = yield from _pass(source, options, log, offset, 0)
    while result.end.error is not None and result.bad is not None and resyncs < _MAX_RESYNCS:
        found = _next_record(source, options, result.bad + 1)
        if found is None:  # the bad record was the last: nothing else to lose
            result = _Pass(result.number, StreamEnd(capped=result.end.capped), None)
            break
        offset, resyncs = found, resyncs + 1
        result = yield from _pass(source, options, log, offset, result.number)
    number, end = result.number, result.end
    if end.capped:
        report_capped_file(source, f"record {number}", options, log)
    error = end.error
    if number == 0:
        log.skip(source.name, None, "unreadable WARC file", error or "no WARC record found")
        return
    if error is None and not end.capped and not _ends_cleanly(source):
        error = "the file ends inside a record"
    if error is None:
        return
    where = f"record {number + 1}"
    if result.bad is not None:
        # No record head after the bad record (or too many bad records): what follows
        # is lost, and said so.
        log.skip(source.name, where, _LOST, f"{number} records read: {error}")
    elif log.skipped[_TRUNCATED] == reported:
        # The record the file breaks in is lost; the ones before it are kept.
        log.skip(source.name, where, _TRUNCATED, f"{number} records kept: {error}")


def _pass(
    source: Source, options: ReadOptions, log: ReadLog, offset: int, number: int
) -> Generator[Document | Page, None, _Pass]:
    """Records from byte ``offset`` of the (decompressed) file on, numbered after
    ``number``, until the file ends or FastWARC stops."""
    from fastwarc.warc import ArchiveIterator

    bad: int | None = None
    end = StreamEnd()
    try:
        with _open_at(source, options, offset) as stream:
            records = ArchiveIterator(stream, parse_http=False, record_types=_record_types())
            for number, record in enumerate(records, start=number + 1):  # noqa: B020
                before = log.skipped[BAD_LENGTH]
                doc = _document(record, number, source, options, log)
                if log.skipped[BAD_LENGTH] > before:
                    bad = record.stream_pos  # FastWARC counts from the stream's tell()
                if doc is not None:
                    yield doc
            end = stream_end(stream)
    except Exception as err:  # FastWARC raises its own types on a corrupt record
        end = StreamEnd(error=str(err) or type(err).__name__)
    except BaseException as err:  # a panic in FastWARC's Rust code is a BaseException
        if type(err).__name__ != "PanicException":
            raise
        end = StreamEnd(error=str(err) or "FastWARC failed")
    return _Pass(number, end, bad)


def _open_at(source: Source, options: ReadOptions, offset: int) -> io.BufferedReader:
    """The file's decompressed bytes from ``offset`` on (read through: a compressed
    stream cannot seek)."""
    stream = open_binary(source, options.max_file_bytes)
    left = offset
    while left > 0 and (chunk := stream.read(min(left, _CHUNK))):
        left -= len(chunk)
    return stream


def _next_record(source: Source, options: ReadOptions, after: int) -> int | None:
    """Where the first record head after byte ``after`` starts, or None."""
    position, tail = after, b""
    with _open_at(source, options, after) as stream:
        while chunk := stream.read(_CHUNK):
            window = tail + chunk
            found = window.find(_RECORD_START)
            if found >= 0:
                return position - len(tail) + found + 1  # after the newline
            tail = window[-(len(_RECORD_START) - 1) :]
            position += len(chunk)
    return None
