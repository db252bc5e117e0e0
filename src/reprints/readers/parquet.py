"""Parquet tables: one document per row, id and text from configurable columns.

Read one record batch at a time (never the whole file), so memory stays bounded by a
batch of rows, not by the file. Every other column is kept as metadata, converted to
JSON-friendly values (dates as ISO strings, bytes and other objects as text). A file
without the text column has every row skipped with one message; a file that breaks
part-way keeps the rows read before the break.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

from reprints.documents import Document
from reprints.readers.base import ReadLog, ReadOptions, Source
from reprints.readers.decode import COMPRESSED_SUFFIXES
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
    row = 0
    try:
        for batch in table.iter_batches(batch_size=BATCH_ROWS):
            for record in batch.to_pylist():
                row += 1
                record = {k: jsonable(v) for k, v in record.items()}
                doc = document_from_record(record, source, f"row {row}", options, log)
                if doc is not None:
                    yield doc
    except Exception as err:
        log.skip(
            source.name,
            f"row {row + 1}",
            "unreadable Parquet rows",
            f"kept the {row} rows read before: {err}",
            count=max(rows - row, 1),
        )
