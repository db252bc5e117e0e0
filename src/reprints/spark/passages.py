"""Passage clusters on Spark: :func:`reprints.group.passage_clusters`, distributed.

The local rule, step by step as shuffles, so that no pair, passage or region is
collected to the driver:

1. every passage of every pair gives two *occurrences* (``doc``, ``start``, ``end``);
   the distinct ones are partitioned by document and sorted there as the local rule
   sorts them (by ``-length``, then ``start``), and each partition's documents get
   their *regions* from the local greedy seeding itself (:func:`reprints.group.seed_regions`,
   which starts afresh at each document). A region is named ``doc << 31 | k`` for the
   document's ``k``-th region, so names order as the local region numbers do;
2. the passages, as edges between the regions of their two occurrences, go through
   :func:`~reprints.spark.components.connected_components`;
3. a cluster's members are the unions of its overlapping regions on one document (a
   window over each cluster's regions of a document, by start), each dated by its
   document's ``date`` metadata;
4. clusters are numbered by the local order (most members, then most text, then the
   first member in date order, then the cluster's first region by document and
   position: the order in which the local loop meets clusters) with one sort and
   ``zipWithIndex``;
5. a cluster's ``part_of`` is the smallest earlier cluster one of whose members holds
   each of its members (by ``min_overlap`` of the member): a join of the members on
   their document, counted per pair of clusters;
6. each cluster's line (its members in date order, the first member's text) is made by
   :class:`~reprints.group.PassageCluster` in ``mapInArrow``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from reprints.arrays import run_starts
from reprints.group import (
    MIN_OVERLAP,
    REPRESENTATIVE_CHARS,
    Member,
    PassageCluster,
    PassageFigures,
    check_min_overlap,
    seed_regions,
)
from reprints.output import dumps
from reprints.spark.components import connected_components
from reprints.spark.groups import document_dates, numbered_by
from reprints.spark.schema import ddl

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# Region names: the document number above, the document's region below.
REGION_BITS = 31

_EDGES = pa.schema(
    [(f"{side}_{name}", pa.int64()) for side in "ab" for name in ("doc", "start", "end")]
)
_REGIONS = pa.schema(
    [("doc", pa.int64()), ("start", pa.int64()), ("end", pa.int64()), ("region", pa.int64())]
)
_LINES = pa.schema([("cluster", pa.int64()), ("value", pa.string())])


def passage_clusters(
    documents: DataFrame, aligned: DataFrame, min_overlap: float = MIN_OVERLAP
) -> tuple[DataFrame, PassageFigures]:
    """Every passage cluster's ``clusters.jsonl`` line (``cluster``, ``value``), and the
    figures the summary reports. ``documents``: ``doc``, ``id``, ``text``, ``meta``
    (documents numbered by their sorted ids); ``aligned``: the records of
    :func:`reprints.spark.align.align`. The lines equal the local
    :func:`reprints.group.passage_clusters` over the same pairs."""
    from pyspark.sql import functions as F

    check_min_overlap(min_overlap)
    pairs = aligned.where(F.col("b") >= 0).select("a", "b", "record")
    edges = pairs.mapInArrow(_passage_edges(), ddl(_EDGES)).persist()
    regions = _span_regions(edges, min_overlap).localCheckpoint()
    labels = _region_labels(edges, regions)
    members = _members(labels).join(document_dates(documents), "doc").persist()
    clusters = _clusters(members, labels)
    numbered = members.join(clusters.select("component", "cluster"), "component")
    table = clusters.join(_parents(numbered, min_overlap), "cluster", "left").persist()
    figures = _figures(table)
    lines = _lines(documents, numbered, table).localCheckpoint()
    for frame in (edges, members, table):
        frame.unpersist()
    return lines, figures


def _passage_edges() -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each pair record's passages as the two occurrences
    they join (``a_doc``, ``a_start``, ``a_end``, ``b_doc``, ``b_start``, ``b_end``)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = batch.to_pydict()
            rows = [
                (a, p.a_start, p.a_end, b, p.b_start, p.b_end)
                for a, b, record in zip(columns["a"], columns["b"], columns["record"], strict=True)
                for p in pickle.loads(record).passages
            ]
            table = np.array(rows, dtype=np.int64).reshape(-1, 6)
            cells = [pa.array(table[:, k], pa.int64()) for k in range(6)]
            yield pa.RecordBatch.from_arrays(cells, schema=_EDGES)

    return run


def _span_regions(edges: DataFrame, min_overlap: float) -> DataFrame:
    """``(doc, start, end, region)``: each distinct occurrence and its region, by the
    local greedy seeding run on each document's spans in the local order."""
    from pyspark.sql import functions as F

    sides = [
        edges.select(*(F.col(f"{side}_{name}").alias(name) for name in ("doc", "start", "end")))
        for side in "ab"
    ]
    spans = sides[0].union(sides[1]).distinct()
    ordered = spans.repartition("doc").sortWithinPartitions(
        "doc", (F.col("start") - F.col("end")).asc(), "start"
    )
    return ordered.mapInArrow(_regions_partition(min_overlap), ddl(_REGIONS))


def _regions_partition(
    min_overlap: float,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: a partition's sorted spans (whole documents, which
    may straddle batches, so the partition is read whole) with their region names."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        table = pa.Table.from_batches(list(batches), schema=_REGIONS.remove(3))
        if table.num_rows == 0:
            return
        docs, starts, ends = (
            table.column(name).to_numpy().astype(np.int64) for name in ("doc", "start", "end")
        )
        region = seed_regions(docs, starts, ends, min_overlap)
        first = run_starts(docs)  # each document's first row: its first region
        local = region - np.repeat(region[first], np.diff(np.append(first, docs.shape[0])))
        if local.max() >= 1 << REGION_BITS:
            raise ValueError(f"a document has more than 2**{REGION_BITS} passage regions")
        names = (docs << REGION_BITS) | local
        cells = [pa.array(a, pa.int64()) for a in (docs, starts, ends, names)]
        yield pa.RecordBatch.from_arrays(cells, schema=_REGIONS)

    return run


def _region_labels(edges: DataFrame, regions: DataFrame) -> DataFrame:
    """``(component, region, doc, start, end)``: each region's extent and its
    component (the smallest region name in it)."""
    from pyspark.sql import functions as F

    def side(name: str) -> DataFrame:
        return regions.select(
            F.col("doc").alias(f"{name}_doc"),
            F.col("start").alias(f"{name}_start"),
            F.col("end").alias(f"{name}_end"),
            F.col("region").alias(name),
        )

    keys = [f"{s}_{n}" for s in "ab" for n in ("doc", "start", "end")]
    linked = edges.join(side("a"), keys[:3]).join(side("b"), keys[3:]).select("a", "b")
    components = connected_components(linked, "a", "b")
    extents = regions.groupBy("region").agg(
        F.first("doc").alias("doc"), F.min("start").alias("start"), F.max("end").alias("end")
    )
    named = components.withColumnRenamed("node", "region")
    return extents.join(named, "region").select("component", "region", "doc", "start", "end")


def _members(labels: DataFrame) -> DataFrame:
    """``(component, doc, start, end)``: each cluster's members, the unions of its
    overlapping regions on one document (as the local loop joins a region to the last
    member when it starts before that member's end)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_start = Window.partitionBy("component", "doc").orderBy("start", "region")
    before = by_start.rowsBetween(Window.unboundedPreceding, -1)
    reach = F.max("end").over(before)
    opens = (reach.isNull() | (F.col("start") >= reach)).cast("long")
    counted = labels.withColumn("opens", opens).withColumn(
        "member", F.sum("opens").over(by_start.rowsBetween(Window.unboundedPreceding, 0))
    )
    return (
        counted.groupBy("component", "doc", "member")
        .agg(F.min("start").alias("start"), F.max("end").alias("end"))
        .drop("member")
    )


def _date_order() -> Column:
    """A member's place in date order (:func:`reprints.group._order_key`): dated
    documents first, by date, then by document (numbers follow ids), then by start."""
    from pyspark.sql import functions as F

    return F.struct(
        F.col("date").isNull().alias("undated"),
        F.coalesce("date", F.lit("")).alias("date"),
        F.col("doc").alias("doc"),
        F.col("start").alias("start"),
        F.col("end").alias("end"),
    )


def _clusters(members: DataFrame, labels: DataFrame) -> DataFrame:
    """``(component, cluster, size, first)``: each cluster's number in the local order,
    its member count and its first member in date order (``first.doc``, ...)."""
    from pyspark.sql import functions as F

    firsts = labels.groupBy("component").agg(F.min(F.struct("doc", "start", "region")).alias("met"))
    sizes = members.groupBy("component").agg(
        F.count(F.lit(1)).alias("size"),
        F.sum(F.col("end") - F.col("start")).alias("text"),
        F.min(_date_order()).alias("first"),
    )
    table = sizes.join(firsts, "component")
    order = [
        F.col("size").desc(),
        F.col("text").desc(),
        F.col("first.doc").asc(),
        F.col("first.start").asc(),
        F.col("met").asc(),
    ]
    return numbered_by(table, order, "cluster").select("component", "cluster", "size", "first")


def _parents(members: DataFrame, min_overlap: float) -> DataFrame:
    """``(cluster, part_of)``: for each cluster that is a fragment, the smallest earlier
    cluster holding each of its members in one of its own (by ``min_overlap`` of the
    member's length, as :func:`reprints.group._parents` rules)."""
    from pyspark.sql import functions as F

    mine = members.select("cluster", "doc", "start", "end")
    other = mine.select(
        F.col("cluster").alias("o_cluster"),
        "doc",
        F.col("start").alias("o_start"),
        F.col("end").alias("o_end"),
    )
    overlap = F.least("end", "o_end") - F.greatest("start", "o_start")
    need = F.lit(min_overlap) * F.greatest(F.col("end") - F.col("start"), F.lit(1))
    inside = mine.join(other, "doc").where(
        (F.col("o_cluster") < F.col("cluster")) & (overlap.cast("double") >= need)
    )
    held = inside.groupBy("cluster", "o_cluster").agg(F.countDistinct("doc", "start").alias("held"))
    sizes = mine.groupBy("cluster").agg(F.count(F.lit(1)).alias("size"))
    whole = held.join(sizes, "cluster").where(F.col("held") == F.col("size"))
    return whole.groupBy("cluster").agg(F.min("o_cluster").alias("part_of"))


def _figures(table: DataFrame) -> PassageFigures:
    """The summary's figures of the passage clusters: one row to the driver."""
    from pyspark.sql import functions as F

    found = table.agg(
        F.count(F.lit(1)),
        F.sum("size"),
        F.max("size"),
        F.count("part_of"),
    ).first()
    clusters, members, largest, fragments = (int(x or 0) for x in (found or (0, 0, 0, 0)))
    return PassageFigures(clusters, members, largest, fragments)


def _lines(documents: DataFrame, members: DataFrame, table: DataFrame) -> DataFrame:
    """``(cluster, value)``: each cluster's line, its members (by id) in date order and
    its first member's text, from the document's text in ``mapInArrow``."""
    from pyspark.sql import functions as F

    ids = documents.select("doc", "id")
    placed = F.struct(_date_order().alias("at"), "id")
    listed = (
        members.join(ids, "doc")
        .groupBy("cluster")
        .agg(F.sort_array(F.collect_list(placed)).alias("members"))
    )
    texts = documents.select(F.col("doc").alias("first_doc"), "text")
    rows = (
        table.select("cluster", "part_of", F.col("first.doc").alias("first_doc"))
        .join(listed, "cluster")
        .join(texts, "first_doc")
        .select("cluster", "part_of", "members", "text")
    )
    return rows.mapInArrow(_cluster_lines(), ddl(_LINES))


def _cluster_lines() -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each cluster's row as its ``clusters.jsonl`` line."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            numbers, lines = [], []
            for row in batch.to_pylist():
                members = tuple(
                    Member(m["id"], int(m["at"]["start"]), int(m["at"]["end"]))
                    for m in row["members"]
                )
                first = members[0]
                text = (row["text"] or "")[first.start : first.end]
                cluster = PassageCluster(
                    int(row["cluster"]),
                    members,
                    text[:REPRESENTATIVE_CHARS],
                    len(text) > REPRESENTATIVE_CHARS,
                    row["part_of"],
                )
                numbers.append(cluster.id)
                lines.append(dumps(cluster.to_json()))
            yield pa.RecordBatch.from_arrays(
                [pa.array(numbers, pa.int64()), pa.array(lines, pa.string())], schema=_LINES
            )

    return run
