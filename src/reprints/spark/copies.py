"""Exact copies on Spark: :mod:`reprints.copies`, with the grouping made on the driver.

Every document's content key comes out of the fingerprint step (``key_hi``,
``key_lo``); the ``(doc, key)`` rows are collected to the driver (24 bytes a document,
as the Spark dedup already holds per-document arrays there) and grouped by
:meth:`ExactCopies.of`, the function every runner calls. The groups go back to Spark
as one ``(doc, first, size)`` frame, which

- keeps only representatives' anchors, each weighing its group's size against
  ``max_df`` in the posting-list shuffle (:func:`representative_anchors`);
- expands the representatives' pairs and repeat candidates to every copy by joins,
  and adds the pairs the grouping makes (:meth:`ExactCopies.group_pairs`, on the
  driver: at most ``max_df`` - 1 pairs a copy) (:func:`copy_tasks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from reprints.copies import ExactCopies
from reprints.finding import REPEATS
from reprints.spark.candidates import SparkCandidates, to_hash

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

I64 = npt.NDArray[np.int64]


def exact_copies(fingerprinted: DataFrame, count: int) -> ExactCopies:
    """The groups of identical documents of ``fingerprinted`` (rows of
    :data:`~reprints.spark.fingerprint.FINGERPRINT_SCHEMA`, documents 0..count-1)."""
    keys = np.zeros((count, 2), dtype=np.uint64)
    rows: Any = fingerprinted.select("doc", "key_hi", "key_lo").toPandas()
    docs = rows["doc"].to_numpy(dtype=np.int64)
    keys[docs, 0] = to_hash(rows["key_hi"].to_numpy(dtype=np.int64))
    keys[docs, 1] = to_hash(rows["key_lo"].to_numpy(dtype=np.int64))
    return ExactCopies.of(keys)


def groups_frame(spark: SparkSession, copies: ExactCopies) -> DataFrame:
    """``(doc, first, size)`` for every document: its group's first and its size."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "doc": np.arange(len(copies), dtype=np.int64),
            "first": copies.first.astype(np.int64),
            "size": copies.sizes().astype(np.int64),
        }
    )
    return spark.createDataFrame(frame, "doc long, first long, size long")


def representative_anchors(
    fingerprinted: DataFrame, groups: DataFrame, column: str = "anchor_hashes"
) -> DataFrame:
    """The ``(hash, doc, weight)`` rows of the representatives' anchors (or, with
    ``column="key_hashes"``, sentence keys), ``weight`` their group's size, for
    :func:`~reprints.spark.candidates.spark_candidates`."""
    from pyspark.sql import functions as F

    firsts = groups.where(F.col("doc") == F.col("first"))
    firsts = firsts.select("doc", F.col("size").alias("weight"))
    return (
        fingerprinted.select("doc", column)
        .join(firsts, "doc")
        .select("doc", F.explode(column).alias("hash"), "weight")
    )


def copy_tasks(
    found: SparkCandidates,
    groups: DataFrame,
    copies: ExactCopies,
    max_df: int,
    self_repeats: bool,
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
    inside = copies.group_pairs(max_df)
    if inside.shape[0]:
        tasks = tasks.union(_pairs_frame(groups.sparkSession, inside, copies.sizes()))
    if self_repeats:
        repeats = found.repeats.select(F.col("doc").alias("first")).join(members, "first")
        tasks = tasks.union(
            repeats.select("doc", F.lit(REPEATS).cast("long"), F.lit(1).cast("long"))
        )
    return tasks


def _pairs_frame(spark: SparkSession, pairs: I64, sizes: I64) -> DataFrame:
    """``(a, b, size)`` of pairs inside groups, ``size`` the group's."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "a": pairs[:, 0].astype(np.int64),
            "b": pairs[:, 1].astype(np.int64),
            "size": sizes[pairs[:, 0]].astype(np.int64),
        }
    )
    return spark.createDataFrame(frame, "a long, b long, size long")
