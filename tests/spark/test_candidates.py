"""Candidates on Spark (reprints.spark.candidates) equal find_candidates on the whole."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reprints.candidates import find_candidates
from reprints.spark.candidates import spark_candidates, to_hash, to_long
from tests.spark._partitions import SHUFFLE_PARTITIONS, shuffle_partitions


def compare(
    spark: Any,
    hashes: np.ndarray,
    docs: np.ndarray,
    max_df: int,
    weights: np.ndarray | None = None,
) -> list[tuple[int, int, int]]:
    """Spark's candidates of these anchors are exactly the in-memory ones: the pairs
    ``(a, b, shared anchors)`` they both found; with ``weights`` (by document), each
    document weighs that many against ``max_df``, as a representative of copies."""
    expected = find_candidates(hashes, docs, max_df, weights=weights)
    if weights is None:
        rows = list(zip(to_long(hashes).tolist(), docs.tolist(), strict=True))
        frame = spark.createDataFrame(rows, "hash long, doc long")
    else:
        weighed = weights[docs].tolist()
        rows = list(zip(to_long(hashes).tolist(), docs.tolist(), weighed, strict=True))
        frame = spark.createDataFrame(rows, "hash long, doc long, weight long")
    found = spark_candidates(frame, max_df)
    pairs = sorted((r["a"], r["b"], r["shared"]) for r in found.pairs.collect())
    want = sorted(
        zip(
            expected.pairs[:, 0].tolist(),
            expected.pairs[:, 1].tolist(),
            expected.shared_anchors.tolist(),
            strict=True,
        )
    )
    assert pairs == want
    assert sorted(r["doc"] for r in found.repeats.collect()) == expected.self_docs.tolist()
    capped = np.sort(to_hash([r["hash"] for r in found.capped.collect()]))
    assert capped.tolist() == expected.capped.tolist()
    assert found.capped_hashes.tolist() == expected.capped.tolist()
    assert found.capped_df.tolist() == np.asarray(expected.capped_df).tolist()
    assert (found.anchors, found.postings) == (expected.anchors, expected.postings)
    return pairs


@st.composite
def anchor_sets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
    """Anchors over a few documents and hashes, the high bit set on some (negative as
    Spark longs), repeats inside a document included; maybe weights of copies."""
    n = draw(st.integers(1, 200))
    values = st.sampled_from([1, 7, 2**63 + 5, 2**64 - 1, 99, 12345])
    hashes = draw(st.lists(values, min_size=n, max_size=n))
    docs = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    weights = draw(st.none() | st.lists(st.integers(1, 5), min_size=31, max_size=31))
    return (
        np.array(hashes, np.uint64),
        np.array(docs, np.int64),
        draw(st.integers(1, 12)),
        None if weights is None else np.array(weights, np.int64),
    )


@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(anchors=anchor_sets(), partitions=st.sampled_from(SHUFFLE_PARTITIONS))
def test_random_anchors_give_the_in_memory_candidates(
    spark: Any, anchors: tuple[np.ndarray, np.ndarray, int, np.ndarray | None], partitions: int
) -> None:
    hashes, docs, max_df, weights = anchors
    with shuffle_partitions(spark, partitions):
        compare(spark, hashes, docs, max_df, weights)


def test_a_template_in_ten_thousand_documents_is_capped_before_pairing(
    spark: Any, partitions: int
) -> None:
    # Every document holds the template's anchor; pairs come only from planted copies.
    rng = np.random.default_rng(7)
    docs = np.arange(10_000, dtype=np.int64)
    template = np.full(10_000, 2**63 + 11, dtype=np.uint64)
    own = rng.integers(0, 2**64 - 1, size=10_000, dtype=np.uint64)
    planted = np.array([3, 4, 4000, 9999], dtype=np.int64)
    hashes = np.concatenate((template, own, np.full(4, 42, np.uint64)))
    owners = np.concatenate((docs, docs, planted))
    pairs = compare(spark, hashes, owners, max_df=100)
    assert pairs == [(a, b, 1) for i, a in enumerate(planted) for b in planted[i + 1 :]]


def test_representatives_weigh_their_copies_against_the_cap(spark: Any) -> None:
    # Hash 5 in 4 documents, one standing for 3 copies: 6 > max_df 4, capped (df 6);
    # hash 9 in documents 1 and 2 only: paired.
    hashes = np.array([5, 5, 5, 5, 9, 9], np.uint64)
    docs = np.array([0, 1, 2, 3, 1, 2], np.int64)
    weights = np.array([3, 1, 1, 1], np.int64)
    assert compare(spark, hashes, docs, 4, weights) == [(1, 2, 1)]
    assert compare(spark, hashes, docs, 6, weights) != [(1, 2, 1)]
