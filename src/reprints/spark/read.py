"""Documents as Spark reads them: JSON Lines and Parquet, local or on a cluster path.

Spark reads the bytes (``spark.read.text`` for JSON Lines, gzip'd or not;
``spark.read.parquet`` for Parquet files and datasets, as ``reprints convert`` writes
them), and each Arrow batch of lines or rows becomes documents through the local
readers' own functions: the same JSON parsing, the same
:func:`~reprints.readers.jsonl.document_from_record` (ids, metadata, bad records), the
same empty-document and ``--max-chars`` rules. A document's metadata travels as its
record line (:func:`~reprints.dedup.records.record_line` with an empty text), which
:func:`document_of_row` turns back into the same :class:`Document`.

What differs from the local readers, and why: Spark does not number the lines of a
file, so a JSON record without an id is skipped (``missing id``) instead of being named
by its line, and a repeated id is an error (:func:`reprints.spark.fingerprint.number_documents`)
instead of being renamed in reading order, which Spark does not have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from reprints.dedup.records import document_of, record_line
from reprints.documents import Document
from reprints.options import OptionsError
from reprints.readers.base import ReadLog, ReadOptions, Source
from reprints.readers.jsonl import document_from_record, parse_line
from reprints.readers.parquet import record_of_row
from reprints.spark.schema import ddl

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# What the reading function returns: a document (id, text, meta as a record line), or
# a reason (a skipped record, a warning) with its count.
DOCUMENT, SKIPPED, WARNING = 0, 1, 2
_OUT = pa.schema(
    [
        ("kind", pa.int8()),
        ("id", pa.string()),
        ("text", pa.string()),
        ("meta", pa.binary()),
        ("reason", pa.string()),
        ("n", pa.int64()),
        ("path", pa.string()),
        ("block", pa.int64()),
        ("at", pa.int64()),
    ]
)
READ_SCHEMA = ddl(_OUT)
SPARK_FORMATS = ("jsonl", "parquet")
_JSONL_SUFFIXES = (".jsonl", ".json", ".ndjson")
_COMPRESSED = (".gz", ".bz2", ".zst")


def input_format(path: str, forced: str | None = None) -> str:
    """``jsonl`` or ``parquet`` for an input path (``--format`` wins): by its name, or
    for a local folder by the files in it."""
    if forced is not None:
        if forced not in SPARK_FORMATS:
            raise OptionsError(f"--engine spark reads {' or '.join(SPARK_FORMATS)}, not {forced}")
        return forced
    name = path.lower().rstrip("/")
    for suffix in _COMPRESSED:
        name = name.removesuffix(suffix)
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    local = Path(path)
    if "://" not in path and local.is_dir():
        files = [p.name.lower() for p in local.rglob("*") if p.is_file()]
        if any(f.endswith(".parquet") for f in files):
            return "parquet"
        if any(f.removesuffix(".gz").endswith(_JSONL_SUFFIXES) for f in files):
            return "jsonl"
    raise OptionsError(
        f"{path}: the Spark engine reads JSON Lines or Parquet; name the format with "
        "--format jsonl|parquet, or turn other inputs into Parquet with reprints convert"
    )


@dataclass(frozen=True, slots=True)
class SparkInput:
    """The documents read (``id``, ``text``, ``meta``; ``path``, ``block``, ``at``: where
    each was read, whose order is the reading order) and the reading figures, as a
    :class:`ReadLog` holds them."""

    documents: DataFrame
    log: ReadLog


def read_inputs(spark: SparkSession, inputs: Sequence[str], options: ReadOptions) -> SparkInput:
    """Read ``inputs`` (JSON Lines or Parquet) into documents, one job for the figures."""
    from pyspark.sql import functions as F

    by_format: dict[str, list[str]] = {}
    for path in inputs:
        by_format.setdefault(input_format(str(path), options.format), []).append(str(path))
    parsed = None
    for fmt, paths in sorted(by_format.items()):
        if fmt == "jsonl":
            raw = (
                spark.read.text(paths)
                .select("value", "_metadata")
                .withColumnRenamed("value", "line")
            )
        else:
            raw = spark.read.parquet(*paths).select("*", "_metadata")
        located = raw.select(
            "*",
            F.col("_metadata.file_path").alias("_path"),
            F.col("_metadata.file_block_start").alias("_block"),
            F.monotonically_increasing_id().alias("_at"),
        ).drop("_metadata")
        out = located.mapInArrow(read_partition(fmt, options), READ_SCHEMA)
        parsed = out if parsed is None else parsed.unionByName(out)
    if parsed is None:
        raise OptionsError("no inputs")
    parsed = parsed.localCheckpoint()
    log = ReadLog(strict=options.strict)
    for row in parsed.groupBy("kind", "reason").sum("n").collect():
        if row["kind"] == DOCUMENT:
            log.read = int(row[2])
        else:
            counter = log.skipped if row["kind"] == SKIPPED else log.warnings
            counter[row["reason"]] += int(row[2])
    documents = parsed.where(F.col("kind") == DOCUMENT).select(
        "id", "text", "meta", "path", "block", "at"
    )
    return SparkInput(documents, log)


def read_partition(
    fmt: str, options: ReadOptions
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: lines or rows to documents, by the local readers."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out: dict[str, list[Any]] = {name: [] for name in _OUT.names}
            log = ReadLog()
            for row in batch.to_pylist():
                path, block, at = row.pop("_path"), row.pop("_block"), row.pop("_at")
                source = Source(Path(path), path.rsplit("/", 1)[-1])
                doc = _document(fmt, row, source, options, log)
                if doc is not None:
                    meta = _meta_line(doc)
                    _add(out, DOCUMENT, doc.id, doc.text, meta, None, 1, path, block, at)
            for kind, counts in ((SKIPPED, log.skipped), (WARNING, log.warnings)):
                for reason, n in sorted(counts.items()):
                    _add(out, kind, None, None, None, reason, n, None, None, None)
            yield pa.RecordBatch.from_pydict(out, schema=_OUT)

    return run


def _add(out: dict[str, list[Any]], *values: Any) -> None:
    for name, value in zip(_OUT.names, values, strict=True):
        out[name].append(value)


def _document(
    fmt: str, row: dict[str, Any], source: Source, options: ReadOptions, log: ReadLog
) -> Document | None:
    """One line or row as the local readers make it a document (or None, logged)."""
    where = "a record"
    if fmt == "jsonl":
        line = row["line"]
        try:
            record, replaced = parse_line(line.encode("utf-8", "surrogatepass"), options.id_field)
        except ValueError as err:
            if line.strip():
                log.skip(source.name, where, "malformed JSON", getattr(err, "msg", str(err)))
            return None
        if replaced:
            log.warn(source.name, where, "undecodable bytes replaced")
    else:
        record = record_of_row(row, options, source, where, log)
    if isinstance(record, dict) and record.get(options.id_field) in (None, ""):
        log.skip(source.name, where, "missing id", "the Spark engine needs an id per record")
        return None
    doc = document_from_record(record, source, where, options, log)
    if doc is None:
        return None
    if not doc.text.strip():
        log.skip(source.name, doc.id, "empty document")
        return None
    if len(doc.text) > options.max_chars:
        log.warn(source.name, doc.id, "document truncated", f"kept {options.max_chars:,} chars")
        doc = Document(doc.id, doc.text[: options.max_chars], doc.meta)
    return doc


def _meta_line(doc: Document) -> bytes:
    """A document's id and metadata as its record line, without the text."""
    return record_line(Document(doc.id, "", doc.meta))


def document_of_row(doc_id: str, text: str, meta: bytes | None) -> Document:
    """The :class:`Document` a row of :class:`SparkInput` documents stands for."""
    if meta is None:
        return Document(doc_id, text)
    back = document_of(meta)
    return Document(doc_id, text, back.meta)
