"""Exact copies on Spark: the groups of :mod:`reprints.copies`, made by shuffles.

Every document's content key comes out of the fingerprint step (``key_hi``,
``key_lo``). The documents are grouped by their key in Spark (a window over the key:
the group's first document is its smallest number, as :meth:`ExactCopies.of` picks
it; a document without tokens, key (0, 0), is a group of its own), giving one
``(doc, first, size)`` frame (:func:`exact_copies`), which

- keeps only representatives' anchors, each weighing its group's size against
  ``max_df`` in the posting-list shuffle (:func:`representative_anchors`);
- expands the representatives' pairs and repeat candidates to every copy by joins,
  and adds the pairs the grouping makes (:meth:`ExactCopies.group_pairs`: every two
  members of a group of at most ``max_df``, each copy with the first in a larger
  one) by a self-join of the members (:func:`copy_tasks`).

Nothing of it is read to the driver but the number of copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reprints.finding import REPEATS
from reprints.spark.candidates import SparkCandidates

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def exact_copies(fingerprinted: DataFrame) -> DataFrame:
    """``(doc, first, size)`` for every document of ``fingerprinted`` (rows of
    :data:`~reprints.spark.fingerprint.FINGERPRINT_SCHEMA`): the first document of its
    group of identical documents and the group's size (:class:`ExactCopies`' ``first``
    and ``sizes()``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keys = fingerprinted.select("doc", "key_hi", "key_lo")
    alone = (F.col("key_hi") == 0) & (F.col("key_lo") == 0)
    group = Window.partitionBy("key_hi", "key_lo")
    keyed = keys.where(~alone).select(
        "doc",
        F.min("doc").over(group).alias("first"),
        F.count(F.lit(1)).over(group).alias("size"),
    )
    empty = keys.where(alone).select("doc", F.col("doc").alias("first"), F.lit(1).cast("long"))
    return keyed.unionByName(empty.toDF("doc", "first", "size"))


def copies_count(groups: DataFrame) -> int:
    """Documents with an earlier identical document (:meth:`ExactCopies.copies`)."""
    from pyspark.sql import functions as F

    return groups.where(F.col("doc") != F.col("first")).count()


def representative_anchors(
    fingerprinted: DataFrame,
    groups: DataFrame,
    column: str = "anchor_hashes",
    distinct: bool = False,
) -> DataFrame:
    """The ``(hash, doc, weight)`` rows of the representatives' anchors (or, with
    ``column="key_hashes"``, sentence keys), ``weight`` their group's size, for
    :func:`~reprints.spark.candidates.spark_candidates`; with ``distinct``, each hash
    once a document (the posting lists' documents)."""
    from pyspark.sql import functions as F

    firsts = groups.where(F.col("doc") == F.col("first"))
    firsts = firsts.select("doc", F.col("size").alias("weight"))
    hashes = F.array_distinct(column) if distinct else F.col(column)
    return (
        fingerprinted.select("doc", column)
        .join(firsts, "doc")
        .select("doc", F.explode(hashes).alias("hash"), "weight")
    )


def group_pairs(groups: DataFrame, max_clique: int) -> DataFrame:
    """``(a, b, size)``: the pairs :meth:`ExactCopies.group_pairs` makes, ``a < b``,
    ``size`` their group's: every two members of a group of at most ``max_clique``
    documents, in a larger group each copy with the group's first."""
    from pyspark.sql import functions as F

    members = groups.where(F.col("size") > 1)
    star = members.where((F.col("size") > max_clique) & (F.col("doc") != F.col("first")))
    stars = star.select(F.col("first").alias("a"), F.col("doc").alias("b"), "size")
    small = members.where(F.col("size") <= max_clique)
    left = small.select("first", F.col("doc").alias("a"), "size")
    right = small.select("first", F.col("doc").alias("b"))
    cliques = left.join(right, "first").where(F.col("a") < F.col("b"))
    return stars.unionByName(cliques.select("a", "b", "size"))


def copy_tasks(
    found: SparkCandidates, groups: DataFrame, max_df: int, self_repeats: bool
) -> DataFrame:
    """The alignment tasks ``(a, b, size)`` of :func:`reprints.finding.alignment_tasks`:
    every copy of each representative pair (``size`` 1), the group's own pairs
    (``size`` the group's), and with ``self_repeats`` every copy of each repeat
    candidate ``(doc, REPEATS, 1)``."""
    from pyspark.sql import functions as F

    members = groups.select("first", "doc")
    left = members.select(F.col("first").alias("a"), F.col("doc").alias("left"))
    right = members.select(F.col("first").alias("b"), F.col("doc").alias("right"))
    expanded = found.pairs.select("a", "b").join(left, "a").join(right, "b")
    tasks = expanded.select(
        F.least("left", "right").alias("a"),
        F.greatest("left", "right").alias("b"),
        F.lit(1).cast("long").alias("size"),
    )
    tasks = tasks.unionByName(group_pairs(groups, max_df))
    if self_repeats:
        repeats = found.repeats.select(F.col("doc").alias("first")).join(members, "first")
        tasks = tasks.union(
            repeats.select("doc", F.lit(REPEATS).cast("long"), F.lit(1).cast("long"))
        )
    return tasks
