from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.candidates import find_candidates
from tests.test_postings import candidate_fields


def test_pairs_self_repeats_and_df_cap() -> None:
    hashes = np.array([5, 5, 5, 7, 7, 9, 9, 9, 9, 3, 3], dtype=np.uint64)
    docs = np.array([0, 1, 2, 0, 0, 1, 2, 3, 4, 3, 1], dtype=np.int64)
    found = find_candidates(hashes, docs, max_df=3)
    assert found.pairs.tolist() == [[0, 1], [0, 2], [1, 2], [1, 3]]
    assert found.self_docs.tolist() == [0]  # anchor 7 twice in document 0
    assert found.capped.tolist() == [9]  # in four documents, over max_df=3


def test_shared_anchor_counts_and_threshold() -> None:
    hashes = np.array([1, 1, 2, 2, 3, 3, 4, 4], dtype=np.uint64)
    docs = np.array([0, 1, 0, 1, 0, 1, 1, 2], dtype=np.int64)
    found = find_candidates(hashes, docs, max_df=10)
    assert dict(
        zip(map(tuple, found.pairs.tolist()), found.shared_anchors.tolist(), strict=True)
    ) == {
        (0, 1): 3,
        (1, 2): 1,
    }
    assert find_candidates(hashes, docs, max_df=10, min_shared=2).pairs.tolist() == [[0, 1]]


def test_no_anchors() -> None:
    found = find_candidates(np.zeros(0, np.uint64), np.zeros(0, np.int64), max_df=5)
    assert found.pairs.shape == (0, 2) and found.self_docs.shape == (0,)


def test_pairs_counted_in_small_chunks_equal_one_pass(monkeypatch) -> None:
    import reprints.candidates as candidates

    rng = np.random.default_rng(4)
    hashes = rng.integers(0, 300, size=5000).astype(np.uint64)
    docs = rng.integers(0, 400, size=5000).astype(np.int64)
    whole = candidates.find_candidates(hashes, docs, max_df=60)
    monkeypatch.setattr(candidates, "_PAIRS_PER_CHUNK", 97)
    chunked = candidates.find_candidates(hashes, docs, max_df=60)
    assert whole.pairs.shape[0] > 1000
    assert np.array_equal(whole.pairs, chunked.pairs)
    assert np.array_equal(whole.shared_anchors, chunked.shared_anchors)


def _pairing_by_definition(
    hashes: list[int], docs: list[int], max_df: int, min_shared: int, weights: list[int] | None
) -> dict[str, object]:
    """find_candidates from its definition, with dicts: each hash's documents (its
    posting list), weighted by ``weights``; over ``max_df`` it is capped, else every
    two of its distinct documents share it, and a document holding it twice repeats."""
    holders: dict[int, list[int]] = {}
    for h, d in zip(hashes, docs, strict=True):
        holders.setdefault(h, []).append(d)
    weight = (lambda d: 1) if weights is None else (lambda d: weights[d])
    shared: dict[tuple[int, int], int] = {}
    capped, repeats = {}, set()
    for h, held in holders.items():
        distinct = sorted(set(held))
        df = sum(weight(d) for d in distinct)
        if df > max_df:
            capped[h] = df
            continue
        repeats.update(d for d in distinct if held.count(d) > 1)
        for i, a in enumerate(distinct):
            for b in distinct[i + 1 :]:
                shared[(a, b)] = shared.get((a, b), 0) + 1
    kept = sorted(p for p, n in shared.items() if n >= min_shared)
    return {
        "pairs": [list(p) for p in kept],
        "shared": [shared[p] for p in kept],
        "self": sorted(repeats),
        "capped": sorted(capped),
        "capped_df": [capped[h] for h in sorted(capped)],
        "anchors": len(hashes),
        "postings": len(holders),
    }


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 25)), max_size=300),
    st.integers(1, 6),
    st.integers(1, 3),
    st.booleans(),
    st.sampled_from([np.int32, np.int64]),
)
def test_candidates_are_the_pairing_by_definition(
    rows: list[tuple[int, int]], max_df: int, min_shared: int, weighted: bool, dtype: type
) -> None:
    rows.sort(key=lambda row: row[1])  # in document order, as fingerprinting gives them
    hashes = [h * 0x9E3779B97F4A7C15 % 2**64 for h, _ in rows]  # spread over 64 bits
    docs = [d for _, d in rows]
    weights = [1 + (d * 7) % 3 for d in range(26)] if weighted else None
    found = find_candidates(
        np.array(hashes, dtype=np.uint64),
        np.array(docs, dtype=dtype),
        max_df,
        min_shared,
        None if weights is None else np.array(weights, dtype=np.int64),
    )
    expected = _pairing_by_definition(hashes, docs, max_df, min_shared, weights)
    assert candidate_fields(found) == expected
