"""JSON Lines: one object per line, id and text taken from configurable fields.

Every other field is kept as metadata. Each bad line (not JSON, not an object, no
text field, text not a string, an id that is not a string or an integer, a line over
``--max-line-bytes``) is reported with its line number and skipped. A line is never
held longer than the cap: a longer one is read through in small pieces and skipped.
A file whose start is binary is skipped with one message; UTF-16 and UTF-32 files
with a byte-order mark are read like UTF-8 ones.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, AnyStr

import orjson

from reprints.documents import Document
from reprints.readers.base import ReadLog, ReadOptions, Source
from reprints.readers.decode import (
    SAMPLE_BYTES,
    StreamEnd,
    looks_binary,
    open_binary,
    report_capped_file,
    stream_end,
    wide_encoding,
)

# Pieces in which an over-long line is read through to its end.
_SKIP_PIECE = 1 << 20


@dataclass(frozen=True, slots=True)
class BadId:
    """Why a record's id cannot be an id (a float, an object, a boolean, ...)."""

    detail: str


def record_id(value: Any) -> str | BadId | None:
    """A record's id as a string, kept exactly as written: a string as itself, an integer
    as its decimal digits (any size). None when there is none (the caller names the
    record by its place); :class:`BadId` for any other JSON type, which has no exact
    spelling as an id (1.0 and 1, NaN, 1e400, an object)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    kind = {bool: "a boolean", float: "a number with a fraction or exponent"}.get(
        type(value), f"a JSON {type(value).__name__}"
    )
    if isinstance(value, float) and not math.isfinite(value):
        kind = f"a non-finite number ({value})"
    return BadId(f"{kind}, not a string or an integer")


def document_from_record(
    record: Any, source: Source, where: str, options: ReadOptions, log: ReadLog
) -> Document | None:
    """A document from one JSON object or table row, or None (reported) if it has no
    text or a bad id.

    ``meta`` holds every other field. When the id is not a string (an integer), ``meta``
    also keeps it under the id field as its original value, so that a writer can put it
    back unchanged (``7`` stays the number 7, a 30-digit integer stays exact)."""
    if not isinstance(record, dict):
        log.skip(source.name, where, "not a JSON object")
        return None
    text = record.get(options.text_field)
    if text is None:
        log.skip(source.name, where, "missing text field", repr(options.text_field))
        return None
    if not isinstance(text, str):
        log.skip(source.name, where, "text field is not a string", type(text).__name__)
        return None
    raw_id = record.get(options.id_field)
    doc_id = record_id(raw_id)
    if isinstance(doc_id, BadId):
        log.skip(source.name, where, "bad id", f"{options.id_field!r} is {doc_id.detail}")
        return None
    meta = {k: v for k, v in record.items() if k not in (options.text_field, options.id_field)}
    if doc_id is not None and not isinstance(raw_id, str):
        meta[options.id_field] = raw_id
    return Document(id=doc_id or f"{source.name}#{where}", text=text, meta=meta)


def read_jsonl(source: Source, options: ReadOptions, log: ReadLog) -> Iterator[Document]:
    lines = [0]
    try:
        with open_binary(source, options.max_file_bytes) as stream:
            head = stream.peek(SAMPLE_BYTES)[:SAMPLE_BYTES]
            if looks_binary(head):
                log.skip(source.name, None, "binary file")
                return
            yield from _records(_lines(stream, head, options), source, options, log, lines)
            end = stream_end(stream)
    except OSError as err:
        end = StreamEnd(error=str(err))
    if end.capped:
        report_capped_file(source, f"line {lines[0]}", options, log)
    if end.error is None:
        return
    if lines[0]:
        log.warn(
            source.name, f"line {lines[0]}", "truncated file", f"kept the lines before: {end.error}"
        )
    else:
        log.skip(source.name, None, "unreadable file", end.error)


def _lines(stream: IO[bytes], head: bytes, options: ReadOptions) -> Iterator[bytes | int]:
    """The lines of a stream as UTF-8 bytes; a line over ``max_line_bytes`` as its length
    instead (read through, never held). UTF-16/32 with a byte-order mark is transcoded."""
    limit = options.max_line_bytes
    encoding = wide_encoding(head)
    if encoding is None:
        yield from _bounded(stream.readline, limit, b"\n")
        return
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace")
    for line in _bounded(text.readline, limit, "\n"):
        yield line if isinstance(line, int) else line.encode("utf-8", "surrogatepass")


def _bounded(
    readline: Callable[[int], AnyStr], limit: int, newline: AnyStr
) -> Iterator[AnyStr | int]:
    while line := readline(limit + 1):
        if len(line) <= limit or line.endswith(newline):
            yield line
            continue
        size = len(line)
        while piece := readline(_SKIP_PIECE):
            size += len(piece)
            if piece.endswith(newline):
                break
        yield size


def parse_line(raw: bytes, id_field: str) -> tuple[Any, bool]:
    """One line's JSON value, and whether bad UTF-8 in it was replaced; raises
    ValueError (JSONDecodeError) when it is not JSON. Any reader of JSON lines (the
    Spark engine's too) parses them with it, so integer ids of any size and bad
    UTF-8 come out as :func:`read_jsonl` reads them.

    orjson reads the bytes directly, ~3x faster than decode + json.loads. What it
    refuses (bad UTF-8, NaN, blank lines) or cannot keep exact (it reads an integer id
    over 64 bits as a float: two ids would collapse) goes to the standard library,
    which keeps integers of any size."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        line = raw.decode("utf-8", errors="replace")
        return json.loads(line), "\ufffd" in line and b"\xef\xbf\xbd" not in raw
    if isinstance(record, dict) and isinstance(record.get(id_field), float):
        return json.loads(raw), False
    return record, False


def _records(
    lines: Iterator[bytes | int],
    source: Source,
    options: ReadOptions,
    log: ReadLog,
    count: list[int],
) -> Iterator[Document]:
    """Documents of JSON lines, one per good line; bad lines are reported. ``count[0]``
    counts the lines read, for the caller's report of a broken file."""
    for line_number, raw in enumerate(lines, start=1):
        count[0] = line_number
        where = f"line {line_number}"
        if isinstance(raw, int):
            log.skip(source.name, where, "line over --max-line-bytes", f"{raw:,} bytes")
            continue
        try:
            record, replaced = parse_line(raw, options.id_field)
        except ValueError as err:  # JSONDecodeError, or an integer of over 4,300 digits
            if raw.strip():
                log.skip(source.name, where, "malformed JSON", getattr(err, "msg", str(err)))
            continue
        if replaced:
            log.warn(source.name, where, "undecodable bytes replaced")
        doc = document_from_record(record, source, where, options, log)
        if doc is not None:
            yield doc
