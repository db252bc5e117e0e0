"""MinHash signatures, LSH parameters and banding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.fingerprint import ngram_hashes
from reprints.minhash import (
    EMPTY,
    MinHasher,
    Shingles,
    band_keys,
    batch_shingles,
    candidate_pairs,
    candidate_probability,
    estimate_jaccard,
    optimal_params,
    sorted_jaccard,
)

token_arrays = st.lists(
    st.lists(st.integers(0, 2**64 - 1), max_size=30).map(lambda v: np.array(v, dtype=np.uint64)),
    max_size=8,
)


@given(token_arrays, st.integers(1, 6))
@settings(max_examples=200, deadline=None)
def test_batch_shingles_equal_per_document_ngrams(docs: list[np.ndarray], n: int) -> None:
    shingles = batch_shingles(docs, n)
    assert shingles.offsets.shape[0] == len(docs) + 1
    for k, tokens in enumerate(docs):
        if tokens.shape[0] >= n:
            expected = ngram_hashes(tokens, n)
        elif tokens.shape[0] > 0:
            expected = ngram_hashes(tokens, tokens.shape[0])  # one whole-document shingle
        else:
            expected = np.zeros(0, dtype=np.uint64)
        np.testing.assert_array_equal(shingles.of(k), expected)


def _set_pair(rng: np.random.Generator, size: int, jaccard: float) -> tuple[np.ndarray, np.ndarray]:
    shared = round(2 * size * jaccard / (1 + jaccard))
    common = rng.integers(0, 2**64, size=shared, dtype=np.uint64)
    a = np.concatenate((common, rng.integers(0, 2**64, size=size - shared, dtype=np.uint64)))
    b = np.concatenate((common, rng.integers(0, 2**64, size=size - shared, dtype=np.uint64)))
    return a, b


@pytest.mark.parametrize("jaccard", [0.2, 0.5, 0.8, 0.95])
def test_estimates_are_unbiased_with_minhash_variance(jaccard: float) -> None:
    rng = np.random.default_rng(7)
    hasher = MinHasher(128, seed=3)
    errors = []
    for _ in range(150):
        a, b = _set_pair(rng, 400, jaccard)
        true = np.intersect1d(a, b).shape[0] / np.union1d(a, b).shape[0]
        sig = hasher.signatures(Shingles(np.concatenate((a, b)), np.array([0, 400, 800])))
        errors.append(float(estimate_jaccard(sig[0], sig[1])) - true)
    spread = np.sqrt(jaccard * (1 - jaccard) / 128)
    assert abs(np.mean(errors)) < 0.25 * spread  # 150 samples: standard error ≈ 0.08 spread
    assert 0.7 * spread < np.std(errors) < 1.3 * spread


def test_signatures_do_not_depend_on_the_batch() -> None:
    rng = np.random.default_rng(1)
    docs = [rng.integers(0, 2**64, size=int(k), dtype=np.uint64) for k in (50, 3, 0, 200, 1)]
    hasher = MinHasher(64, seed=5)
    together = hasher.signatures(batch_shingles(docs, 5))
    for k, doc in enumerate(docs):
        alone = hasher.signatures(batch_shingles([doc], 5))
        np.testing.assert_array_equal(together[k], alone[0])
    assert (together[2] == EMPTY).all()  # no tokens, no shingles
    assert not (together[1] == EMPTY).all()  # three tokens: one whole-document shingle


def test_same_seed_same_functions_other_seed_other_functions() -> None:
    shingles = Shingles(
        np.arange(1, 100, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15), np.array([0, 99])
    )
    a = MinHasher(32, seed=1).signatures(shingles)
    np.testing.assert_array_equal(a, MinHasher(32, seed=1).signatures(shingles))
    assert not np.array_equal(a, MinHasher(32, seed=2).signatures(shingles))


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.7, 0.8, 0.9])
def test_balanced_band_choice_puts_the_s_curve_at_the_threshold(threshold: float) -> None:
    bands, rows = optimal_params(threshold, 128)
    assert bands * rows <= 128
    # The similarity at which a pair becomes a candidate with probability 1/2.
    midpoint = (1 - 0.5 ** (1 / bands)) ** (1 / rows)
    assert abs(midpoint - threshold) < 0.05


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.7, 0.8, 0.9])
def test_recall_weighted_band_choice_finds_pairs_at_the_threshold(threshold: float) -> None:
    bands, rows = optimal_params(threshold, 128, 0.05, 0.95)
    assert bands * rows <= 128
    assert candidate_probability(threshold, bands, rows) >= 0.9
    assert candidate_probability(min(threshold + 0.05, 1.0), bands, rows) >= 0.97
    assert candidate_probability(threshold / 2, bands, rows) <= 0.35


def test_default_choice_matches_the_literature_value() -> None:
    # datasketch's optimiser (same areas, equal weights) gives 9 bands of 13 rows.
    assert optimal_params(0.8, 128) == (9, 13)


def test_optimal_params_rejects_a_bad_threshold() -> None:
    with pytest.raises(ValueError):
        optimal_params(1.0, 128)


def test_candidate_pairs_link_buckets_linearly() -> None:
    rng = np.random.default_rng(2)
    sigs = rng.integers(0, 2**32, size=(1000, 16), dtype=np.uint64).astype(np.uint32)
    sigs[100:600] = sigs[100]  # one bucket of 500 identical signatures
    sigs[900, :4] = sigs[901, :4]  # shares band 0 only
    keys = band_keys(sigs, 4, 4)
    pairs = candidate_pairs(keys)
    assert (pairs[:, 0] < pairs[:, 1]).all()
    assert np.array_equal(pairs, np.unique(pairs, axis=0))
    assert [900, 901] in pairs.tolist()
    in_bucket = pairs[(pairs >= 100).all(axis=1) & (pairs < 600).all(axis=1)]
    assert in_bucket.shape[0] < 2 * 500  # linear, not 500 * 499 / 2
    # ...and the bucket is still one connected group.
    linked = {100}
    for a, b in sorted(in_bucket.tolist()):
        if a in linked:
            linked.add(b)
    assert linked == set(range(100, 600))
    other = pairs[(pairs < 100).any(axis=1) | (pairs >= 600).any(axis=1)]
    assert other.tolist() == [[900, 901]]


def test_band_keys_differ_between_bands_with_equal_rows() -> None:
    sigs = np.zeros((1, 8), dtype=np.uint32)
    keys = band_keys(sigs, 2, 4)
    assert keys[0, 0] != keys[0, 1]


@given(token_arrays, st.integers(1, 4))
@settings(max_examples=200, deadline=None)
def test_sorted_unique_keeps_each_documents_set(docs: list[np.ndarray], n: int) -> None:
    shingles = batch_shingles(docs, n)
    unique = shingles.sorted_unique()
    assert unique.offsets.shape == shingles.offsets.shape
    for k in range(len(docs)):
        assert np.array_equal(unique.of(k), np.unique(shingles.of(k)))


@given(
    st.sets(st.integers(0, 2**64 - 1), max_size=40),
    st.sets(st.integers(0, 2**64 - 1), max_size=40),
    st.sets(st.integers(0, 2**64 - 1), max_size=40),
)
@settings(max_examples=200, deadline=None)
def test_sorted_jaccard_is_the_set_jaccard(a: set[int], b: set[int], shared: set[int]) -> None:
    a, b = a | shared, b | shared
    sa = np.array(sorted(a), dtype=np.uint64)
    sb = np.array(sorted(b), dtype=np.uint64)
    expected = len(a & b) / len(a | b) if a | b else 1.0
    assert sorted_jaccard(sa, sb) == pytest.approx(expected)
    assert sorted_jaccard(sb, sa) == pytest.approx(expected)
