from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.fingerprint import (
    fingerprint,
    fingerprint_batch,
    ngram_hashes,
    rightmost_minima,
    usable_ngrams,
    window_for,
    winnow,
)
from reprints.text import Tokens


def test_ngram_hashes_depend_on_order_and_content() -> None:
    tokens = np.array([1, 2, 3, 4, 5, 6], dtype=np.uint64)
    grams = ngram_hashes(tokens, 3)
    assert grams.shape == (4,)
    assert len(set(grams.tolist())) == 4
    swapped = ngram_hashes(np.array([2, 1, 3], dtype=np.uint64), 3)
    assert swapped[0] != grams[0]
    assert ngram_hashes(tokens[:2], 3).shape == (0,)


@settings(max_examples=60)
@given(
    st.lists(st.integers(0, 2**64 - 1), min_size=30, max_size=120),
    st.lists(st.integers(0, 2**64 - 1), max_size=40),
    st.lists(st.integers(0, 2**64 - 1), max_size=40),
    st.integers(3, 12),
)
def test_winnowing_guarantees_an_anchor_in_every_shared_run(
    shared: list[int], before: list[int], after: list[int], window: int
) -> None:
    """Any run of window + n - 1 shared tokens yields one anchor hash in both texts."""
    n = 5
    run = np.array(shared[: window + n - 1], dtype=np.uint64)
    a = np.concatenate((np.array(before, dtype=np.uint64), run))
    b = np.concatenate((run, np.array(after, dtype=np.uint64)))
    ga, gb = ngram_hashes(a, n), ngram_hashes(b, n)
    anchors_a = set(ga[winnow(ga, window)].tolist())
    anchors_b = set(gb[winnow(gb, window)].tolist())
    assert anchors_a & anchors_b


def test_window_for_min_tokens() -> None:
    assert window_for(20, 5) == 16
    assert window_for(3, 5) == 1


def test_usable_ngrams_exclude_boilerplate() -> None:
    mask = np.zeros(10, dtype=bool)
    mask[4] = True
    tokens = Tokens(
        np.arange(10, dtype=np.uint64),
        np.arange(10, dtype=np.int32),
        np.arange(10, dtype=np.int32),
        mask,
    )
    assert usable_ngrams(tokens, 3).tolist() == [True, True, False, False, False, True, True, True]


_DOC = st.tuples(
    st.lists(st.integers(0, 5) | st.integers(0, 2**64 - 1), max_size=60),
    st.none() | st.lists(st.booleans(), min_size=60, max_size=60),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_DOC, max_size=8), st.integers(1, 6), st.integers(0, 20))
def test_fingerprint_batch_is_fingerprint_of_each_document(
    docs: list[tuple[list[int], list[bool] | None]], ngram: int, window: int
) -> None:
    """The batch path (one pass over the joined tokens) equals the per-document one,
    ties of equal hashes, boilerplate, short documents and empty ones included."""
    tokens = []
    for values, marks in docs:
        n = len(values)
        zeros = np.zeros(n, dtype=np.int32)
        mask = None if marks is None else np.array(marks[:n], dtype=bool)
        tokens.append(Tokens(np.array(values, dtype=np.uint64), zeros, zeros, mask))
    batch = fingerprint_batch(tokens, ngram, window)
    assert len(batch) == len(tokens)
    for d, doc in enumerate(tokens):
        positions, hashes = fingerprint(doc, ngram, window)
        got_positions, got_hashes = batch.of(d)
        assert got_positions.tolist() == positions.tolist()
        assert got_hashes.tolist() == hashes.tolist()


@given(st.lists(st.integers(0, 5), min_size=1, max_size=60), st.integers(1, 40))
def test_rightmost_minima_is_the_last_least_of_every_window(values: list[int], window: int) -> None:
    """Small values, so that ties (which winnowing breaks to the right) are common."""
    window = min(window, len(values))
    found = rightmost_minima(np.array(values, dtype=np.uint64), window).tolist()
    expected = []
    for i in range(len(values) - window + 1):
        least = min(values[i : i + window])
        expected.append(max(k for k in range(i, i + window) if values[k] == least))
    assert found == expected
