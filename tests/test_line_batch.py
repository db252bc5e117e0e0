"""The lines of a batch in numpy passes equal the per-line definitions they replace."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.boilerplate import (
    _PLAIN_URL,
    _SENTENCE_END,
    _TEASER_END,
    _TEASER_ENDINGS,
    _WIDGET_TRIGGERS,
    SITE_REPEAT,
    BoilerplateMarker,
    BoilerplateSettings,
    _figures,
    _host,
    _lines,
    _sentence_end,
    classify_lines,
    count_lines,
)
from reprints.documents import Document
from reprints.line_batch import LineBatch, line_key

# Characters where the definitions differ most: Unicode spaces and digits, underscores,
# letters whose case folding or NFKC changes them, marks, CJK, closing quotes.
_TRICKY = "aZ09_ .!?:;'\"”’»)]…|[\t\r\x0b\x0c\x1c\x1f\x85\xa0\u2003\u3000éßİıK²½٣中\u0301ＦＩ"
_TEXT = st.text(st.sampled_from(_TRICKY + "\n\n\n"), max_size=80) | st.text(max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=6), st.sampled_from(["site.example", "sïte", "corpus:"]))
def test_lines_of_a_batch_are_the_lines_of_each_text(texts: list[str], site: str) -> None:
    batch = LineBatch.of(texts)
    assert batch.first.tolist()[0] == 0 and batch.first.tolist()[-1] == len(batch)
    keys = batch.keys(np.arange(len(batch)), [site] * len(texts)).tolist()
    lines = batch.texts()
    for k, text in enumerate(texts):
        lo, hi = int(batch.first[k]), int(batch.first[k + 1])
        base = int(batch.text_starts[k])
        expected = _lines(text)
        assert [(line.start, line.end) for line in expected] == [
            (int(s) - base, int(e) - base)
            for s, e in zip(batch.starts[lo:hi], batch.ends[lo:hi], strict=True)
        ]
        assert lines[lo:hi] == [line.text for line in expected]
        for i, line in enumerate(expected, start=lo):
            tokens, digits, letter_words = _figures(line.text)
            assert int(batch.tokens[i]) == tokens == line.tokens
            assert bool(batch.digits[i]) == digits
            assert int(batch.letter_words[i]) == (letter_words if digits else 0)
            assert bool(batch.ascii[i]) == line.text.isascii()
            assert keys[i] == line_key(site, line.text)


def test_line_key_ignores_case_spacing_and_digits() -> None:
    assert line_key("s", "Hello  World 2024") == line_key("s", "hello world 1999")
    assert line_key("s", "Hello") != line_key("t", "Hello")
    batch = LineBatch.of(["  Hello\t\x1c World 2024  \n", "ＨＥＬＬＯ world 1999"])
    assert batch.keys(np.arange(2), ["s", "s"]).tolist() == [line_key("s", "hello world 0000")] * 2


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(_TRICKY), min_size=1, max_size=30))
def test_the_fast_tail_tests_equal_the_patterns(text: str) -> None:
    tail = text.strip() or "x"
    assert _sentence_end(tail) == bool(_SENTENCE_END.search(tail))
    if _TEASER_END.search(tail):
        assert tail.endswith(_TEASER_ENDINGS)


@settings(max_examples=100, deadline=None)
@given(st.text(st.sampled_from("signupcoklfwhr ©SIGN" + "".join(_WIDGET_TRIGGERS)), max_size=30))
def test_widget_triggers_are_substrings(text: str) -> None:
    pattern = re.compile("|".join(map(re.escape, _WIDGET_TRIGGERS)))
    folded = text.casefold()
    assert any(t in folded for t in _WIDGET_TRIGGERS) == bool(pattern.search(folded))


def test_nfkc_lines_take_the_slow_path() -> None:
    text = "Ｆｕｌｌ width line"
    assert unicodedata.normalize("NFKC", text) != text
    batch = LineBatch.of([text])
    assert not batch.ascii[0]
    assert batch.keys(np.arange(1), ["s"]).tolist() == [line_key("s", "full WIDTH line")]


def _reference_spans(marker: BoilerplateMarker, doc: Document) -> list[tuple[int, int, str]]:
    """Marking one line at a time, as the definitions in boilerplate.py read."""
    lines = _lines(doc.text)
    reasons: list[str | None] = [None] * len(lines)
    site = marker.settings.site(doc)
    if site is not None and lines and site in marker.site_pages and marker.repeated.size:
        keys = np.array([line_key(site, line.text) for line in lines], dtype=np.uint64)
        at = np.minimum(np.searchsorted(marker.repeated, keys), marker.repeated.size - 1)
        counted = np.array([line.tokens > 0 for line in lines])
        hit = (marker.repeated[at] == keys) & counted
        lengths = np.array([line.end - line.start for line in lines])
        entirely = hit.any() and lengths[hit].sum() >= 0.95 * lengths[counted].sum()
        pages = marker.site_pages[site]
        for i in np.flatnonzero(hit).tolist():
            documents = int(marker.repeated_counts[at[i]])
            if lines[i].tokens >= 12 and (
                entirely or documents < marker.settings.chrome_share * pages
            ):
                continue
            reasons[i] = SITE_REPEAT
    if marker.settings.line_rules:
        for i, reason in enumerate(classify_lines(lines)):
            reasons[i] = reasons[i] or reason
    return [(x.start, x.end, r) for x, r in zip(lines, reasons, strict=True) if r is not None]


_CHROME = ["Post a Comment", "<< Home", "Latest news", "Tags: a, b", "12:30 PM", "of the..."]
_PAGE = st.lists(
    st.sampled_from(_CHROME) | _TEXT | st.just("A sentence of a few words, repeated."),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(_PAGE, st.sampled_from(["a.example", "b.example", ""])), max_size=14),
    st.booleans(),
    st.booleans(),
)
def test_batch_marking_equals_marking_line_by_line(
    pages: list[tuple[list[str], str]], line_rules: bool, corpus_wide: bool
) -> None:
    docs = [
        Document(f"d{k % 5}", "\n".join(lines), {"url": f"https://{site}/{k}"} if site else {})
        for k, (lines, site) in enumerate(pages)
    ]
    settings_ = BoilerplateSettings(2, line_rules, corpus_wide)
    marker = BoilerplateMarker.from_counts(settings_, count_lines(docs, settings_))
    spans, _ = marker.mark_batch(docs)
    for doc, found in zip(docs, spans, strict=True):
        assert [(s.start, s.end, s.reason) for s in found] == _reference_spans(marker, doc)


_URL_PART = st.sampled_from(
    ["http", "HTTPS", "ftp", "://", ":", "/", "?", "#", "@", ".", "-", "www.", "Ex", "a", "9",
     "[::1]", ":80", "\t", "\n", " ", "\x01", "é", "_", "%41", "user@"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_URL_PART, max_size=12).map("".join))
def test_host_is_what_urlsplit_finds(url: str) -> None:
    try:
        expected = urlsplit(url).hostname
    except ValueError:
        expected = None
    assert _host(url) == expected


def test_plain_urls_take_the_fast_path() -> None:
    for url in ("https://WWW.Site0.example/story/1", "http://a-b.example", "HTTP://x.y?q#f"):
        assert _PLAIN_URL.match(url) and _host(url) == urlsplit(url).hostname
