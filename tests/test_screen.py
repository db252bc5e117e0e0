"""The seed screen never clears a pair that has a seed sentence pair."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints import screen
from reprints.screen import may_seed
from reprints.seeds import SentenceIndex, SentenceParams, _weights, seed_pairs, units
from reprints.text import Tokenizer, Tokens

from .index.collections import collection


def _has_seeds(a: SentenceIndex, b: SentenceIndex, params: SentenceParams) -> bool:
    ua, ub, size = units(a, b)
    return bool(seed_pairs(ua, ub, _weights(ua, ub, size), params)[0].shape[0])


def _indexes(seed: int, size: int, marked: bool, params: SentenceParams) -> list[SentenceIndex]:
    docs = collection(seed, size, words=90, vocabulary=400)
    tokens: list[Tokens] = Tokenizer().tokenize_batch([d.text for d in docs])
    if marked:  # some tokens boilerplate: they are no content words
        rng = np.random.default_rng(seed)
        tokens = [replace(t, boilerplate=rng.random(len(t)) < 0.2) for t in tokens]
    return [SentenceIndex.of(t, params) for t in tokens]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(2, 10), marked=st.booleans())
def test_may_seed_is_seed_pairs(seed: int, size: int, marked: bool) -> None:
    params = SentenceParams()
    indexes = _indexes(seed, size, marked, params)
    pairs = [(a, b) for a in indexes for b in indexes if a is not b]
    flags = may_seed(pairs, params).tolist()
    truth = [_has_seeds(a, b, params) for a, b in pairs]
    assert all(f or not t for f, t in zip(flags, truth, strict=True))
    assert flags == truth  # no margin case in practice: the screen is tight


def test_may_seed_in_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pairs screened a few at a time (long documents) are judged as all at once."""
    params = SentenceParams()
    indexes = _indexes(7, 12, False, params)
    pairs = [(a, b) for a in indexes for b in indexes if a is not b]
    whole = may_seed(pairs, params).tolist()
    assert any(whole) and not all(whole)
    monkeypatch.setattr(screen, "_ENTRIES", 300)
    assert may_seed(pairs, params).tolist() == whole


def test_may_seed_without_content() -> None:
    params = SentenceParams()
    tokens = Tokenizer().tokenize_batch(["the of and. a an the.", "Some words here now."])
    empty, some = (SentenceIndex.of(t, params) for t in tokens)
    assert may_seed([(empty, some), (some, empty)], params).tolist() == [False, False]
    assert may_seed([], params).tolist() == []
