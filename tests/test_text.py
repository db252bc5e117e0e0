from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from reprints.text import (
    _NEWLINE,
    _TERMINAL,
    Tokenizer,
    _boundaries,
    _codepoints,
    hash_token,
    sentence_starts,
    token_spans,
)


def words(text: str) -> list[str]:
    starts, ends = token_spans(text)
    return [text[s:e] for s, e in zip(starts, ends, strict=True)]


def test_punctuation_quotes_and_dashes_separate_tokens() -> None:
    assert words("Iran’s “Quds”—Force, 42nd!") == ["Iran", "s", "Quds", "Force", "42nd"]
    assert words('Iran\'s "Quds"-Force') == ["Iran", "s", "Quds", "Force"]


def test_cjk_is_one_token_per_character_and_other_scripts_are_words() -> None:
    assert words("東京に住む") == ["東", "京", "に", "住", "む"]
    assert words("Москва и Київ") == ["Москва", "и", "Київ"]
    assert words("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]  # vowel signs stay inside words


def test_normalisation_changes_hashes_not_offsets() -> None:
    tokenizer = Tokenizer()
    a = tokenizer.tokenize("CAFÉ ﬁle")
    b = tokenizer.tokenize("cafe\u0301 file")  # decomposed accent, no ligature
    assert np.array_equal(a.hashes, b.hashes)
    assert hash_token("Straße") == hash_token("STRASSE")
    assert a.starts.tolist() == [0, 5] and a.ends.tolist() == [4, 8]


@given(st.text(max_size=300))
def test_offsets_always_slice_the_original_text(text: str) -> None:
    tokens = Tokenizer().tokenize(text)
    starts, ends = tokens.starts.tolist(), tokens.ends.tolist()
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends, strict=True))
    assert all(e <= s for e, s in zip(ends, starts[1:], strict=False))  # ordered, disjoint
    for s, e, h in zip(starts, ends, tokens.hashes.tolist(), strict=True):
        assert hash_token(text[s:e]) == h
    # Nothing outside the tokens is a letter or digit of a word.
    covered = np.zeros(len(text) + 1, dtype=int)
    for s, e in zip(starts, ends, strict=True):
        covered[s:e] = 1
    assert not any(ch.isalnum() and not covered[i] for i, ch in enumerate(text))


@given(st.text(max_size=200))
def test_fast_hash_path_agrees_with_full_tokenisation(text: str) -> None:
    tokenizer = Tokenizer()
    assert np.array_equal(tokenizer.hashes(text), tokenizer.tokenize(text).hashes)


@given(st.lists(st.text(max_size=120), max_size=12), st.integers(4, 12))
def test_batch_hashes_equal_per_text_hashes(texts: list[str], bits: int) -> None:
    from reprints.text import _TokenHashTable

    tokenizer = Tokenizer()
    table = _TokenHashTable(bits)  # a tiny table: slots collide and get evicted
    for _ in range(2):  # the second pass reads what the first pass stored
        hashes, offsets = table.hashes(texts)
        assert offsets.shape[0] == len(texts) + 1
        for k, text in enumerate(texts):
            assert np.array_equal(hashes[offsets[k] : offsets[k + 1]], tokenizer.hashes(text))


def test_batch_hashes_of_long_and_repeated_words() -> None:
    long_word = "a" * 60 + "b"
    texts = ["Ünïcödé words, 漢字 and a " + long_word, "", "again Ünïcödé " + long_word + "c"]
    tokenizer = Tokenizer()
    hashes, offsets = tokenizer.hashes_batch(texts)
    for k, text in enumerate(texts):
        assert np.array_equal(hashes[offsets[k] : offsets[k + 1]], tokenizer.hashes(text))


@given(st.lists(st.text(max_size=120), max_size=10))
def test_batch_tokenize_equals_tokenize(texts: list[str]) -> None:
    tokenizer = Tokenizer()
    for text, batched in zip(texts, tokenizer.tokenize_batch(texts), strict=True):
        single = tokenizer.tokenize(text)
        assert np.array_equal(batched.hashes, single.hashes)
        assert np.array_equal(batched.starts, single.starts)
        assert np.array_equal(batched.ends, single.ends)


def _sentence_starts_by_definition(text: str) -> np.ndarray:
    """A token begins a sentence when the separator before it holds a terminal mark or
    two line breaks (counted over every code point)."""
    cp = _codepoints(text)
    starts, ends = _boundaries(cp)
    stops = np.concatenate(([0], np.cumsum(np.isin(cp, _TERMINAL))))
    lines = np.concatenate(([0], np.cumsum(cp == _NEWLINE)))
    breaks = np.ones(starts.shape[0], dtype=bool)
    lo, hi = ends[:-1], starts[1:]
    breaks[1:] = (stops[hi] > stops[lo]) | (lines[hi] - lines[lo] > 1)
    return breaks


@given(
    st.lists(
        st.sampled_from(["ab", " ", ".", "\n", "。", "！", "?", "…", "é", ";", "\U0001f600"]),
        min_size=1,
        max_size=40,
    )
)
def test_sentence_starts_by_definition(parts: list[str]) -> None:
    text = "".join(parts)
    cp = _codepoints(text)
    starts, ends = _boundaries(cp)
    assert (
        sentence_starts(cp, starts, ends).tolist() == _sentence_starts_by_definition(text).tolist()
    )
