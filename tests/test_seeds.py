"""Sentence seeds: reworded copies found, unrelated text not, summaries as one passage."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.align import Admission, AlignParams, align
from reprints.fingerprint import mix64
from reprints.seeds import (
    _PAIR_MULTIPLIER,
    Fragment,
    SentenceIndex,
    SentenceParams,
    _weights,
    _widened,
    fragments,
    sentence_bounds,
    sentence_keys,
    units,
)
from reprints.text import Tokenizer
from reprints.words import STOPWORDS, WordClasses

SOURCE = (
    "The harbour authority approved a new breakwater after two winters of storm damage. "
    "Engineers estimate that the granite wall will cost nine million pounds to build. "
    "Fishermen welcomed the decision but asked for the works to avoid the spawning season. "
    "The council expects construction to begin next spring and to last eighteen months. "
    "Local shops hope the project will bring visitors back to the old quay."
)
# The same five sentences reworded: words replaced, reordered, forms changed.
REWORDED = (
    "After two winters of storm damage, a new breakwater was approved by the harbour authority. "
    "The granite wall will cost nine million pounds to build, engineers estimated. "
    "The decision was welcomed by fishermen, who asked that works avoid the spawning season. "
    "Construction is expected by the council to begin next spring and last eighteen months. "
    "Shops on the old quay hope the project brings visitors back."
)
UNRELATED = (
    "A violin maker in Cremona still carves each instrument from seasoned spruce and maple. "
    "Her workshop smells of varnish, and the radio plays opera all afternoon long. "
    "Students travel from Japan and Brazil to learn how she shapes the scroll by hand. "
    "She says a good violin needs twenty years of playing before its voice opens fully. "
    "The town museum keeps a Stradivarius that is played once a week for visitors."
)
PARAMS = SentenceParams()
# Words of the texts above, stop words and sentence ends among them.
_VOCABULARY = [*sorted(set((SOURCE + " " + REWORDED).replace(",", "").split())), "the", "and", "."]


def test_word_classes_stem_and_drop_stop_words() -> None:
    classes = WordClasses(str.casefold)
    assert classes.of("The") == 0 and "the" in STOPWORDS
    assert classes.of("estimated") == classes.of("Estimate") != 0
    assert classes.of("harbour") != classes.of("breakwater")


def test_batch_tokens_carry_the_same_classes_and_sentences_as_one_by_one() -> None:
    texts = [SOURCE, "", "One line\nwrapped here. New one!\n\nPara", REWORDED]
    tokenizer = Tokenizer()
    for text, batch in zip(texts, Tokenizer().tokenize_batch(texts), strict=True):
        single = tokenizer.tokenize(text)
        assert single.stems is not None and batch.stems is not None
        assert np.array_equal(single.stems, batch.stems)
        assert single.breaks is not None and batch.breaks is not None
        assert np.array_equal(single.breaks, batch.breaks)
    wrapped = tokenizer.tokenize("One line\nwrapped here. New one!\n\nPara")
    assert wrapped.breaks is not None
    # "wrapped" continues its sentence (a single line break); "New" and "Para" start one.
    assert wrapped.breaks.tolist() == [True, False, False, False, True, False, True]


def test_sentence_bounds_glue_short_sentences_and_cut_long_ones() -> None:
    tokens = Tokenizer().tokenize("Yes. " + SOURCE + " " + " ".join(["word"] * 130))
    bounds = sentence_bounds(tokens, PARAMS)
    assert bounds[0] == 0 and bounds[-1] == len(tokens)
    assert 1 not in bounds.tolist()  # "Yes." joined the first sentence
    assert np.diff(bounds).max() <= PARAMS.max_tokens


def test_reworded_copy_gives_one_fragment_over_it() -> None:
    tokenizer = Tokenizer()
    host = UNRELATED + " " + REWORDED
    a, b = tokenizer.tokenize(host), tokenizer.tokenize(SOURCE)
    found = fragments(a, b, PARAMS)
    assert len(found) == 1
    a0, a1, b0, b1, similarity = found[0]
    start = host.index("After two winters")
    assert abs(int(a.starts[a0]) - start) < 5 and a1 == len(a)
    assert (b0, b1) == (0, len(b)) and similarity > PARAMS.validation


def test_unrelated_texts_share_no_fragment() -> None:
    tokenizer = Tokenizer()
    assert fragments(tokenizer.tokenize(SOURCE), tokenizer.tokenize(UNRELATED), PARAMS) == []


def test_align_reports_the_reworded_copy_as_one_passage_that_slices_the_text() -> None:
    tokenizer = Tokenizer()
    host = UNRELATED + "\n\n" + REWORDED
    a, b = tokenizer.tokenize(host), tokenizer.tokenize(SOURCE)
    result = align(a, b, Admission.everything(a, 5), AlignParams())
    assert len(result.passages) == 1
    p = result.passages[0]
    start, end = a.char_span(p.a0, p.a1)
    assert host[start:end].startswith("After two winters") and host[start:end].endswith("back")
    assert 0.3 < p.similarity < 1.0
    # Without sentence seeds, n-gram chains see less of it.
    plain = align(a, b, Admission.everything(a, 5), AlignParams(sentences=None))
    assert sum(q.a1 - q.a0 for q in plain.passages) < p.a1 - p.a0


def test_sentence_keys_are_shared_by_a_reworded_copy_and_not_by_unrelated_text() -> None:
    tokenizer = Tokenizer()
    keys = {
        name: set(sentence_keys(tokenizer.tokenize(text), PARAMS, 5)[1].tolist())
        for name, text in (("source", SOURCE), ("copy", REWORDED), ("other", UNRELATED))
    }
    assert keys["source"] & keys["copy"]
    assert not keys["source"] & keys["other"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(_VOCABULARY), min_size=0, max_size=120),
    st.lists(st.sampled_from(_VOCABULARY), min_size=0, max_size=120),
    st.integers(0, 2**32 - 1),
)
def test_units_are_the_bags_counted_by_hand(
    words_a: list[str], words_b: list[str], seed: int
) -> None:
    """The per-document index's bags, over the pair's vocabulary and with explained
    tokens taken out, are each sentence's content words counted one by one."""
    params = SentenceParams()
    a, b = Tokenizer().tokenize_batch([" ".join(words_a), " ".join(words_b)])
    rng = np.random.default_rng(seed)
    explained = (rng.random(len(a)) < 0.3, rng.random(len(b)) < 0.3)
    ua, ub, size = units(SentenceIndex.of(a, params), SentenceIndex.of(b, params), explained)
    stems = sorted(
        {int(t.stems[k]) for t in (a, b) for k in range(len(t)) if t.stems[k] != 0}  # type: ignore[index]
    )
    assert size == len(stems)
    for tokens, got, mask in ((a, ua, explained[0]), (b, ub, explained[1])):
        assert tokens.stems is not None
        bounds = sentence_bounds(tokens, params)
        want: Counter[tuple[int, int]] = Counter()
        for k in range(len(tokens)):
            if tokens.stems[k] != 0 and not mask[k]:
                sentence = int(np.searchsorted(bounds, k, side="right") - 1)
                want[(sentence, stems.index(int(tokens.stems[k])))] += 1
        present = got.present()
        have = {
            (int(r), int(w)): int(c)
            for r, w, c in zip(
                got.rows[present], got.words[present], got.counts[present], strict=True
            )
        }
        assert have == dict(want)
        assert np.array_equal(got.bounds, bounds)
        order = got.words[got.by_word]
        assert np.all(order[1:] >= order[:-1])


def test_a_summary_shaped_fragment_widens_to_the_weaker_seeds_of_its_short_side() -> None:
    tokenizer = Tokenizer()
    summary = (
        "The harbour authority approved a breakwater after storm damage. "
        "Shops on the old quay hope for visitors."
    )
    a, b = tokenizer.tokenize(summary), tokenizer.tokenize(SOURCE + " " + UNRELATED)
    ua, ub, size = units(SentenceIndex.of(a, PARAMS), SentenceIndex.of(b, PARAMS))
    idf = _weights(ua, ub, size)
    # The summary's first sentence seeds the source's first, outside the fragment's span.
    shaped = Fragment(0, 2, 2, 5, 0.5)  # 2 short sentences over 3 of the source
    [wider] = _widened([shaped], ua, ub, idf, PARAMS)
    assert (wider.a0, wider.a1, wider.b0, wider.b1) == (0, 2, 0, 5)
    assert wider.similarity >= PARAMS.validation
    # A fragment of about equal length on both sides is left as it is.
    even = Fragment(0, 2, 4, 5, 0.5)
    assert _widened([even], ua, ub, idf, PARAMS) == [even]


def _sentence_keys_by_definition(text: str, ngram: int) -> tuple[list[int], list[int]]:
    """Every pair of each sentence's ``key_words`` smallest distinct word classes,
    sentence by sentence: first the (1st, 2nd) keys, then (1st, 3rd), and so on."""
    tokens = Tokenizer().tokenize(text)
    assert tokens.stems is not None
    if len(tokens) < ngram:
        return [], []
    bounds = sentence_bounds(tokens, PARAMS).tolist()
    rows = []
    for k in range(len(bounds) - 1):
        stems = tokens.stems[bounds[k] : bounds[k + 1]].tolist()
        rows.append(
            (min(bounds[k], len(tokens) - ngram), sorted(set(stems) - {0})[: PARAMS.key_words])
        )
    keys, positions = [], []
    mult = int(_PAIR_MULTIPLIER)
    for x, y in itertools.combinations(range(PARAMS.key_words), 2):
        for at, least in rows:
            if len(least) > y:
                pair = np.array([(least[x] * mult + least[y]) % (1 << 64)], dtype=np.uint64)
                keys.append(int(mix64(pair)[0]))
                positions.append(at)
    return positions, keys


@given(st.lists(st.sampled_from(["ox", "elk", "yak", "gnu", "the", "emu", "ram", ".", "\n\n"])))
def test_sentence_keys_by_definition(words: list[str]) -> None:
    """A vocabulary of a few words, so that sentences repeat words and run short."""
    text = " ".join(words)
    positions, hashes = sentence_keys(Tokenizer().tokenize(text), PARAMS, 3)
    assert (positions.tolist(), hashes.tolist()) == _sentence_keys_by_definition(text, 3)
