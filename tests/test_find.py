"""The find pipeline end to end: the seeds, and the properties every result must have."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reprints.api import FindOptions, find
from reprints.documents import Document
from reprints.options import OptionsError
from reprints.readers import read_documents
from reprints.synthetic import TextGenerator
from tests.conftest import NEWS_PAGE, REPOST

ONE_WORKER = FindOptions(workers=1)


def covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def test_seeds_repost_found_inside_the_news_page(seeds_dir: Path) -> None:
    with find(read_documents([seeds_dir]), ONE_WORKER) as result:
        assert len(result.pairs) == 1
        pair = result.pairs[0]
        assert (pair.a, pair.b) == (NEWS_PAGE, REPOST)
        assert pair.containment_b >= 0.85
        assert pair.jaccard < 0.3  # what whole-document MinHash dedup would see
        page, repost = result.texts[NEWS_PAGE], result.texts[REPOST]

        # Each of the repost's four paragraphs, in both copies, lies inside a passage.
        paragraphs = [line for line in repost.splitlines() if len(line) > 200]
        assert len(paragraphs) == 8
        repost_spans = [(p.b_start, p.b_end) for p in pair.passages]
        position = 0
        for paragraph in paragraphs:
            start = repost.index(paragraph, position)
            position = start + len(paragraph)
            # the closing quote mark is punctuation: passages end at the last word
            assert covered(repost_spans, start, start + len(paragraph.rstrip('”."'))), paragraph[
                :40
            ]

        # On the page's side nothing reaches into the link lists after the article.
        tail = page.index("Latest news")
        assert all(p.a_end <= tail for p in pair.passages)
        for p in pair.passages:
            assert page[p.a_start : p.a_end].strip() and repost[p.b_start : p.b_end].strip()

        # The repost repeats its four paragraphs.
        repeats = {r.doc: r for r in result.repeats}
        assert REPOST in repeats
        longest = max(repeats[REPOST].passages, key=lambda r: r.tokens)
        first = repost[longest.first_start : longest.first_end]
        again = repost[longest.repeat_start : longest.repeat_end]
        assert first == again
        assert all(p[:100] in first for p in paragraphs[:4])


def _docs_from(texts: list[str]) -> list[Document]:
    return [Document(f"doc{i:03d}", text) for i, text in enumerate(texts)]


def _result_json(documents: list[Document], workers: int = 1) -> str:
    with find(documents, FindOptions(workers=workers, min_tokens=15)) as result:
        return json.dumps(
            [p.to_json() for p in result.pairs] + [r.to_json() for r in result.repeats],
            sort_keys=True,
        )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_offsets_slice_the_texts_and_order_does_not_matter(seed: int) -> None:
    gen = TextGenerator(seed, vocabulary=3000)
    base = [gen.article(int(gen.rng.integers(30, 150))) for _ in range(5)]
    texts = list(base)
    texts.append(base[0][: len(base[0]) // 2] + "\n\n" + gen.article(40))  # partial copy
    texts.append(gen.edit(base[1], 0.05))  # edited copy
    texts.append(base[2] + "\n\n" + base[2])  # internal repeat
    documents = _docs_from(texts)
    with find(documents, FindOptions(workers=1, min_tokens=15)) as result:
        by_id = {d.id: d.text for d in documents}
        for pair in result.pairs:
            for p in pair.passages:
                a_part = by_id[pair.a][p.a_start : p.a_end]
                b_part = by_id[pair.b][p.b_start : p.b_end]
                assert 0 <= p.a_start < p.a_end <= len(by_id[pair.a])
                assert 0 <= p.b_start < p.b_end <= len(by_id[pair.b])
                # passages begin and end on word characters
                assert a_part[0].isalnum() and a_part[-1].isalnum()
                assert b_part[0].isalnum() and b_part[-1].isalnum()
        for repeat in result.repeats:
            text = by_id[repeat.doc]
            for r in repeat.passages:
                assert r.first_end <= r.repeat_start <= r.repeat_end <= len(text)
    shuffled = documents[:]
    random.Random(seed).shuffle(shuffled)
    assert _result_json(shuffled) == _result_json(documents)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.05))
@example(1069, 0.046875)
def test_a_copy_with_few_word_edits_is_found_contained(seed: int, rate: float) -> None:
    gen = TextGenerator(seed)
    source = gen.article(int(gen.rng.integers(150, 400)))
    host = gen.article(200) + "\n\n" + gen.edit(source, rate) + "\n\n" + gen.article(100)
    documents = [
        Document("source", source),
        Document("host", host),
        Document("other", gen.article(300)),
    ]
    with find(documents, ONE_WORKER) as result:
        pairs = {(p.a, p.b): p for p in result.pairs}
        assert ("host", "source") in pairs
        # A token counts as contained only where a seed 3-gram covers it, so up to 5%
        # of words edited leaves less than 95% contained: 0.894 at seed 1069, rate 4.7%
        # (edits close together, repeated 3-grams of the generator's Zipfian words).
        assert pairs[("host", "source")].containment_b >= 0.85
        assert set(pairs) == {("host", "source")}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_unrelated_texts_give_no_pair(seed: int) -> None:
    gen = TextGenerator(seed)
    documents = _docs_from([gen.article(int(gen.rng.integers(50, 400))) for _ in range(8)])
    with find(documents, ONE_WORKER) as result:
        assert result.pairs == []


def test_worker_count_does_not_change_the_output() -> None:
    gen = TextGenerator(7)
    base = [gen.article(300) for _ in range(30)]
    texts = (
        base
        + [gen.edit(t, 0.03) for t in base[:10]]
        + [t[:700] + gen.article(50) for t in base[10:20]]
    )
    documents = _docs_from(texts)
    assert _result_json(documents, workers=1) == _result_json(documents, workers=2)


def test_boilerplate_marked_in_workers_is_counted_once_in_the_summary(seeds_dir: Path) -> None:
    from reprints.boilerplate import BoilerplateDetector

    documents = list(read_documents([seeds_dir]))
    summaries = []
    for workers in (1, 2):
        with find(documents, FindOptions(workers=workers), boilerplate=BoilerplateDetector()) as r:
            summaries.append(r.summary["boilerplate"])
    assert summaries[0] == summaries[1]
    assert summaries[0]["documents_with_marked_lines"] == 2


def test_stock_phrases_over_max_df_do_not_pair_documents() -> None:
    gen = TextGenerator(11)
    footer = (
        "Subscribe to our newsletter for the latest news and exclusive offers from all our "
        "partners today, and follow us on every social network to never miss a story again"
    )
    documents = _docs_from([gen.article(150) + "\n\n" + footer for _ in range(12)])
    with find(documents, FindOptions(workers=1, max_df=5)) as result:
        assert result.pairs == []
        assert result.summary["anchors_capped"] > 0
    with find(documents, FindOptions(workers=1, max_df=50)) as result:
        assert len(result.pairs) == 12 * 11 // 2


def test_find_cli_writes_identical_bytes_whatever_the_order(tmp_path: Path) -> None:
    from reprints.cli import main

    gen = TextGenerator(3)
    folder = tmp_path / "in"
    folder.mkdir()
    base = [gen.article(200) for _ in range(6)]
    for i, text in enumerate([*base, gen.edit(base[0], 0.02), base[1] + "\n\n" + base[1]]):
        (folder / f"{i}.txt").write_text(text, encoding="utf-8")
    names = sorted(p.name for p in folder.iterdir())
    assert main(["-q", "find", *(str(folder / n) for n in names), "-o", str(tmp_path / "o1")]) == 0
    rev = [str(folder / n) for n in reversed(names)]
    assert main(["-q", "find", *rev, "-o", str(tmp_path / "o2"), "--workers", "2"]) == 0
    for name in ("pairs.jsonl", "self.jsonl"):
        assert (tmp_path / "o1" / name).read_bytes() == (tmp_path / "o2" / name).read_bytes()
    pairs = [
        json.loads(line) for line in (tmp_path / "o1" / "pairs.jsonl").read_text().splitlines()
    ]
    assert [(p["a"], p["b"]) for p in pairs] == [("0.txt", "6.txt"), ("1.txt", "7.txt")]
    summary = json.loads((tmp_path / "o1" / "summary.json").read_text())
    assert summary["input"]["read"] == 8 and summary["pairs"] == 2
    assert not list((tmp_path / "o1").glob(".*tmp"))
    assert re.search(r'"documents_with_repeats": 1', (tmp_path / "o1" / "summary.json").read_text())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_repeats_stay_inside_the_text_with_short_loose_settings(seed: int) -> None:
    # A tiny vocabulary repeats itself everywhere: chains drift off their diagonal, and
    # a repeat that overlaps its first occurrence must be cut inside the text.
    rng = random.Random(seed)
    words = ["ab", "cd", "ef", "gh", "ij", "kl"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(20, 200))) for _ in range(3)]
    options = FindOptions(
        ngram=4, seed_ngram=2, min_tokens=4, max_gap=20, min_similarity=0.2, workers=1
    )
    with find(_docs_from(texts), options) as result:
        for repeats in result.repeats:
            text = result.texts[repeats.doc]
            for r in repeats.passages:
                assert 0 <= r.first_start < r.first_end <= r.repeat_start < r.repeat_end
                assert r.repeat_end <= len(text)


def test_two_identical_documents_shorter_than_min_tokens_pair_up() -> None:
    """An exact short duplicate (issue 9): found whatever --min-tokens says."""
    text = "Lighthouse keeper retires after forty years on the rock."
    documents = [Document("a", text), Document("b", text), Document("c", "Tide tables for March.")]
    with find(documents, ONE_WORKER) as result:
        assert [(p.a, p.b) for p in result.pairs] == [("a", "b")]
        (passage,) = result.pairs[0].passages
        assert (passage.a_start, passage.a_end) == (0, len(text) - 1)
        assert result.pairs[0].containment_a == 1.0


def test_listed_pairs_only_are_aligned_even_without_a_shared_anchor() -> None:
    gen = TextGenerator(11)
    source = gen.article(200)
    documents = [
        Document("copy", gen.edit(source, 0.02)),
        Document("other-copy", source),
        Document("source", source),
    ]
    with find(documents, ONE_WORKER, pairs=[("source", "copy")]) as result:
        assert [(p.a, p.b) for p in result.pairs] == [("copy", "source")]
        assert result.repeats == []
    with (
        pytest.raises(OptionsError, match="missing"),
        find(documents, ONE_WORKER, pairs=[("source", "missing")]),
    ):
        pass


def test_find_cli_reads_a_pairs_file(tmp_path: Path) -> None:
    from reprints.cli import main

    gen = TextGenerator(12)
    source = gen.article(150)
    for name, text in (("a", source), ("b", source), ("c", gen.edit(source, 0.01))):
        (tmp_path / f"{name}.txt").write_text(text)
    listed = tmp_path / "pairs.tsv"
    listed.write_text("# suspicious\tsource\na.txt\tc.txt\n")
    out = tmp_path / "out"
    inputs = [str(tmp_path / f"{name}.txt") for name in "abc"]
    args = ["-q", "find", *inputs, "-o", str(out), "--pairs", str(listed), "--workers", "1"]
    assert main(args) == 0
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert [(p["a"], p["b"]) for p in pairs] == [("a.txt", "c.txt")]
