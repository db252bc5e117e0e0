"""Document clusters on Spark: :func:`reprints.group.document_clusters`, distributed.

The same rule, step by step as Spark joins and aggregations, so that no edge and no
per-document table is collected to the driver:

1. the *strong* pairs (shared text covering at least ``MIN_CONTAINMENT`` of one side)
   are the edges of :func:`~reprints.spark.components.connected_components`, whose
   component label is the smallest document number, i.e. the smallest id (documents
   are numbered by their sorted ids): the local labels' order;
2. clusters are numbered largest first, then by that smallest member, by one sort
   and ``zipWithIndex``; a document in no strong pair is a cluster of its own;
3. each document's score (the millionths of its partners' text it explains, whole
   numbers, so sums are exact in any order) and best cover (the partner covering
   most of it, ties to the smallest id) are aggregations over both directions of
   the strong pairs;
4. each cluster's original is the minimum of (undated, date, -score, document);
5. each document's :class:`~reprints.group.DocumentRole` comes from
   :func:`reprints.group.document_role`, the local rule, in ``mapInArrow``.

The roles are returned as their ``documents.jsonl`` lines, by document number, with
the figures the summary reports (:class:`~reprints.group.RoleFigures`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from reprints.group import (
    COPY_CONTAINMENT,
    MIN_CONTAINMENT,
    ROLES,
    RoleFigures,
    document_role,
    explained_micro,
    parse_date,
)
from reprints.output import dumps
from reprints.spark.components import connected_components
from reprints.spark.read import document_of_row
from reprints.spark.schema import ddl

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_DATES = pa.schema([("doc", pa.int64()), ("date", pa.string())])
_MICRO = pa.schema(
    [("a", pa.int64()), ("b", pa.int64()), ("micro_a", pa.int64()), ("micro_b", pa.int64())]
)
_LINES = pa.schema([("doc", pa.int64()), ("role", pa.string()), ("value", pa.string())])


def document_roles(documents: DataFrame, aligned: DataFrame) -> tuple[DataFrame, RoleFigures]:
    """Every document's role line (``doc``, ``role``, ``value``: its ``documents.jsonl``
    line), and the figures of the clusters. ``documents``: ``doc``, ``id``, ``meta``
    (:func:`~reprints.spark.fingerprint.number_documents`); ``aligned``: the records of
    :func:`reprints.spark.align.align`, with their containments."""
    from pyspark.sql import functions as F

    strong = aligned.where(
        (F.col("b") >= 0) & (F.greatest("containment_a", "containment_b") >= F.lit(MIN_CONTAINMENT))
    ).select("a", "b", "containment_a", "containment_b")
    components = connected_components(strong, "a", "b")
    members = (
        documents.select("doc", "id")
        .join(components.withColumnRenamed("node", "doc"), "doc", "left")
        .select("doc", "id", F.coalesce("component", "doc").alias("component"))
    )
    clusters = _numbered_clusters(members)
    covers = _best_covers(strong)
    scores = _scores(strong)
    dates = document_dates(documents)
    table = (
        members.join(clusters, "component")
        .join(covers, "doc", "left")
        .join(scores, "doc", "left")
        .join(dates, "doc")
        .fillna(0, ["score"])
    )
    undated = F.col("date").isNull()
    rank = F.struct(
        undated.alias("u"),
        F.coalesce("date", F.lit("")).alias("d"),
        (-F.col("score")).alias("s"),
        F.col("doc").alias("k"),
    )
    originals = table.groupBy("component").agg(F.min(rank).getField("k").alias("original"))
    table = table.join(originals, "component").withColumn(
        "is_original", F.col("doc") == F.col("original")
    )
    named = documents.select(F.col("doc").alias("best_of"), F.col("id").alias("best_id"))
    table = table.join(named, "best_of", "left").select(
        "doc", "id", "cluster", "size", "is_original", "best_id", "best_cont", "date"
    )
    lines = table.mapInArrow(_role_lines(), ddl(_LINES)).persist()
    return lines, _figures(lines, clusters)


def _numbered_clusters(members: DataFrame) -> DataFrame:
    """``(component, cluster, size)``: clusters numbered largest first, then by their
    smallest document (the component label), as :func:`~reprints.group.document_clusters`
    numbers them."""
    from pyspark.sql import functions as F

    sizes = members.groupBy("component").agg(F.count(F.lit(1)).alias("size"))
    order = [F.col("size").desc(), F.col("component").asc()]
    return numbered_by(sizes, order, "cluster")


def numbered_by(frame: DataFrame, order: list[Column], name: str) -> DataFrame:
    """``frame`` with a column ``name``: each row's place (0, 1, ...) in ``order``, by
    one sort and ``zipWithIndex`` (a global number with no single-partition window).
    ``order`` must be total, so that the numbers come from the data alone."""
    ordered = frame.orderBy(*order)
    schema = ordered.schema.add(name, "long", nullable=False)
    numbered = ordered.rdd.zipWithIndex().map(lambda r: (*r[0], r[1]))
    return numbered.toDF(schema)


def document_dates(documents: DataFrame) -> DataFrame:
    """``(doc, date)``: each document's ``date`` metadata as the local grouping parses
    it (:func:`~reprints.group.parse_date`); null when undated."""
    return documents.select("doc", "id", "meta").mapInArrow(_dates(), ddl(_DATES))


def _both_ways(strong: DataFrame) -> DataFrame:
    """Each strong pair from both sides: ``(me, other, cont)``, ``cont`` being how much
    of ``me`` the other covers."""
    from pyspark.sql import functions as F

    return strong.select(
        F.col("a").alias("me"), F.col("b").alias("other"), F.col("containment_a").alias("cont")
    ).unionByName(
        strong.select(
            F.col("b").alias("me"), F.col("a").alias("other"), F.col("containment_b").alias("cont")
        )
    )


def _best_covers(strong: DataFrame) -> DataFrame:
    """``(doc, best_of, best_cont)``: the partner covering most of each document in a
    strong pair, ties to the smallest document."""
    from pyspark.sql import functions as F

    best = F.min(F.struct((-F.col("cont")).alias("c"), F.col("other").alias("o")))
    found = _both_ways(strong).groupBy("me").agg(best.alias("best"))
    return found.select(
        F.col("me").alias("doc"),
        F.col("best.o").alias("best_of"),
        (-F.col("best.c")).alias("best_cont"),
    )


def _scores(strong: DataFrame) -> DataFrame:
    """``(doc, score)``: the millionths of its partners' text each document explains
    (:func:`~reprints.group.explained_micro`, whole numbers summed exactly)."""
    from pyspark.sql import functions as F

    micro = strong.mapInArrow(_micro(), ddl(_MICRO))
    explained = micro.select(F.col("a").alias("doc"), F.col("micro_b").alias("m")).unionByName(
        micro.select(F.col("b").alias("doc"), F.col("micro_a").alias("m"))
    )
    return explained.groupBy("doc").agg(F.sum("m").alias("score"))


def _micro() -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: a strong pair's containments in millionths."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = batch.to_pydict()
            micro = [
                explained_micro(np.asarray(columns[f"containment_{side}"], dtype=np.float64))
                for side in ("a", "b")
            ]
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(columns["a"], pa.int64()),
                    pa.array(columns["b"], pa.int64()),
                    *(pa.array(m.astype(np.int64), pa.int64()) for m in micro),
                ],
                schema=_MICRO,
            )

    return run


def _dates() -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each document's ``date`` metadata, parsed as the
    local grouping parses it (:func:`~reprints.group.parse_date`)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = batch.to_pydict()
            dates = [
                parse_date(document_of_row(doc_id, "", meta).meta.get("date"))
                for doc_id, meta in zip(columns["id"], columns["meta"], strict=True)
            ]
            yield pa.RecordBatch.from_arrays(
                [pa.array(columns["doc"], pa.int64()), pa.array(dates, pa.string())],
                schema=_DATES,
            )

    return run


def _role_lines() -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each document's role by the local rule, as its line."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            docs, roles, lines = [], [], []
            for row in batch.to_pylist():
                role = document_role(
                    row["id"],
                    int(row["cluster"]),
                    int(row["size"]),
                    bool(row["is_original"]),
                    (row["best_id"], float(row["best_cont"] or 0.0)),
                    row["date"],
                    COPY_CONTAINMENT,
                )
                docs.append(row["doc"])
                roles.append(role.role)
                lines.append(dumps(role.to_json()))
            yield pa.RecordBatch.from_arrays(
                [pa.array(docs, pa.int64()), pa.array(roles), pa.array(lines)], schema=_LINES
            )

    return run


def _figures(lines: DataFrame, clusters: DataFrame) -> RoleFigures:
    """The summary's figures of the clusters: a few rows to the driver."""
    from pyspark.sql import functions as F

    counts = {row["role"]: int(row["count"]) for row in lines.groupBy("role").count().collect()}
    shared = (
        clusters.where(F.col("size") > 1)
        .agg(F.count(F.lit(1)), F.sum("size"), F.max("size"))
        .first()
    )
    many, clustered, largest = (int(x or 0) for x in (shared or (0, 0, 0)))
    return RoleFigures({r: counts.get(r, 0) for r in ROLES}, many, clustered, largest)
