"""A batch of texts indexed at once gives each text the arrays of its own index, and
the screen on a batch flags the pairs the screen on their indexes does."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.screen import may_seed, may_seed_batch
from reprints.seeds import SentenceBatch, SentenceIndex, SentenceParams, sentence_bounds
from reprints.text import Tokenizer, Tokens

from .index.collections import collection


def _one_by_one(tokens: Tokens, params: SentenceParams) -> SentenceIndex:
    """A text's index as it was built before batches: its own sorts."""
    assert tokens.stems is not None
    bounds = sentence_bounds(tokens, params)
    content = tokens.stems != 0
    if tokens.boilerplate is not None:
        content &= ~tokens.boilerplate
    pos = np.flatnonzero(content)
    vocab, local = np.unique(tokens.stems[pos], return_inverse=True)
    size = max(int(vocab.shape[0]), 1)
    codes = (np.searchsorted(bounds, pos, side="right") - 1) * size + local.reshape(-1)
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    fresh = np.ones(ordered.shape[0], dtype=bool)
    fresh[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(fresh)
    token_entry = np.full(len(tokens), -1, dtype=np.int64)
    token_entry[pos[order]] = np.cumsum(fresh) - 1
    kept = ordered[starts].astype(np.int64)
    words = kept % size
    counts = np.diff(np.append(starts, ordered.shape[0])).astype(np.float64)
    by_word = np.argsort(words, kind="stable")
    return SentenceIndex(
        bounds, vocab.astype(np.uint64), kept // size, words, counts, by_word, token_entry
    )


def _same(x: SentenceIndex, y: SentenceIndex) -> None:
    for field in fields(SentenceIndex):
        a, b = getattr(x, field.name), getattr(y, field.name)
        assert a.dtype == b.dtype, field.name
        assert np.array_equal(a, b), field.name


def _tokens(seed: int, size: int, marked: bool) -> list[Tokens]:
    docs = collection(seed, size, words=40 + seed % 200, vocabulary=300)
    texts = [d.text for d in docs] + ["Yes. No. A list of words with no end " * 12]
    tokens = Tokenizer().tokenize_batch(texts)
    if marked:  # some tokens boilerplate: they are no content words
        rng = np.random.default_rng(seed)
        tokens = [replace(t, boilerplate=rng.random(len(t)) < 0.2) for t in tokens]
    return [t for t in tokens if len(t)]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(1, 9), marked=st.booleans())
def test_batch_index_is_each_texts_own(seed: int, size: int, marked: bool) -> None:
    params = SentenceParams(max_tokens=20 + seed % 50)
    tokens = _tokens(seed, size, marked)
    batch = SentenceBatch.of(tokens, params)
    assert len(batch) == len(tokens)
    for k, t in enumerate(tokens):
        _same(batch.index(k), _one_by_one(t, params))
        _same(SentenceIndex.of(t, params), _one_by_one(t, params))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(2, 8), marked=st.booleans())
def test_may_seed_batch_is_may_seed(seed: int, size: int, marked: bool) -> None:
    params = SentenceParams()
    tokens = _tokens(seed, size, marked)
    batch = SentenceBatch.of(tokens, params)
    pairs = [(a, b) for a in range(len(tokens)) for b in range(len(tokens)) if a != b]
    a = np.array([x for x, _ in pairs], dtype=np.int64)
    b = np.array([y for _, y in pairs], dtype=np.int64)
    indexes = [batch.index(k) for k in range(len(tokens))]
    flags = may_seed([(indexes[x], indexes[y]) for x, y in pairs], params)
    assert may_seed_batch(batch, a, b, params).tolist() == flags.tolist()


def test_text_without_content_words() -> None:
    params = SentenceParams()
    tokens = Tokenizer().tokenize_batch(["the of and. a an the.", "Some words here now."])
    batch = SentenceBatch.of(tokens, params)
    for k, t in enumerate(tokens):
        _same(batch.index(k), _one_by_one(t, params))
    pair = np.array([0, 1], dtype=np.int64)
    assert may_seed_batch(batch, pair, pair[::-1], params).tolist() == [False, False]


def _bounds_token_by_token(
    breaks: np.ndarray, content: np.ndarray, params: SentenceParams
) -> list[int]:
    """Sentence bounds by walking the tokens: a start is kept when the sentence before
    it has ``min_words`` content words, and a cut made every ``max_tokens`` tokens."""
    starts = [k for k in range(breaks.shape[0]) if k == 0 or breaks[k]]
    ends = [*starts[1:], breaks.shape[0]]
    kept = [
        s
        for k, s in enumerate(starts)
        if k == 0 or content[starts[k - 1] : ends[k - 1]].sum() >= params.min_words
    ]
    cuts = []
    for k, s in enumerate(kept):
        end = kept[k + 1] if k + 1 < len(kept) else breaks.shape[0]
        cuts.extend(range(s, end, params.max_tokens))
    return [*cuts, breaks.shape[0]]


@settings(max_examples=200, deadline=None)
@given(
    marks=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=300),
    min_words=st.integers(1, 6),
    max_tokens=st.integers(1, 70),
)
def test_sentence_bounds_cut_long_sentences(
    marks: list[tuple[bool, bool]], min_words: int, max_tokens: int
) -> None:
    params = SentenceParams(min_words=min_words, max_tokens=max_tokens)
    breaks = np.array([m[0] for m in marks])
    content = np.array([m[1] for m in marks])
    tokens = Tokens(
        np.zeros(len(marks), np.uint64),
        np.zeros(len(marks), np.int32),
        np.zeros(len(marks), np.int32),
        stems=content.astype(np.uint64),
        breaks=breaks,
    )
    assert sentence_bounds(tokens, params).tolist() == _bounds_token_by_token(
        breaks, content, params
    )
