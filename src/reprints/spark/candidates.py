"""Candidate pairs on Spark: the anchor index's posting lists, grouped by a shuffle.

Anchors (``hash``, ``doc``) are repartitioned by hash, so every posting list lies
whole in one partition; each partition is then handed, as Arrow arrays, to the same
:func:`reprints.candidates.find_candidates` the local engine calls on the whole
collection. The document-frequency cap is therefore applied to each complete posting
list before any pair is made (10,000 copies of a template are one capped hash, never
50 million pairs), and what the partitions return merges exactly: a pair's shared
anchors add up over the partitions that hold them, repeat candidates and capped
hashes are unions, the counts add up.

Hashes are unsigned 64-bit in numpy and signed ``long`` in Spark: the same bits, viewed
each way (:func:`to_long`, :func:`to_hash`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from reprints.candidates import Candidates, KeyRule, find_candidates
from reprints.spark.schema import ddl

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

# What one partition returns: one row per pair, repeat candidate, capped hash, plus one
# row of counts; ``kind`` says which, ``a``/``b``/``shared`` hold it.
PAIR, REPEAT, CAPPED, COUNTS = 0, 1, 2, 3
_FOUND = pa.schema(
    [("kind", pa.int8()), ("a", pa.int64()), ("b", pa.int64()), ("shared", pa.int64())]
)
FOUND_SCHEMA = ddl(_FOUND)


def to_long(hashes: U64) -> I64:
    """Unsigned 64-bit hashes as Spark ``long`` values (the same bits)."""
    return np.ascontiguousarray(hashes, dtype=np.uint64).view(np.int64)


def to_hash(values: npt.ArrayLike) -> U64:
    """Spark ``long`` values back to the unsigned hashes they hold."""
    return np.ascontiguousarray(values, dtype=np.int64).view(np.uint64)


@dataclass(frozen=True, slots=True)
class SparkCandidates:
    """The pairing of a collection, kept distributed.

    ``pairs``: ``(a, b, shared)``, ``a < b`` document numbers, one row per pair;
    ``repeats``: ``(doc)``, documents holding an uncapped anchor twice; ``capped``:
    ``(hash)`` as ``long``, anchors in more than ``max_df`` documents, and
    ``capped_hashes`` the same on the driver, sorted (every alignment task's admission
    reads them: a few bytes per stock phrase of the collection), ``capped_df`` how many
    documents (copies weighed in) hold each of them; ``anchors`` and
    ``postings``: anchor occurrences indexed and distinct hashes, as
    :class:`reprints.candidates.Candidates` counts them.
    """

    pairs: DataFrame
    repeats: DataFrame
    capped: DataFrame
    capped_hashes: U64
    capped_df: I64
    anchors: int
    postings: int


def spark_candidates(
    anchors: DataFrame,
    max_df: int,
    keys: DataFrame | None = None,
    rule: KeyRule | None = None,
) -> SparkCandidates:
    """Candidates of ``anchors`` (columns ``hash`` as long, ``doc`` as long, and
    optionally ``weight``: how many documents ``doc`` stands for against ``max_df``, as
    the ``weights`` of :func:`find_candidates`), with posting lists grouped by
    ``spark.sql.shuffle.partitions`` hash partitions; with ``keys`` (sentence keys, the
    same columns), the pairs they make by ``rule`` too
    (:meth:`reprints.candidates.AnchorIndex.build`), sharing no anchor."""
    from pyspark.sql import functions as F

    found = _partitioned(anchors, max_df)
    kind = F.col("kind")
    pairs = found.where(kind == PAIR).groupBy("a", "b").agg(F.sum("shared").alias("shared"))
    if keys is not None:
        rule = rule or KeyRule()
        by_key = _partitioned(keys, rule.max_df).where(kind == PAIR).groupBy("a", "b")
        keyed = by_key.agg(F.sum("shared").alias("keys")).where(F.col("keys") >= rule.min_shared)
        pairs = pairs.join(keyed.select("a", "b"), ["a", "b"], "full").select(
            "a", "b", F.coalesce(F.col("shared"), F.lit(0)).alias("shared")
        )
    repeats = found.where(kind == REPEAT).select(F.col("a").alias("doc")).distinct()
    capped = found.where(kind == CAPPED).select(F.col("a").alias("hash"))
    total = postings = 0
    hashes, dfs = [], []
    for row in found.where((kind == CAPPED) | (kind == COUNTS)).select("kind", "a", "b").collect():
        if row["kind"] == COUNTS:
            total, postings = total + row["a"], postings + row["b"]
        else:
            hashes.append(row["a"])
            dfs.append(row["b"])
    capped_hashes = to_hash(np.array(hashes, dtype=np.int64))
    order = np.argsort(capped_hashes, kind="stable")
    return SparkCandidates(
        pairs,
        repeats,
        capped,
        capped_hashes[order],
        np.array(dfs, dtype=np.int64)[order],
        int(total),
        int(postings),
    )


def _partitioned(rows: DataFrame, max_df: int) -> DataFrame:
    """What :func:`partition_candidates` finds in each hash partition of ``rows``."""
    from pyspark.sql import functions as F

    weight = F.col("weight") if "weight" in rows.columns else F.lit(1).cast("long")
    grouped = rows.select("hash", "doc", weight.alias("weight")).repartition("hash")
    return grouped.mapInArrow(partition_candidates(max_df), FOUND_SCHEMA).localCheckpoint()


def partition_candidates(
    max_df: int,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: one partition's whole posting lists through
    :func:`find_candidates`, its findings as :data:`FOUND_SCHEMA` rows."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        parts = list(batches)
        if not parts:
            return
        table = pa.Table.from_batches(parts)
        hashes = to_hash(table.column("hash").to_numpy())
        docs = table.column("doc").to_numpy().astype(np.int64)
        weight = table.column("weight").to_numpy().astype(np.int64)
        weights = np.ones(int(docs.max()) + 1 if docs.shape[0] else 1, dtype=np.int64)
        weights[docs] = weight
        yield found_batch(find_candidates(hashes, docs, max_df, weights=weights))

    return run


def found_batch(found: Candidates) -> pa.RecordBatch:
    """One partition's candidates as :data:`FOUND_SCHEMA` rows (a capped hash's
    weighted df in ``b``)."""
    pairs, repeats, capped = found.pairs, found.self_docs, to_long(found.capped)
    n_pairs, n_repeats, n_capped = pairs.shape[0], repeats.shape[0], capped.shape[0]
    zeros = np.zeros(n_repeats + n_capped, dtype=np.int64)
    capped_df = np.zeros(n_capped, dtype=np.int64) if found.capped_df is None else found.capped_df
    kinds = np.concatenate(
        (
            np.full(n_pairs, PAIR, np.int8),
            np.full(n_repeats, REPEAT, np.int8),
            np.full(n_capped, CAPPED, np.int8),
            [COUNTS],
        )
    ).astype(np.int8)
    a = np.concatenate((pairs[:, 0], repeats, capped, [found.anchors])).astype(np.int64)
    b = np.concatenate((pairs[:, 1], zeros[:n_repeats], capped_df, [found.postings]))
    b = b.astype(np.int64)
    shared = np.concatenate((found.shared_anchors, zeros, [0])).astype(np.int64)
    return pa.RecordBatch.from_arrays(
        [pa.array(kinds), pa.array(a), pa.array(b), pa.array(shared)], schema=_FOUND
    )
