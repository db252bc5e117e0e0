"""report.html: structure, self-containment, highlighting (reprints.report)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reprints.api import FindOptions, find, write_groups_and_report
from reprints.documents import Pair, Passage
from reprints.group import build_groups
from reprints.readers import read_documents
from reprints.report import render_report, showcase, top_pairs, write_report
from reprints.report.highlight import (
    FULL_TEXT_CHARS,
    Run,
    colour_groups,
    pair_view,
    render_side,
    side_runs,
)
from reprints.synthetic import TextGenerator
from reprints.text import Tokenizer
from tests.conftest import NEWS_PAGE, REPOST
from tests.report._html import Page, runs_by_id

PARAGRAPHS = (
    "WASHINGTON — Gen. Qassim Suleimani",
    "In meeting with General Suleimani",
    "The contact suggests that the Iraqis",
    "“Clearly, any arrival and activation",
)


@pytest.fixture(scope="module")
def seeds_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import SEEDS

    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not present")
    out = tmp_path_factory.mktemp("seeds")
    with find(read_documents([SEEDS]), FindOptions(workers=1)) as result:
        write_groups_and_report(result, out)
    return out / "report.html"


def _side(page: Page, pair: int, side: str):
    (pair_el,) = page.find("details", id=f"pair-{pair}")
    (box,) = [e for e in page.find("div", cls="side", data_side=side) if pair_el in e.ancestors()]
    return box


def test_seeds_report_is_self_contained_and_balanced(seeds_report: Path) -> None:
    source = seeds_report.read_text(encoding="utf-8")
    page = Page(source)
    assert page.errors == []
    # Nothing is fetched: no external stylesheet, script, image, font or import.
    assert not page.find("link")
    assert all("src" not in e.attrs for e in page.find("script"))
    assert all("src" not in e.attrs for e in page.find("img"))
    assert "@import" not in source
    assert not re.search(r"url\((?!#)", source)  # only the SVGs' own clip paths
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", source)
    # Charts are inline SVG: the containment histogram and the cluster sizes.
    assert len(page.find("svg")) == 2
    for section in ("figures", "charts", "top-pairs", "pairs", "clusters", "documents", "repeats"):
        assert page.find("section", id=section), section
    assert len(page.find("details", cls="pair")) == 1


def test_seeds_report_highlights_both_copies_on_the_repost_once_on_the_page(
    seeds_report: Path,
) -> None:
    page = Page(seeds_report.read_text(encoding="utf-8"))
    (pair,) = page.find("details", cls="pair")
    assert NEWS_PAGE in pair.content() and REPOST in pair.content()
    page_side, repost_side = _side(page, 0, "a"), _side(page, 0, "b")
    page_runs, repost_runs = runs_by_id(page_side, page), runs_by_id(repost_side, page)

    def colour(runs: dict[str, str], box) -> dict[str, str]:
        return {
            e.attrs["data-run"]: e.attrs["data-g"]
            for e in page.find(cls="run")
            if box in e.ancestors()
        }

    # The four paragraphs: one run on the page's side...
    on_page = [r for r, text in page_runs.items() if all(p in text for p in PARAGRAPHS)]
    assert len(on_page) == 1
    group = colour(page_runs, page_side)[on_page[0]]
    # ...and two on the repost's side, in the same colour, each holding all four.
    repost_colour = colour(repost_runs, repost_side)
    same = [r for r in repost_runs if repost_colour[r] == group]
    assert len(same) == 2
    for run in same:
        assert all(p in repost_runs[run] for p in PARAGRAPHS)
    # The page's run is the article text, not its "Latest news" tail.
    assert "Latest news" not in page_runs[on_page[0]]
    # Differing words are marked only inside highlighted runs.
    marked = [e for e in page.find(cls="df") if any("side" in a.classes for a in e.ancestors())]
    assert marked  # the repost's byline differs ("NYT, JUNE 13, 2014")
    for df in marked:
        assert any("run" in a.classes for a in df.ancestors())


def test_report_lists_clusters_and_roles(seeds_report: Path) -> None:
    page = Page(seeds_report.read_text(encoding="utf-8"))
    (clusters,) = page.find("section", id="clusters")
    assert (
        "cluster 0" in clusters.content() and "3 occurrences in 2 documents" in clusters.content()
    )
    (documents,) = page.find("section", id="documents")
    assert NEWS_PAGE in documents.content() and f"{REPOST} (copy)" in documents.content()


def test_find_cli_writes_the_report_and_no_report_skips_it(seeds_dir: Path, tmp_path: Path) -> None:
    from reprints.cli import main

    assert main(["-q", "find", str(seeds_dir), "-o", str(tmp_path / "one"), "--workers", "1"]) == 0
    assert main(["-q", "find", str(seeds_dir), "-o", str(tmp_path / "two"), "--workers", "2"]) == 0
    for name in ("clusters.jsonl", "documents.jsonl", "report.html"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    summary = (tmp_path / "one" / "summary.json").read_text()
    assert '"passage_clusters": 2' in summary and '"document_clusters": 1' in summary
    assert main(["-q", "find", str(seeds_dir), "-o", str(tmp_path / "bare"), "--no-report"]) == 0
    assert (tmp_path / "bare" / "clusters.jsonl").exists()
    assert not (tmp_path / "bare" / "report.html").exists()


# --- highlighting -----------------------------------------------------------------


def _passage(a: tuple[int, int], b: tuple[int, int]) -> Passage:
    return Passage(a[0], a[1], b[0], b[1], 10, 1.0)


def test_colour_groups_join_the_same_text_but_not_nested_text() -> None:
    passages = [
        _passage((0, 100), (0, 100)),  # the article, first copy
        _passage((2, 100), (120, 220)),  # the article again, second copy
        _passage((0, 30), (300, 330)),  # a teaser quoting its opening
    ]
    assert colour_groups(passages) == [0, 0, 1]
    runs = side_runs([(p.a_start, p.a_end) for p in passages], colour_groups(passages))
    assert runs == [Run(0, 30, 1, (2,)), Run(0, 100, 0, (0, 1))]


def test_crossing_runs_nest_as_pieces() -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(40))
    runs = [Run(0, 20, 0, (0,)), Run(10, 30, 1, (1,))]
    out = render_side(text, runs, [(12, 14)], "k")
    page = Page(f"<div>{out}</div>")
    assert page.errors == []
    assert page.elements[0].content() == text
    assert runs_by_id(page.elements[0], page) == {"k0": text[0:20], "k1": text[10:30]}
    # The longer run is outer; a run's first piece carries its id, only once.
    assert len(page.find(id="k0")) == 1 and len(page.find(id="k1")) == 1
    (df,) = page.find(cls="df")
    assert df.content() == text[12:14]


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet="ab <&>\n\"'é", min_size=1, max_size=80),
    spans=st.lists(
        st.tuples(st.integers(0, 80), st.integers(1, 40), st.integers(0, 3)), max_size=6
    ),
    diff_points=st.lists(st.integers(0, 80), max_size=10),
)
def test_render_side_keeps_the_text_and_every_run(text, spans, diff_points) -> None:
    n = len(text)
    clipped = sorted({(min(s, n - 1), min(s + w, n), g) for s, w, g in spans})
    runs = [Run(s, e, g, (i,)) for i, (s, e, g) in enumerate(clipped) if e > s]
    # Diffs: disjoint one- or two-character tokens.
    points = sorted({min(p, n - 1) for p in diff_points})
    diffs, last = [], -1
    for p in points:
        if p >= last:
            diffs.append((p, min(p + 2, n)))
            last = min(p + 2, n)
    out = render_side(text, runs, diffs, "r")
    page = Page(f"<div>{out}</div>")
    assert page.errors == []
    assert page.elements[0].content() == text
    found = runs_by_id(page.elements[0], page)
    assert found == {f"r{k}": text[r.start : r.end] for k, r in enumerate(runs)}
    assert "".join(
        e.content()
        for e in page.find(cls="df")
        if e.parent is not None and "df" not in e.parent.classes
    ) == "".join(text[s:e] for s, e in diffs)


def test_long_texts_are_elided_around_the_runs() -> None:
    gen = TextGenerator(5)
    text = gen.article(8_000)
    assert len(text) > FULL_TEXT_CHARS
    middle = len(text) // 2
    run = Run(middle, middle + 500, 0, (0,))
    page = Page(f"<div>{render_side(text, [run], [], 'x', context=100)}</div>")
    assert page.errors == []
    shown = "".join(e.content() for e in page.find(cls="gap"))
    assert "characters not shown" in shown
    assert text[middle : middle + 500] in page.elements[0].content()
    assert len(page.elements[0].content()) < 1_000 + len(shown)
    gaps = [int(re.sub(r"\D", "", g.content())) for g in page.find(cls="gap")]
    assert sum(gaps) == len(text) - 700


def test_pair_view_marks_the_edited_words() -> None:
    a = "one two three four five six seven eight nine ten"
    b = "One two THREE four 5 six seven eight nine ten"
    view = pair_view("p", a, b, [_passage((0, len(a)), (0, len(b)))], Tokenizer())
    marked_a = [html.unescape(m) for m in re.findall(r'<span class="df">(.*?)</span>', view.side_a)]
    marked_b = [html.unescape(m) for m in re.findall(r'<span class="df">(.*?)</span>', view.side_b)]
    assert marked_a == ["five"] and marked_b == ["5"]  # case never counts as a difference


# --- scale ------------------------------------------------------------------------


def test_large_runs_show_the_top_n_and_summarise_the_rest() -> None:
    gen = TextGenerator(9)
    base = gen.article(300)
    texts = {f"d{i:04d}": base if i % 2 else gen.edit(base, 0.05) for i in range(400)}
    n = len(base)
    pairs = [
        Pair(f"d{i:04d}", f"d{i + 1:04d}", 0.9, 0.9, 0.8, (_passage((0, n // 2), (0, n // 2)),))
        for i in range(0, 398)
    ]
    doc_ids = sorted(texts)
    groups = build_groups(pairs, doc_ids, {}, texts)
    page_source = render_report(pairs, [], doc_ids, {}, texts, {}, groups, top_n=5)
    page = Page(page_source)
    assert page.errors == []
    assert len(page.find("details", cls="pair")) == 5
    (table,) = [
        t
        for t in page.find("table")
        if any(s.attrs.get("id") == "top-pairs" for s in t.ancestors())
    ]
    assert len([e for e in page.find("tr") if table in e.ancestors()]) == 1 + 200
    assert "198 more pairs are in pairs.jsonl" in page_source
    assert "more are in the table above" in page_source


def test_write_report_is_atomic_and_builds_groups_itself(tmp_path: Path) -> None:
    texts = {"x": "alpha beta gamma delta", "y": "alpha beta gamma delta"}
    pairs = [Pair("x", "y", 1.0, 1.0, 1.0, (_passage((0, 22), (0, 22)),))]
    path = write_report(tmp_path, pairs, [], ["x", "y"], {}, texts, {})
    assert path == tmp_path / "report.html"
    assert not list(tmp_path.glob(".*tmp"))
    assert Page(path.read_text(encoding="utf-8")).errors == []


def test_showcase_takes_the_best_pair_of_each_document_cluster_first() -> None:
    texts = {d: "x" for d in ("a1", "a2", "a3", "b1", "b2")}
    big = [
        Pair(x, y, 0.9, 0.9, 0.9, (Passage(0, 1, 0, 1, 100, 1.0),))
        for x, y in (("a1", "a2"), ("a1", "a3"), ("a2", "a3"))
    ]
    small = Pair("b1", "b2", 0.9, 0.9, 0.9, (Passage(0, 1, 0, 1, 10, 1.0),))
    pairs = [*big, small]
    groups = build_groups(pairs, sorted(texts), {}, texts)
    ranked = top_pairs(pairs, len(pairs))
    assert ranked[-1] == small
    assert showcase(ranked, groups.documents, 2) == [big[0], small]
    assert showcase(ranked, groups.documents, 3) == [big[0], big[1], small]
    assert showcase(ranked, groups.documents, 10) == ranked
