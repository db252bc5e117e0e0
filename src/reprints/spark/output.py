"""Outputs on a cluster path (``s3a://``, ``hdfs://``): Spark datasets, the local schema.

Each output the local engine writes as a file is a dataset folder of the same name
(``OUT/pairs.jsonl/part-*``, ``kept.jsonl/part-*``, ...), whose lines are the local
file's lines, written by the same record functions (:func:`reprints.output.dumps`,
:func:`reprints.dedup.records.record_line`) and in the same order across the part
files. Pairs, repeats and the kept corpus are written by the executors, never read to
the driver, and neither are the document clusters (:mod:`reprints.spark.groups`); what
the driver computes anyway (passage clusters, from the pairs; removals; summaries) is
written from there as one part file. A summary is one JSON line.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from reprints.boilerplate import MarkedSpan, without_spans
from reprints.dedup.kernels import KEPT
from reprints.dedup.records import record_line
from reprints.dedup.summary import DedupSummary
from reprints.group import grouping_summary
from reprints.output import dumps
from reprints.spark.groups import document_roles
from reprints.spark.passages import passage_clusters
from reprints.spark.read import document_of_row

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from reprints.spark.dedup import SparkDedup
    from reprints.spark.find import SparkFind

_LINES = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("value", pa.string())])


def _record_lines() -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Aligned records (``a``, ``b``, ``record``) as their JSON lines."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = batch.to_pydict()
            lines = [dumps(pickle.loads(r).to_json()) for r in columns["record"]]
            yield pa.RecordBatch.from_arrays(
                [pa.array(columns["a"]), pa.array(columns["b"]), pa.array(lines)], schema=_LINES
            )

    return run


def write_lines(spark: SparkSession, path: str, lines: Iterable[str]) -> None:
    """Lines computed on the driver as a one-part text dataset."""
    frame = spark.createDataFrame([(line,) for line in lines], "value string")
    frame.coalesce(1).write.mode("overwrite").text(path)


def write_find_datasets(run: SparkFind, out: str, extra: dict[str, Any]) -> dict[str, Any]:
    """``pairs.jsonl``, ``self.jsonl``, ``clusters.jsonl``, ``documents.jsonl`` and
    ``summary.json`` under ``out`` as datasets; returns the summary."""
    from pyspark.sql import functions as F

    base = out.rstrip("/")
    lines = run.aligned.mapInArrow(_record_lines(), "a long, b long, value string")
    for name, rows in (("pairs.jsonl", F.col("b") >= 0), ("self.jsonl", F.col("b") < 0)):
        chosen = lines.where(rows).orderBy("a", "b").select("value")
        chosen.write.mode("overwrite").text(f"{base}/{name}")
    spark = run.documents.sparkSession
    roles, figures = document_roles(run.documents, run.aligned)
    roles.orderBy("doc").select("value").write.mode("overwrite").text(f"{base}/documents.jsonl")
    roles.unpersist()
    clusters, passages = passage_clusters(run.documents, run.aligned)
    clusters.orderBy("cluster").select("value").write.mode("overwrite").text(
        f"{base}/clusters.jsonl"
    )
    clusters.unpersist()
    summary = {**run.stats.to_json(), **extra, **grouping_summary(passages, figures)}
    write_lines(spark, f"{base}/summary.json", [dumps(summary)])
    return summary


def _kept_lines(
    edits: dict[int, list[MarkedSpan]], id_field: str, text_field: str
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Kept documents (``k``, ``id``, ``text``, ``meta``) as the record lines written."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = batch.to_pydict()
            lines = []
            rows = zip(columns["k"], columns["id"], columns["text"], columns["meta"], strict=True)
            for k, doc_id, text, meta in rows:
                doc = without_spans(document_of_row(doc_id, text, meta), edits.get(k))
                lines.append(record_line(doc, id_field, text_field).decode("utf-8").rstrip("\n"))
            yield pa.RecordBatch.from_arrays(
                [pa.array(columns["k"], pa.int64()), pa.array(lines, pa.string())],
                names=["k", "value"],
            )

    return run


def write_dedup_datasets(
    result: SparkDedup, out: str, input_summary: dict[str, Any] | None
) -> DedupSummary:
    """The kept corpus ``out`` (JSON lines; Parquet when ``out`` ends in ``.parquet``),
    ``out.removed.jsonl`` and ``out.summary.json`` as datasets; returns the summary."""
    from pyspark.sql import functions as F

    numbered: DataFrame = result.numbered
    spark = numbered.sparkSession
    kept = np.flatnonzero(result.status == KEPT).tolist()
    chosen = F.broadcast(spark.createDataFrame([(int(k),) for k in kept], "k long"))
    o = result.options
    lines = numbered.join(chosen, "k").mapInArrow(
        _kept_lines(result.edits, o.id_field, o.text_field), "k long, value string"
    )
    ordered = lines.orderBy("k").select("value")
    if out.lower().endswith(".parquet"):
        spark.read.json(ordered.rdd.map(lambda row: row[0])).write.mode("overwrite").parquet(out)
        fmt = "parquet"
    else:
        ordered.write.mode("overwrite").text(out)
        fmt = "jsonl"
    write_lines(spark, f"{out}.removed.jsonl", (dumps(r.to_json()) for r in result.removed))
    summary = result.summary.written(out, fmt, len(kept), 0.0, input_summary)
    write_lines(spark, f"{out}.summary.json", [dumps(summary.to_json())])
    return summary
