"""The query's seed screen never clears a candidate that has a seed sentence pair."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.index.screen import may_seed
from reprints.seeds import SentenceIndex, SentenceParams, _weights, seed_pairs, units
from reprints.text import Tokenizer, Tokens

from .collections import collection


def _has_seeds(a: Tokens, b: Tokens, params: SentenceParams) -> bool:
    ua, ub, size = units(SentenceIndex.of(a, params), SentenceIndex.of(b, params))
    return bool(seed_pairs(ua, ub, _weights(ua, ub, size), params)[0].shape[0])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(2, 10), marked=st.booleans())
def test_may_seed_covers_seed_pairs(seed: int, size: int, marked: bool) -> None:
    docs = collection(seed, size, words=90, vocabulary=400)
    tokens = Tokenizer().tokenize_batch([d.text for d in docs])
    if marked:  # some tokens boilerplate: they are no content words
        rng = np.random.default_rng(seed)
        tokens = [replace(t, boilerplate=rng.random(len(t)) < 0.2) for t in tokens]
    params = SentenceParams()
    for k, query in enumerate(tokens):
        others = tokens[:k] + tokens[k + 1 :]
        flags = may_seed(query, others, params)
        truth = [_has_seeds(query, t, params) for t in others]
        assert all(f or not t for f, t in zip(flags.tolist(), truth, strict=True))
        assert flags.tolist() == truth  # no margin case in practice: the screen is tight


def test_may_seed_without_content() -> None:
    tokens = Tokenizer().tokenize_batch(["the of and. a an the.", "Some words here now."])
    assert may_seed(tokens[0], [tokens[1]], SentenceParams()).tolist() == [False]
    assert may_seed(tokens[1], [], SentenceParams()).tolist() == []
