from __future__ import annotations

import numpy as np

from reprints.candidates import find_candidates


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
