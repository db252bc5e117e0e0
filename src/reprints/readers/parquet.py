"""Parquet tables: one document per row, id and text from configurable columns.

Read one record batch at a time (never the whole file), so memory stays bounded by a
batch of rows, not by the file. Every other column is kept as metadata, converted to
JSON-friendly values (dates as ISO strings, bytes as base64, other objects as text);
a ``binary`` id or text column is decoded as UTF-8. A file without the text column has
every row skipped with one message; a row group that breaks keeps the rows read before
the break, and the row groups after it are still read.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

from reprints.documents import Document
from reprints.readers.base import ReadLog, ReadOptions, Source
from reprints.readers.decode import COMPRESSED_SUFFIXES, decode_bytes
from reprints.readers.jsonl import document_from_record

BATCH_ROWS = 1024


def jsonable(value: Any) -> Any:
    """A metadata value as something JSON can write (and read back the same)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def read_parquet(source: Source, options: ReadOptions, log: ReadLog) -> Iterator[Document]:
    import pyarrow.parquet as pq

    if str(source.path) == "-" or source.path.suffix.lower() in COMPRESSED_SUFFIXES:
        log.skip(source.name, None, "unsupported file type", "Parquet must be a plain file")
        return
    try:
        table = pq.ParquetFile(source.path)
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError, ...
        log.skip(source.name, None, "unreadable Parquet file", str(err))
        return
    rows = table.metadata.num_rows
    if options.text_field not in table.schema_arrow.names:
        log.skip(
            source.name, None, "missing text field", repr(options.text_field), count=max(rows, 1)
        )
        return
    first = 0  # the number of the row group's first row, less one
    for group in range(table.num_row_groups):
        size = table.metadata.row_group(group).num_rows
        yield from _row_group(table, group, first, source, options, log)
        first += size


def _row_group(
    table: Any, group: int, first: int, source: Source, options: ReadOptions, log: ReadLog
) -> Iterator[Document]:
    """The documents of one row group. A group that breaks keeps the rows read before the
    break and loses only its own rest: the next group is read on its own."""
    size = table.metadata.row_group(group).num_rows
    done = 0
    try:
        for batch in table.iter_batches(batch_size=BATCH_ROWS, row_groups=[group]):
            for record in batch.to_pylist():
                done += 1
                where = f"row {first + done}"
                doc = document_from_record(
                    record_of_row(record, options, source, where, log), source, where, options, log
                )
                if doc is not None:
                    yield doc
    except Exception as err:
        log.skip(
            source.name,
            f"row {first + done + 1}",
            "unreadable Parquet rows",
            f"row group {group + 1}: {size - done} rows lost: {err}",
            count=max(size - done, 1),
        )


def record_of_row(
    record: dict[str, Any], options: ReadOptions, source: Source, where: str, log: ReadLog
) -> dict[str, Any]:
    """A Parquet row (as pyarrow's ``to_pylist`` gives it) as a JSON-like record, for
    :func:`~reprints.readers.jsonl.document_from_record`. A ``binary`` id or text
    column holds text as UTF-8 bytes (what many writers make of strings): it is
    decoded (bad bytes reported to ``log`` at ``where``), not base64-encoded like
    binary metadata. Any reader of Parquet rows (the Spark engine's too) calls it."""
    out = {}
    for name, value in record.items():
        if isinstance(value, bytes) and name in (options.id_field, options.text_field):
            out[name] = decode_bytes(value, source.name, where, log)
        else:
            out[name] = jsonable(value)
    return out
