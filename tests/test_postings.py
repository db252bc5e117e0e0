"""Lone anchors set aside before the anchor index is sorted: the same candidates."""

from __future__ import annotations

import numpy as np
import pytest

import reprints.candidates as candidates
from reprints.postings import LoneAnchors, join_capped, member_of, shared_in_sorted, sorted_rows


def _without_setting_aside(hashes, docs, shared, max_df, weights):  # type: ignore[no-untyped-def]
    """lone_anchors as if no anchor were lone: find_candidates as it was before."""
    return LoneAnchors(0, np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))


def candidate_fields(found: candidates.Candidates) -> dict[str, object]:
    return {
        "pairs": found.pairs.tolist(),
        "shared": found.shared_anchors.tolist(),
        "self": found.self_docs.tolist(),
        "capped": found.capped.tolist(),
        "capped_df": None if found.capped_df is None else found.capped_df.tolist(),
        "anchors": found.anchors,
        "postings": found.postings,
    }


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_same_candidates_as_without_setting_lone_anchors_aside(
    monkeypatch: pytest.MonkeyPatch, seed: int, weighted: bool
) -> None:
    rng = np.random.default_rng(seed)
    n, docs_count = 4000, 300
    # Mostly lone hashes (as in a real collection), some shared, some repeated in a doc.
    hashes = rng.integers(0, 2**63, size=n).astype(np.uint64)
    common = rng.integers(0, 400, size=n // 3).astype(np.uint64)
    hashes[rng.choice(n, size=n // 3, replace=False)] = common
    docs = np.sort(rng.integers(0, docs_count, size=n)).astype(np.int64)
    weights = rng.integers(1, 4, size=docs_count).astype(np.int64) if weighted else None
    if weights is not None:
        weights[rng.choice(docs_count, size=10, replace=False)] = 50  # over max_df alone
    for max_df, min_shared in [(8, 1), (20, 2), (1, 1)]:
        now = candidates.find_candidates(hashes, docs, max_df, min_shared, weights)
        with monkeypatch.context() as patch:
            patch.setattr(candidates, "lone_anchors", _without_setting_aside)
            before = candidates.find_candidates(hashes, docs, max_df, min_shared, weights)
        assert candidate_fields(now) == candidate_fields(before)
    assert now.postings > now.anchors // 2  # most were lone


def test_no_anchor_or_all_lone() -> None:
    empty = candidates.find_candidates(np.zeros(0, np.uint64), np.zeros(0, np.int64), 5)
    assert empty.postings == 0 and empty.anchors == 0
    hashes = np.array([3, 1, 2], dtype=np.uint64)
    docs = np.array([0, 1, 2], dtype=np.int64)
    weights = np.array([1, 9, 1], dtype=np.int64)
    found = candidates.find_candidates(hashes, docs, 5, weights=weights)
    assert found.pairs.shape == (0, 2) and found.postings == 3 and found.anchors == 3
    assert found.capped.tolist() == [1] and found.capped_df is not None
    assert found.capped_df.tolist() == [9]


def test_shared_in_sorted() -> None:
    values = np.array([1, 1, 1, 5, 5, 7, 9], dtype=np.uint64)
    assert shared_in_sorted(values).tolist() == [True] * 5 + [False, False]
    assert shared_in_sorted(values[:1]).tolist() == [False]
    assert shared_in_sorted(np.zeros(0, dtype=np.uint64)).tolist() == []
    rng = np.random.default_rng(0)
    many = np.sort(rng.integers(0, 500, size=2000).astype(np.uint64))
    _, inverse, counts = np.unique(many, return_inverse=True, return_counts=True)
    assert shared_in_sorted(many).tolist() == (counts[inverse] > 1).tolist()


@pytest.mark.parametrize("in_document_order", [True, False])
@pytest.mark.parametrize("size", [0, 1, 3000, 40_000])
def test_sorted_rows_are_in_hash_then_document_order(in_document_order: bool, size: int) -> None:
    rng = np.random.default_rng(1)
    # Full-width hashes (bucketed by their top bits) with many repeated, and a few small.
    hashes = rng.integers(0, 2**64 - 1, size=size, dtype=np.uint64)
    hashes[: size // 2] = rng.choice(hashes, size=size // 2) if size else hashes[:0]
    hashes[: size // 10] = rng.integers(0, 50, size=size // 10).astype(np.uint64)
    docs = rng.integers(0, 200, size=size).astype(np.int64)
    if in_document_order:  # the stable argsort's case
        docs = np.sort(docs)
    h, d = sorted_rows(hashes, docs)
    order = np.lexsort((docs, hashes))
    assert h.tolist() == hashes[order].tolist() and d.tolist() == docs[order].tolist()


def test_member_of(monkeypatch: pytest.MonkeyPatch) -> None:
    import reprints.postings as postings

    values = np.array([5, 1, 5, 7, 1, 1, 9], dtype=np.uint64)
    monkeypatch.setattr(postings, "_CHUNK", 2)  # several chunks
    found = member_of(values, np.array([1, 5], dtype=np.uint64))
    assert found.tolist() == [True, True, True, False, True, True, False]
    assert not member_of(values, np.zeros(0, dtype=np.uint64)).any()


def test_positions_joined_as_int32_when_they_fit() -> None:
    from reprints.arrays import narrowest
    from reprints.fingerprint import Anchors

    small = [np.array([0, 5, 2**31 - 1], dtype=np.int64), np.zeros(0, dtype=np.int64)]
    assert narrowest(small).dtype == np.int32
    assert narrowest(small).tolist() == [0, 5, 2**31 - 1]
    big = [np.array([1], dtype=np.int64), np.array([2**31], dtype=np.int64)]
    assert narrowest(big).dtype == np.int64 and narrowest(big).tolist() == [1, 2**31]
    assert narrowest([]).shape == (0,)
    parts = [
        Anchors(np.array([0, 2]), np.array([3, 9]), np.array([7, 8], dtype=np.uint64)),
        Anchors(np.array([0, 1]), np.array([4]), np.array([6], dtype=np.uint64)),
    ]
    joined = Anchors.concat(parts)
    assert joined.positions.dtype == np.int32
    assert joined.of(1)[0].tolist() == [4] and joined.of(0)[0].tolist() == [3, 9]


def test_join_capped_sorts_disjoint_parts_with_their_counts() -> None:
    u64, i64 = np.uint64, np.int64
    parts = [np.array([2, 9], u64), np.array([], u64), np.array([1, 5, 12], u64)]
    dfs = [np.array([20, 90], i64), np.array([], i64), np.array([10, 50, 120], i64)]
    hashes, counts = join_capped(parts, dfs)
    assert hashes.tolist() == [1, 2, 5, 9, 12]
    assert counts.tolist() == [10, 20, 50, 90, 120]
    alone, alone_df = join_capped([parts[1], parts[0]], [dfs[1], dfs[0]])
    assert alone is parts[0] and alone_df is dfs[0]  # one part with hashes: itself
    none, none_df = join_capped([], [])
    assert none.dtype == np.uint64 and none_df.dtype == np.int64 and none.shape == (0,)
