"""Connected components of a graph held as a Spark DataFrame of edges.

The alternating large-star / small-star algorithm of Kiveris, Lattanzi, Mirrokni,
Rastogi and Vassilvitskii, "Connected Components in MapReduce and Beyond" (SoCC
2014): both operations keep every component connected and move every node's edges
towards the smallest node it can reach, and after O(log² n) rounds each component is
a star whose centre is its smallest node. Each round is a few joins and min-aggregates
(no per-node neighbour lists, so a star of a million leaves is a million rows, not
one huge list), and its result is checkpointed so the lineage of round k does not
hold every round before it.

This replaces GraphFrames' connectedComponents, which has open correctness bugs
under adaptive query execution and is a jar fetched from a Maven repository at run
time. Every step here is a deterministic function of the edge set, so the result
does not depend on partitioning, AQE or task order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# Kiveris et al. prove O(log² n) rounds; 64 is far above that for any n that fits in
# a long, so reaching it means a bug, reported rather than looped on forever.
MAX_ROUNDS = 64


def connected_components(edges: DataFrame, src: str = "src", dst: str = "dst") -> DataFrame:
    """Each node of ``edges`` (long ids, either direction, repeats and self-loops
    allowed) with its component: the smallest node of that component.

    Returns a DataFrame ``(node, component)`` with one row per distinct node that
    appears in ``edges``; nodes in no edge are not there (a caller's singletons).
    Nothing is collected to the driver but one convergence flag per round.
    """
    from pyspark.sql import functions as F

    pairs = edges.select(F.col(src).cast("long").alias("u"), F.col(dst).cast("long").alias("v"))
    nodes = pairs.select(F.col("u").alias("node")).union(pairs.select(F.col("v").alias("node")))
    nodes = nodes.distinct()
    graph = _oriented(pairs.where(F.col("u") != F.col("v")))
    for _ in range(MAX_ROUNDS):
        graph = _checkpoint(_small_star(_large_star(graph)))
        if _is_star_forest(graph):
            break
    else:
        raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
    # ``graph`` now links every node but the component minima to their minimum (an
    # edge may be there more than once: the rounds never de-duplicate their output).
    parent = graph.groupBy(F.col("u").alias("node")).agg(F.min("v").alias("component"))
    return nodes.join(parent, "node", "left").select(
        "node", F.coalesce(F.col("component"), F.col("node")).alias("component")
    )


def _oriented(pairs: DataFrame) -> DataFrame:
    """Undirected edges as ``(u, v)`` with ``u > v`` (repeats are dropped by the rounds)."""
    from pyspark.sql import functions as F

    return pairs.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))


def _large_star(graph: DataFrame) -> DataFrame:
    """Large-star: every neighbour ``w`` of ``x`` with ``w > x`` is linked to the
    smallest of ``x`` and its neighbours instead of to ``x``.

    One shuffle: both directions of every edge are partitioned by ``x``, which the
    de-duplication and the per-node minimum then share."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    both = graph.select(F.col("u").alias("x"), F.col("v").alias("w")).union(
        graph.select(F.col("v").alias("x"), F.col("u").alias("w"))
    )
    both = both.repartition("x").distinct()
    least = F.least(F.min("w").over(Window.partitionBy("x")), F.col("x"))
    linked = both.withColumn("m", least).where(F.col("w") > F.col("x"))
    return linked.select(F.col("w").alias("u"), F.col("m").alias("v"))


def _small_star(graph: DataFrame) -> DataFrame:
    """Small-star: ``u`` and each of its smaller neighbours are linked to the smallest
    of them. ``graph`` holds ``(u, v)`` with ``u > v``; so does the result.

    One shuffle: edges partitioned by ``u`` serve the de-duplication and the minimum."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    edges = graph.repartition("u").distinct()
    linked = edges.withColumn("m", F.min("v").over(Window.partitionBy("u")))
    neighbours = linked.where(F.col("v") != F.col("m")).select(
        F.col("v").alias("u"), F.col("m").alias("v")
    )
    centre = linked.where(F.col("v") == F.col("m")).select("u", F.col("m").alias("v"))
    return neighbours.union(centre)


def _is_star_forest(graph: DataFrame) -> bool:
    """Whether ``graph`` (``u > v``, repeats allowed) is a set of disjoint stars: no
    node has edges to two different smaller nodes, and no node has edges both to a
    smaller and from a larger one. Then every ``u`` is labelled by its component's
    minimum ``v``, and the rounds stop. One aggregation, one flag to the driver."""
    from pyspark.sql import functions as F

    up = graph.select(F.col("u").alias("node"), F.col("v").alias("low"), F.lit(False).alias("high"))
    down = graph.select(F.col("v").alias("node"), F.lit(None).cast("long"), F.lit(True))
    ends = up.union(down).groupBy("node")
    degrees = ends.agg(
        F.min("low").alias("first"), F.max("low").alias("last"), F.max("high").alias("high")
    )
    bad = (F.col("first") != F.col("last")) | (F.col("first").isNotNull() & F.col("high"))
    found = degrees.agg(F.max(bad.cast("int")).alias("bad")).first()
    return found is None or not found["bad"]


def _checkpoint(frame: DataFrame) -> DataFrame:
    """``frame`` with its lineage cut: a reliable checkpoint when the job has a
    checkpoint directory (a cluster should), else a local one (executor storage).
    Lazy, so the round's convergence check is the job that materialises it."""
    context = frame.sparkSession.sparkContext
    if context.getCheckpointDir() is not None:
        return frame.checkpoint(eager=False)
    return frame.localCheckpoint(eager=False)
