"""dedup's clusters on Spark: exact groups, LSH bands, verification, connected
components and the keep rule, each a shuffle over the sketches, none on the driver.

The sketches (:data:`SKETCH_SCHEMA` rows, one per document, made by
:func:`reprints.spark.dedup.sketch_partition`) carry what the local runner keeps per
document, and each document's LSH band keys (:func:`reprints.minhash.band_keys`, the
function :func:`reprints.dedup.kernels.lsh_candidates` calls). From them, as
:func:`reprints.dedup.decide.clusters_of` does on one machine:

1. *exact groups* by a window over the 128-bit token-stream hash: the group's first
   member is its smallest number (:func:`~reprints.dedup.kernels.exact_groups`);
2. *LSH candidates* by a shuffle on (band, key) of the groups' first members. Inside
   a bucket, :func:`~reprints.minhash.candidate_pairs` links each member to its
   neighbour and to the bucket's first, in the order of the representatives (by
   exact hash); a window ordered by the hash gives the same pairs, so a bucket of any
   size makes as many pairs as it does locally, linear in its size;
3. *verification* by joining both documents' shingles (or signatures, without
   ``verify``) to each pair, scored in ``mapInArrow`` by
   :func:`~reprints.dedup.kernels.pair_jaccards` (or
   :func:`~reprints.minhash.estimate_jaccard`);
4. *clusters* by :func:`reprints.spark.components.connected_components` over the exact
   groups' edges and the verified pairs;
5. *keep* per cluster: its members' arrays through
   :func:`~reprints.dedup.kernels.keep_in_cluster` in ``mapInArrow``; the near losers'
   scores looked up among the scored pairs, the others scored as in step 3.

The driver receives one row per removed document and five counts.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from reprints.dedup.decide import Clusters, Sketched
from reprints.dedup.kernels import (
    REMOVED,
    SKIPPED,
    keep_in_cluster,
    keep_rank,
    pair_jaccards,
    removal_reasons,
)
from reprints.dedup.options import DedupOptions
from reprints.dedup.summary import ClusterFigures, LshFigures
from reprints.minhash import estimate_jaccard
from reprints.pipeline import StageClock
from reprints.spark.components import connected_components
from reprints.spark.schema import ddl

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, Row


# One row per document. ``exact_hi``/``exact_lo`` are the halves of the token-stream
# hash with their top bit flipped, so that Spark's signed order of the longs is the
# unsigned order the local runner sorts the representatives in.
SKETCHES = pa.schema(
    [
        ("k", pa.int64()),
        ("id", pa.string()),
        ("tokens", pa.int64()),
        ("exact_hi", pa.int64()),
        ("exact_lo", pa.int64()),
        ("bands", pa.list_(pa.int64())),
        ("signature", pa.binary()),
        ("shingles", pa.binary()),
        ("keep", pa.binary()),
    ]
)
SKETCH_SCHEMA = ddl(SKETCHES)
_SCORES = pa.schema([("a", pa.int64()), ("b", pa.int64()), ("score", pa.float64())])
_LOSERS = pa.schema(
    [
        ("k", pa.int64()),
        ("kept", pa.int64()),
        ("exact", pa.bool_()),
        ("a", pa.int64()),
        ("b", pa.int64()),
    ]
)
_TOP_BIT = np.uint64(1 << 63)


def signed_halves(exact: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """The ``(n, 2)`` unsigned hash halves as longs ordered as the unsigned values."""
    return (exact ^ _TOP_BIT).view(np.int64)


@dataclass(frozen=True, slots=True)
class Stages:
    """The frames of the clustering, for a caller that wants to look at them."""

    groups: DataFrame  # (k, first): each document with words, its exact group's first
    candidates: DataFrame  # (a, b): LSH candidate pairs, a < b, unique
    scored: DataFrame  # (a, b, score): the candidates scored


def spark_clusters(
    sketches: DataFrame, sketched: Sketched, options: DedupOptions, clock: StageClock
) -> Clusters:
    """The :class:`Clusters` of :func:`reprints.dedup.decide.clusters_of`, made in
    Spark from ``sketches``. ``sketched`` (ids, token counts and keep values in
    document order, no signatures) gives the keep rank containment needs and the
    skipped documents."""
    from pyspark.sql import functions as F

    groups = exact_groups(sketches).persist()
    representatives = groups.where(F.col("k") == F.col("first")).count()
    clock.lap("exact")
    candidates = lsh_candidates(sketches, groups)
    score = pair_scorer(sketches, options)
    scored = score(candidates).localCheckpoint()
    counts = scored.agg(
        F.count(F.lit(1)).alias("pairs"),
        F.coalesce(F.sum((F.col("score") >= options.threshold).cast("long")), F.lit(0)),
    ).first()
    assert counts is not None
    candidate_count, verified = int(counts[0]), int(counts[1])
    clock.lap("verify")
    near = scored.where(F.col("score") >= options.threshold).select("a", "b")
    exact_edges = groups.where(F.col("k") != F.col("first")).select("k", "first")
    edges = near.union(exact_edges.toDF("a", "b"))
    labels = connected_components(edges, "a", "b")
    losers = cluster_losers(labels, sketches, groups, options).persist()
    near_scores = loser_scores(losers, scored, score)
    decided = losers.join(near_scores, ["a", "b"], "left").select("k", "kept", "exact", "score")
    found = decided.collect()
    losers.unpersist()
    groups.unpersist()
    clock.lap("cluster")
    return _clusters(found, sketched, options, (representatives, candidate_count, verified))


def _clusters(
    found: list[Row], sketched: Sketched, options: DedupOptions, counts: tuple[int, int, int]
) -> Clusters:
    """The driver's part: the status and reasons from the losers' rows."""
    tokens = sketched.tokens
    n = tokens.shape[0]
    status = np.zeros(n, dtype=np.int8)
    status[tokens == 0] = SKIPPED
    kept_of = np.arange(n, dtype=np.int64)
    exact_losers, near_losers, near_scores = [], [], []
    for row in sorted(found, key=lambda r: r["k"]):
        kept_of[row["k"]] = row["kept"]
        if row["exact"]:
            exact_losers.append(row["k"])
        else:
            near_losers.append(row["k"])
            near_scores.append(row["score"])
    losers = np.array([r["k"] for r in found], dtype=np.int64)
    status[losers] = REMOVED
    reasons = removal_reasons(
        kept_of,
        np.array(exact_losers, dtype=np.int64),
        np.array(near_losers, dtype=np.int64),
        np.array(near_scores, dtype=np.float64),
    )
    representatives, candidates, verified = counts
    bands, rows = options.bands_rows()
    figures = ClusterFigures(
        tokens=int(tokens.sum()),
        exact_groups=representatives,
        lsh=LshFigures(bands, rows, candidates),
        verified_pairs=verified,
        clusters_with_removals=len({r["kept"] for r in found}),
    )
    rank = keep_rank(options.keep, tokens, sketched.ids, sketched.keep_values)
    return Clusters(status, reasons, rank, figures)


def exact_groups(sketches: DataFrame) -> DataFrame:
    """``(k, first)`` for every document with words: the smallest number among the
    documents with its token-stream hash."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    same = Window.partitionBy("exact_hi", "exact_lo")
    valid = sketches.where(F.col("tokens") > 0)
    return valid.select("k", F.min("k").over(same).alias("first"))


def lsh_candidates(sketches: DataFrame, groups: DataFrame) -> DataFrame:
    """``(a, b)``, ``a < b``, unique: the pairs of exact groups' first members that
    :func:`reprints.dedup.kernels.lsh_candidates` makes, by a shuffle on the band keys.

    In each (band, key) bucket, ordered by exact hash (the local order of the
    representatives), every member pairs with the one before it and with the first."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    firsts = groups.where(F.col("k") == F.col("first")).select("k")
    keyed = sketches.select("k", "exact_hi", "exact_lo", F.posexplode("bands").alias("band", "key"))
    keyed = keyed.join(firsts, "k")
    bucket = Window.partitionBy("band", "key").orderBy("exact_hi", "exact_lo")
    linked = keyed.select(
        "k",
        F.lag("k").over(bucket).alias("previous"),
        F.first("k").over(bucket).alias("head"),
    )
    neighbours = linked.where(F.col("previous").isNotNull()).select(
        "k", F.col("previous").alias("o")
    )
    heads = linked.where(F.col("head") != F.col("k")).select("k", F.col("head").alias("o"))
    pairs = neighbours.union(heads)
    ordered = pairs.select(F.least("k", "o").alias("a"), F.greatest("k", "o").alias("b"))
    return ordered.distinct()


def pair_scorer(sketches: DataFrame, options: DedupOptions) -> Callable[[DataFrame], DataFrame]:
    """A function from ``(a, b)`` pairs to ``(a, b, score)``: their true Jaccard from
    the shingles with ``verify``, else the MinHash estimate from the signatures."""
    from pyspark.sql import functions as F

    column = "shingles" if options.verify else "signature"
    side_a = sketches.select(F.col("k").alias("a"), F.col(column).alias("sa"))
    side_b = sketches.select(F.col("k").alias("b"), F.col(column).alias("sb"))

    def score(pairs: DataFrame) -> DataFrame:
        joined = pairs.join(side_a, "a").join(side_b, "b").select("a", "b", "sa", "sb")
        return joined.mapInArrow(score_partition(options.verify), ddl(_SCORES))

    return score


def score_partition(verify: bool) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each pair's score, by :func:`pair_jaccards` over
    shingles or :func:`estimate_jaccard` over signatures."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = batch.to_pydict()
            count = len(columns["a"])
            if verify:
                shingles = (
                    (np.frombuffer(a, dtype=np.uint64), np.frombuffer(b, dtype=np.uint64))
                    for a, b in zip(columns["sa"], columns["sb"], strict=True)
                )
                scores = pair_jaccards(shingles, count)
            elif count:
                sa = np.frombuffer(b"".join(columns["sa"]), dtype=np.uint32).reshape(count, -1)
                sb = np.frombuffer(b"".join(columns["sb"]), dtype=np.uint32).reshape(count, -1)
                scores = estimate_jaccard(sa, sb)
            else:
                scores = np.zeros(0, dtype=np.float64)
            cells = [
                pa.array(columns["a"], pa.int64()),
                pa.array(columns["b"], pa.int64()),
                pa.array(scores, pa.float64()),
            ]
            yield pa.RecordBatch.from_arrays(cells, schema=_SCORES)

    return run


def cluster_losers(
    labels: DataFrame, sketches: DataFrame, groups: DataFrame, options: DedupOptions
) -> DataFrame:
    """``(k, kept, exact, a, b)`` for every removed document: the member its cluster
    keeps, whether it is an exact copy of it, and (near losers) the pair ``a < b``
    whose score is its own. Each cluster's members go to one task together."""
    from pyspark.sql import functions as F

    members = labels.select(F.col("node").alias("k"), "component")
    info = sketches.select("k", "id", "tokens", "keep").join(groups, "k")
    member = F.struct("k", "id", "tokens", "keep", F.col("first").alias("exact_of"))
    clusters = (
        members.join(info, "k").groupBy("component").agg(F.collect_list(member).alias("members"))
    )
    decided = clusters.select("members").mapInArrow(
        keep_partition(options.keep, options.keeps_by_field), ddl(_LOSERS)
    )
    return decided


def keep_partition(
    keep: str, by_field: bool
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: each cluster (a row of its members) through
    :func:`keep_in_cluster`."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out: dict[str, list[object]] = {name: [] for name in _LOSERS.names}
            for members in batch.column("members").to_pylist():
                _decide_cluster(members, keep, by_field, out)
            yield pa.RecordBatch.from_pydict(out, schema=_LOSERS)

    return run


def _decide_cluster(
    members: list[dict[str, object]], keep: str, by_field: bool, out: dict[str, list[object]]
) -> None:
    """One cluster's losers appended to the columns of ``out``."""
    numbers = np.array([m["k"] for m in members], dtype=np.int64)
    values = [pickle.loads(m["keep"]) for m in members] if by_field else None  # type: ignore[arg-type]
    decided = keep_in_cluster(
        keep,
        [str(m["id"]) for m in members],
        np.array([m["tokens"] for m in members], dtype=np.int64),
        np.array([m["exact_of"] for m in members], dtype=np.int64),
        values,
    )
    kept = int(numbers[decided.kept])
    for i in decided.exact_losers.tolist():
        for name, value in zip(
            _LOSERS.names, (int(numbers[i]), kept, True, None, None), strict=True
        ):
            out[name].append(value)
    pairs = np.sort(decided.near_pairs, axis=1).tolist()
    for i, (a, b) in zip(decided.near_losers.tolist(), pairs, strict=True):
        for name, value in zip(_LOSERS.names, (int(numbers[i]), kept, False, a, b), strict=True):
            out[name].append(value)


def loser_scores(
    losers: DataFrame, scored: DataFrame, score: Callable[[DataFrame], DataFrame]
) -> DataFrame:
    """``(a, b, score)`` of every near loser's pair: from the scored candidates where
    it is one (:func:`reprints.dedup.kernels.known_scores`), else scored now."""
    from pyspark.sql import functions as F

    wanted = losers.where(~F.col("exact")).select("a", "b").distinct()
    known = wanted.join(scored, ["a", "b"])
    unknown = wanted.join(scored, ["a", "b"], "left_anti")
    return known.unionByName(score(unknown))
