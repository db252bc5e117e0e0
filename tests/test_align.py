"""Alignment of two token streams, and of one with itself, through its public functions."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.align import (
    Admission,
    AlignParams,
    SeedIndex,
    TokenPassage,
    _mergeable,
    _significant,  # the rules themselves
    align,
    align_self,
    min_length,
    ngram_jaccard,
    pair_of,
    repeats_of,
    seeds,
    seeds_against,
    set_jaccard,
)
from reprints.arrays import distinct
from reprints.documents import Document
from reprints.finding import FindOptions
from reprints.fingerprint import ngram_hashes
from reprints.runners.reference import find_batch
from reprints.synthetic import TextGenerator
from reprints.text import Tokenizer, Tokens

PARAMS = AlignParams(min_tokens=10)
TOKENIZE = Tokenizer().tokenize


def _everything(tokens: Tokens) -> Admission:
    return Admission.everything(tokens, PARAMS.ngram)


def _words(seed: int, count: int) -> list[str]:
    return TextGenerator(seed, vocabulary=5000).words_list(count)


def test_a_verbatim_copy_is_one_passage_covering_both() -> None:
    text = " ".join(_words(1, 80))
    a, b = TOKENIZE(text), TOKENIZE("Preface words here. " + text)
    found = align(a, b, _everything(a), PARAMS)
    assert len(found.passages) == 1
    p = found.passages[0]
    assert (p.a0, p.a1, p.b0, p.b1) == (0, 80, 3, 83)
    assert p.similarity == 1.0
    assert found.containment_a() == 1.0 and found.containment_b() == 80 / 83


def test_a_replaced_and_an_inserted_word_stay_inside_one_passage() -> None:
    words = _words(2, 90)
    edited = [*words[:30], "zzzreplaced", *words[31:60], "zzzinserted", *words[60:]]
    a, b = TOKENIZE(" ".join(words)), TOKENIZE(" ".join(edited))
    found = align(a, b, _everything(a), PARAMS)
    assert len(found.passages) == 1
    p = found.passages[0]
    assert (p.a0, p.a1, p.b0, p.b1) == (0, 90, 0, 91)
    assert p.matches == 89 and 0.97 < p.similarity < 1.0


def test_unrelated_texts_share_nothing() -> None:
    a, b = TOKENIZE(" ".join(_words(3, 100))), TOKENIZE(" ".join(_words(4, 100)))
    assert align(a, b, _everything(a), PARAMS).passages == []


def test_nothing_is_kept_without_an_admitted_anchor_or_on_stock_text() -> None:
    text = " ".join(_words(5, 60))
    a, b = TOKENIZE(text), TOKENIZE(text)
    no_anchor = Admission(np.zeros(len(a) - PARAMS.ngram + 1, dtype=bool))
    assert align(a, b, no_anchor, PARAMS).passages == []
    stock = Admission(_everything(a).anchors, np.ones(len(a), dtype=bool))
    assert align(a, b, stock, PARAMS).passages == []


def test_boilerplate_never_seeds_a_passage() -> None:
    text = " ".join(_words(6, 60))
    a = TOKENIZE(text)
    marked = Tokens(a.hashes, a.starts, a.ends, np.ones(len(a), dtype=bool))
    assert align(marked, marked, _everything(marked), PARAMS).passages == []


def test_a_pasted_twice_text_repeats_itself_once_without_overlap() -> None:
    words = _words(7, 40)
    a = TOKENIZE(" ".join([*words, "between", *words]))
    found = align_self(a, _everything(a), PARAMS)
    assert [(p.a0, p.a1, p.b0, p.b1) for p in found] == [(0, 40, 41, 81)]


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(3, 30))
def test_a_periodic_text_is_cut_where_its_repeat_begins(period: int, copies: int) -> None:
    words = _words(8, period) * copies
    a = TOKENIZE(" ".join(words))
    loose = AlignParams(ngram=2, seed_ngram=2, min_tokens=2, max_gap=4, min_similarity=0.2)
    for p in align_self(a, Admission.everything(a, 2), loose):
        assert p.a0 < p.a1 <= p.b0 < p.b1 <= len(a)


def test_pair_of_and_repeats_of_give_character_offsets_into_the_texts() -> None:
    shared = " ".join(_words(9, 50))
    text_a, text_b = f"Intro one two.\n{shared}\nEnd.", f"{shared} — and more words after"
    a, b = TOKENIZE(text_a), TOKENIZE(text_b)
    pair = pair_of("a", "b", a, b, _everything(a), PARAMS)
    assert pair is not None and len(pair.passages) == 1
    p = pair.passages[0]
    assert text_a[p.a_start : p.a_end] == shared == text_b[p.b_start : p.b_end]
    assert pair.jaccard == round(ngram_jaccard(a, b, PARAMS.ngram), 4)
    assert pair_of("a", "c", a, TOKENIZE("nothing alike"), _everything(a), PARAMS) is None

    twice = f"{shared}\n\n{shared}"
    tokens = TOKENIZE(twice)
    repeats = repeats_of("d", tokens, _everything(tokens), PARAMS)
    assert repeats is not None and repeats.doc == "d"
    (r,) = repeats.passages
    assert twice[r.first_start : r.first_end] == shared == twice[r.repeat_start : r.repeat_end]
    assert r.tokens == 50
    assert repeats_of("e", a, _everything(a), PARAMS) is None


def test_ngram_jaccard() -> None:
    a, b = TOKENIZE(" ".join(_words(10, 30))), TOKENIZE(" ".join(_words(11, 30)))
    assert ngram_jaccard(a, a, 5) == 1.0
    assert ngram_jaccard(a, b, 5) == 0.0
    assert ngram_jaccard(TOKENIZE(""), TOKENIZE(""), 5) == 0.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), max_size=60),
    st.lists(st.integers(0, 6), max_size=60),
    st.integers(1, 4),
)
def test_seeds_are_every_equal_usable_ngram_pair_neither_over_repeated(
    a_words: list[int], b_words: list[int], max_repeat: int
) -> None:
    n = 2
    a, b = (TOKENIZE(" ".join(f"w{x}" for x in words)) for words in (a_words, b_words))
    ga, gb = ngram_hashes(a.hashes, n), ngram_hashes(b.hashes, n)
    expected = {
        (i, j)
        for i in range(ga.shape[0])
        for j in range(gb.shape[0])
        if ga[i] == gb[j]
        and (ga == ga[i]).sum() <= max_repeat
        and (gb == gb[j]).sum() <= max_repeat
    }
    i, j = seeds(SeedIndex.of(a, n), SeedIndex.of(b, n), max_repeat)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected
    assert len(i) == len(expected)


def _marked(words: list[int], marks: list[bool]) -> Tokens:
    tokens = TOKENIZE(" ".join(f"w{x}" for x in words))
    if not any(marks):
        return tokens
    marked = np.array([marks[k % len(marks)] for k in range(len(tokens))], dtype=bool)
    return replace(tokens, boilerplate=marked)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), max_size=40),
    st.lists(
        st.tuples(st.lists(st.integers(0, 6), max_size=40), st.lists(st.booleans(), min_size=1)),
        max_size=5,
    ),
    st.integers(1, 3),
    st.integers(1, 4),
)
def test_seeds_against_many_are_the_seeds_of_each_pair(
    a_words: list[int], others: list[tuple[list[int], list[bool]]], n: int, max_repeat: int
) -> None:
    a = TOKENIZE(" ".join(f"w{x}" for x in a_words))
    docs = [_marked(words, marks) for words, marks in others]
    index = SeedIndex.of(a, n)
    found = seeds_against(index, docs, n, max_repeat)
    assert len(found) == len(docs)
    for b, (i, j) in zip(docs, found, strict=True):
        ei, ej = seeds(index, SeedIndex.of(b, n), max_repeat)
        pairs = sorted(zip(i.tolist(), j.tolist(), strict=True))
        assert pairs == sorted(zip(ei.tolist(), ej.tolist(), strict=True))


@given(st.lists(st.integers(0, 30)), st.lists(st.integers(0, 30)))
def test_set_jaccard_and_distinct_agree_with_python_sets(x: list[int], y: list[int]) -> None:
    sx, sy = (distinct(np.array(v, dtype=np.uint64)) for v in (x, y))
    assert sx.tolist() == sorted(set(x)) and sy.tolist() == sorted(set(y))
    union = set(x) | set(y)
    assert set_jaccard(sx, sy) == (len(set(x) & set(y)) / len(union) if union else 0.0)


def test_a_long_document_aligned_with_many_quotes_matches_pair_by_pair() -> None:
    """align_tasks keeps each document's sorted seeds for a batch: the same pairs as
    aligning every pair from scratch."""
    long_words = _words(40, 3000)
    quotes = [
        Document(f"q{k}", " ".join(_words(50 + k, 30) + long_words[k * 400 : k * 400 + 60]))
        for k in range(6)
    ]
    docs = [Document("long", " ".join(long_words)), *quotes]
    found = find_batch(docs, FindOptions(min_tokens=10))
    texts = {d.id: TOKENIZE(d.text) for d in docs}
    expected = []
    for pair in found.pairs:
        ta, tb = texts[pair.a], texts[pair.b]
        expected.append(pair_of(pair.a, pair.b, ta, tb, _everything(ta), PARAMS))
    assert len(found.pairs) == 6
    assert [p.passages for p in found.pairs] == [p.passages for p in expected if p]


def test_passages_between_long_documents_need_more_tokens_unless_exact() -> None:
    params = AlignParams()
    assert min_length(100, 400, params) == min_length(400, 400, params) == params.min_tokens
    # Each doubling of the documents' geometric mean length adds 30% of min_tokens.
    assert min_length(1600, 1600, params) == params.min_tokens * 1.6
    reworded = TokenPassage(100, 125, 200, 226, matches=15)
    exact = TokenPassage(300, 325, 400, 425, matches=25)
    assert _significant([reworded, exact], 400, 400, params) == [reworded, exact]
    assert _significant([reworded, exact], 6400, 6400, params) == [exact]
    # A passage that is all of one document stands at min_tokens too.
    whole = TokenPassage(0, 25, 200, 230, matches=15)
    assert _significant([whole], 25, 6400, params) == [whole]


def test_pieces_in_opposite_orders_merge_only_when_they_touch() -> None:
    params = AlignParams()
    later_first = [[0, 50, 300, 350], [80, 130, 100, 150]]  # 30 tokens apart in A, crossed
    assert not _mergeable(*later_first, params.merge_gap, params.cross_gap)
    in_order = [[0, 50, 100, 150], [80, 130, 200, 250]]  # 30 and 50 tokens apart, in order
    assert _mergeable(*in_order, params.merge_gap, params.cross_gap)
    touching = [[0, 50, 300, 350], [55, 100, 240, 295]]  # crossed, 5 tokens apart
    assert _mergeable(*touching, params.merge_gap, params.cross_gap)
