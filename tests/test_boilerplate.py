"""Boilerplate: site repeats, the line rules on the seeds, and using the spans."""

from __future__ import annotations

import functools
import itertools
import pickle
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.boilerplate import (
    SITE_REPEAT,
    WIDGET,
    BoilerplateDetector,
    BoilerplateMarker,
    BoilerplateSettings,
    LineCounts,
    MarkCounts,
    MarkedSpan,
    boilerplate_summary,
    count_lines,
    drop_spans,
    explain,
    mark_tokens,
)
from reprints.documents import Document
from reprints.text import Tokenizer
from tests.conftest import NEWS_PAGE, REPOST

NEWS_TAIL = ("Latest news", "Must read", "You might also like", "Recommended to you")
REPOST_WIDGETS = ("(More here.)", "0 Comments:", "Post a Comment", "<< Home")


def line_rule_spans(text: str) -> list[MarkedSpan]:
    """What the line rules alone mark in a text (a document of no site)."""
    marker = BoilerplateMarker.from_counts(BoilerplateSettings(), LineCounts())
    return marker.spans(Document("t", text))


def _marked(doc: Document, spans: list[MarkedSpan]) -> list[str]:
    return [doc.text[s.start : s.end] for s in spans]


def _overlaps(spans: list[MarkedSpan], start: int, end: int) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def _seeds(seeds_dir: Path) -> tuple[Document, Document, BoilerplateDetector]:
    page = Document(NEWS_PAGE, (seeds_dir / NEWS_PAGE).read_text(encoding="utf-8"))
    repost = Document(REPOST, (seeds_dir / REPOST).read_text(encoding="utf-8"))
    detector = BoilerplateDetector()
    for doc in (page, repost):
        detector.observe(doc)
    return page, repost, detector


def test_seed_repost_widgets_are_marked(seeds_dir: Path) -> None:
    _, repost, detector = _seeds(seeds_dir)
    spans = detector.spans(repost)
    marked = _marked(repost, spans)
    for widget in REPOST_WIDGETS:
        assert widget in marked, widget
    assert marked.count("(More here.)") == 2
    assert {s.reason for s in spans} == {WIDGET}
    # Its title, byline and four paragraphs (pasted twice) are all kept.
    kept = drop_spans(repost.text, spans)
    assert kept.count("WASHINGTON — Gen. Qassim Suleimani") == 2
    assert kept.count("“The terrorism threat in Iraq is perceived strongly") == 2
    assert kept.startswith("Beleaguered Iraqis Court") and "By ERIC SCHMITT" in kept


def test_seed_news_page_tail_is_marked_and_article_is_not(seeds_dir: Path) -> None:
    page, _, detector = _seeds(seeds_dir)
    spans = detector.spans(page)
    marked = " | ".join(_marked(page, spans))
    for heading in NEWS_TAIL:
        assert heading in marked, heading
    tail = page.text.index("Latest news")
    # Everything from "Latest news" on is marked (teasers and headlines included) ...
    for line_start, line in _line_spans(page.text[tail:], tail):
        assert _overlaps(spans, line_start, line_start + len(line)), line
    # ... and no sentence of the article's paragraphs is.
    first = page.text.index("WASHINGTON — Gen.")
    for line_start, line in _line_spans(page.text[first:tail], first):
        assert not _overlaps(spans, line_start, line_start + len(line)), line


def _line_spans(text: str, offset: int) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((offset + pos, line))
        pos += len(line) + 1
    return out


HEADER = ["Valley News", "Home | World | Sport | Weather", "Subscribe to our newsletter today"]
FOOTER = [
    "Valley News is published by Valley Media Group, 12 Mill Street, Rivertown",
    "About us | Contact | Advertise | Careers",
]


NAMES = ["Ash", "Birch", "Cedar", "Elm", "Fir", "Hazel", "Larch", "Maple", "Oak", "Rowan"]


def _article(i: int) -> list[str]:
    name = NAMES[i]
    return [
        f"Mr {name} asks the council about the bridge",
        f"Councillor {name} said the stone bridge needs repairs before winter, and the "
        f"council agreed to ask the county for money to pay for {name} Street as well.",
        f"Residents of {name} Street were asked to use the ford in the meantime, which the "
        "fire brigade said was safe as long as the river stayed low.",
    ]


def _site_page(i: int, body: list[str]) -> Document:
    text = "\n".join([*HEADER, *body, *FOOTER])
    return Document(f"p{i}", text, {"url": f"https://www.valley.example/news/{i}"})


def test_site_header_and_footer_are_marked(tmp_path: Path) -> None:
    pages = [_site_page(i, _article(i)) for i in range(10)]
    detector = BoilerplateDetector(min_docs=3, line_rules=False)
    for doc in pages:
        detector.observe(doc)
    for doc in pages:
        spans = detector.spans(doc)
        assert _marked(doc, spans) == HEADER + FOOTER
        assert {s.reason for s in spans} == {SITE_REPEAT}
    summary = detector.summary(detector.marker().mark_batch(pages)[1])
    assert summary["sites"] == 1 and summary["marked_lines"] == {SITE_REPEAT: 50}
    top = summary["top_repeated_lines"]
    assert {t["line"] for t in top} == set(HEADER + FOOTER)
    assert all(t["documents"] == 10 and t["site"] == "valley.example" for t in top)


def test_site_is_the_folder_of_saved_pages_when_there_is_no_url() -> None:
    docs = [
        Document(f"d{i}", f"Shared footer line\nText of {NAMES[i]}", {"source": f"/c/a/{i}.html"})
        for i in range(3)
    ] + [Document("e", "Shared footer line\nOther", {"source": "/c/b/e.html.gz"})]
    detector = BoilerplateDetector(min_docs=3, line_rules=False)
    for doc in docs:
        detector.observe(doc)
    assert [len(detector.spans(d)) for d in docs] == [1, 1, 1, 0]


def test_a_folder_of_text_files_is_not_a_site() -> None:
    # An archive of papers as .txt files: a line in three of them is a reprint.
    docs = [
        Document(f"d{i}", f"Shared line of text\nText of {NAMES[i]}", {"source": f"/c/{i}.txt"})
        for i in range(4)
    ]
    detector = BoilerplateDetector(min_docs=3, line_rules=False)
    for doc in docs:
        detector.observe(doc)
    assert [detector.spans(d) for d in docs] == [[], [], [], []]


def test_a_paragraph_on_a_few_pages_of_a_site_is_a_reprint_not_chrome() -> None:
    paragraph = (
        "The council voted on Tuesday to rebuild the stone bridge over the river before "
        "winter, after engineers warned that the old arches could not carry lorries."
    )
    about = "About the Valley Gazette: news from the valley since 1901, every day of the year."
    pages = [
        Document(
            f"p{i}",
            f"Story {NAMES[i]} of the day.\n{paragraph if i < 3 else 'Nothing else.'}\n{about}",
            {"url": f"https://valley.example/{i}"},
        )
        for i in range(8)
    ]
    detector = BoilerplateDetector(min_docs=3, line_rules=False)
    for page in pages:
        detector.observe(page)
    copy = pickle.loads(pickle.dumps(detector.marker()))  # as a worker process gets it
    for page in pages:
        marked = {page.text[s.start : s.end] for s in copy.spans(page)}
        assert about in marked  # on every page: chrome
        assert paragraph not in marked  # on 3 of 8 pages: an article reprinted


def test_a_story_published_several_times_on_a_site_is_not_chrome() -> None:
    body = _article(1)
    pages = [_site_page(i, body) for i in range(4)]
    detector = BoilerplateDetector(min_docs=3, line_rules=False)
    for doc in pages:
        detector.observe(doc)
    for doc in pages:
        marked = _marked(doc, detector.spans(doc))
        assert body[1] not in marked and body[2] not in marked


def test_line_rules_keep_ordinary_prose() -> None:
    text = (
        "A short heading\n"
        "This is a sentence of ordinary prose that ends as sentences do.\n"
        "And here is another one, with a comma, which also ends properly.\n"
        "Home\n"
        "Post a Comment\n"
    )
    marked = _marked(Document("t", text), line_rule_spans(text))
    assert marked == ["Home", "Post a Comment"]


def test_min_docs_must_be_at_least_two() -> None:
    with pytest.raises(ValueError):
        BoilerplateDetector(min_docs=1)


def test_mark_tokens_and_explain() -> None:
    text = "keep these words\nPost a Comment\nkeep more"
    start = text.index("Post")
    spans = [MarkedSpan(start, start + len("Post a Comment"), WIDGET)]
    tokens = mark_tokens(Tokenizer().tokenize(text), spans)
    assert tokens.boilerplate is not None
    assert tokens.boilerplate.tolist() == [False] * 3 + [True] * 3 + [False] * 2
    assert explain(Document("t", text), spans) == [
        {"start": start, "end": start + 14, "reason": WIDGET, "text": "Post a Comment"}
    ]
    assert drop_spans(text, spans) == "keep these words\nkeep more"


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ab \n.", max_size=80),
    st.lists(st.tuples(st.integers(0, 80), st.integers(0, 20)), max_size=6),
)
def test_mark_tokens_matches_the_definition(text: str, raw: list[tuple[int, int]]) -> None:
    spans = sorted(
        (MarkedSpan(s, min(s + n, len(text)), "x") for s, n in raw if s < len(text)),
        key=lambda s: s.start,
    )
    tokens = mark_tokens(Tokenizer().tokenize(text), spans)
    expected = [
        any(s.start < e and b < s.end for s in spans)
        for b, e in zip(tokens.starts.tolist(), tokens.ends.tolist(), strict=True)
    ]
    mask = tokens.boilerplate if tokens.boilerplate is not None else np.zeros(len(tokens), bool)
    assert mask.tolist() == expected
    # drop_spans removes the marked text and only whitespace around it: every other
    # visible character is kept, in order.
    outside = [
        c
        for i, c in enumerate(text)
        if not c.isspace() and not any(s.start <= i < s.end for s in spans)
    ]
    assert [c for c in drop_spans(text, spans) if not c.isspace()] == outside


def _settings_pages() -> tuple[BoilerplateSettings, list[Document]]:
    pages = [_site_page(i, _article(i)) for i in range(10)]
    pages.append(Document("other", "A page of no site.\nPost a Comment"))
    return BoilerplateSettings(min_docs=3), pages


def test_a_pickled_marker_marks_the_same_and_batch_counts_add_up() -> None:
    """Worker processes get a pickled marker: slim, the same spans, counts as values."""
    settings, pages = _settings_pages()
    counts = count_lines(pages, settings)
    marker = BoilerplateMarker.from_counts(settings, counts)
    copy = pickle.loads(pickle.dumps(marker))
    assert copy.repeated.size == len(HEADER) + len(FOOTER)  # not every line's count
    assert [copy.spans(d) for d in pages] == [marker.spans(d) for d in pages]
    _, first = copy.mark_batch(pages[:4])
    _, second = marker.mark_batch(pages[4:])
    _, whole = marker.mark_batch(pages)
    assert first.merge(second) == second.merge(first) == whole
    summary = boilerplate_summary(settings, counts, whole)
    assert summary["marked_lines"] == {SITE_REPEAT: 50, WIDGET: 1}
    assert summary["documents_with_marked_lines"] == 11
    assert summary["documents"] == 11 and summary["sites"] == 1
    assert len(summary["top_repeated_lines"]) == len(HEADER) + len(FOOTER)


def test_marking_has_no_side_effects() -> None:
    settings, pages = _settings_pages()
    marker = BoilerplateMarker.from_counts(settings, count_lines(pages, settings))
    once = marker.mark_batch(pages)
    assert marker.mark_batch(pages) == once  # marking twice marks and counts the same


def test_detector_spans_only_read() -> None:
    settings, pages = _settings_pages()
    detector = BoilerplateDetector.from_settings(settings)
    for doc in pages:
        detector.observe(doc)
    _, before = detector.marker().mark_batch(pages)
    spans = [detector.spans(doc) for doc in [*pages, *pages]]
    assert spans[: len(pages)] == spans[len(pages) :]
    assert detector.marker().mark_batch(pages) == (spans[: len(pages)], before)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_line_counts_merge_in_any_order_into_the_counts_of_the_whole(
    cuts: list[int], rng: random.Random
) -> None:
    config, pages = _settings_pages()
    pages = pages + [
        Document(f"q{i}", f"Updated {i} May\nShared line\nText {i}", {"url": "https://b.example/"})
        for i in range(5)
    ]
    whole = count_lines(pages, config)
    bounds = sorted({0, len(pages), *(min(c, len(pages)) for c in cuts)})
    parts = [count_lines(pages[lo:hi], config) for lo, hi in itertools.pairwise(bounds)]
    rng.shuffle(parts)
    merged = functools.reduce(LineCounts.merge, parts, LineCounts())
    assert np.array_equal(merged.keys, whole.keys)
    assert np.array_equal(merged.counts, whole.counts)
    assert merged.site_docs == whole.site_docs and merged.documents == whole.documents
    # A line that differs only in its digits is one line; the text shown for it comes
    # from the smallest document id, whatever order the documents are marked in.
    marker = BoilerplateMarker.from_counts(config, whole)
    shuffled = pages[:]
    rng.shuffle(shuffled)
    marks = MarkCounts.total(marker.mark_batch([d])[1] for d in shuffled)
    lines = {t.line for t in marks.top.values() if t.site == "b.example"}
    assert lines == {"Updated 0 May", "Shared line", "Text 0"}


@pytest.mark.parametrize(
    ("line", "widget"),
    [
        ("Post a Comment", True),
        ("Updated at 1:23 p.m.", True),
        ("UPDATED: Tue., Nov. 19, 2019", True),
        ("Follow The New York Times Opinion section on Facebook and Twitter.", True),
        ("© 2019 Associated Press. All Rights Reserved.", True),
        ("Sign up for our newsletter to get the day's news in your inbox", True),
        ("Most read in world news", True),
        ("Updated guidelines are coming soon for all schools in 2020 and beyond.", False),
        ("Most readers agree that the plan is good.", False),
        ("The blog's author said she would follow the story wherever it led.", False),
        ("He logged the share price every morning before the markets opened.", False),
        ("Follow us on Twitter", True),
        ("Follow @harbornews for updates", True),
        ("Click here to subscribe", True),
        # Ordinary article text that the rules once took for widgets (issue 9).
        ("Click here to read the full report, the mayor told reporters after the vote.", False),
        ("Follow us on the trail, the guide said, and keep left of the river bank.", False),
    ],
)
def test_widget_lines(line: str, widget: bool) -> None:
    text = f"A paragraph of ordinary prose comes first, as it does in articles.\n{line}"
    marked = [text[s.start : s.end] for s in line_rule_spans(text)]
    assert (line in marked) is widget


def test_empty_line_counts_merge() -> None:
    from reprints.boilerplate import LineCounts

    merged = LineCounts().merge(LineCounts(site_docs={"a": 1}))
    assert merged.keys.size == 0 and merged.counts.size == 0 and merged.site_docs == {"a": 1}


def test_a_widget_sounding_line_inside_article_text_is_not_boilerplate() -> None:
    """A short line between prose paragraphs ("Email this video to a friend" quoted by
    the article) stays text when nothing around it is boilerplate."""
    lines = [
        "The council met on Tuesday to discuss the budget for the coming year.",
        "Email this video to a friend",
        "Click here to read the full report, the mayor told reporters after the vote.",
        "Residents said they were pleased with the plans for the new park.",
    ]
    text = "\n\n".join(lines)
    detector = BoilerplateDetector()
    doc = Document("page", text)
    detector.observe(doc)
    assert detector.spans(doc) == []
