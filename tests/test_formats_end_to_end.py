"""Issue 5 end to end: the same texts in every format give the same pairs; site chrome
never pairs pages; the seeds deduplicate to the news page, its tail cut."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reprints.api import FindOptions, find
from reprints.boilerplate import BoilerplateDetector
from reprints.cli import main
from reprints.documents import Pair
from reprints.readers import ReadLog, ReadOptions, read_documents
from tests.conftest import NEWS_PAGE, REPOST
from tests.readers._warc import Response, write_warc

STORY = (
    "The council voted on Tuesday to rebuild the stone bridge over the river before "
    "winter, after engineers warned that the old arches could not carry lorries for "
    "another year. Repairs will cost four million pounds, paid by the county and a "
    "government grant, and the road will close for six months while the work is done."
)
OTHER = (
    "A lost dog walked forty miles home across the moors last week, surprising its "
    "owners, who had moved house in the spring and feared they would never see it again."
)
TEXTS = {
    "d0": f"Local news\n{STORY}\nThat was the news from the valley.",
    "d1": f"From our reporter:\n{STORY} Residents welcomed the decision.",
    "d2": OTHER,
    "d3": f"{OTHER}\nThe dog, a collie called Fly, is now twelve years old.",
    "d4": "Nothing in common with anything else here, just a short note on the weather.",
}


def _canonical(pairs: list[Pair], name: dict[str, str]) -> list[tuple[object, ...]]:
    return [
        (name[p.a], name[p.b], p.containment_a, p.containment_b, p.jaccard, p.passages)
        for p in pairs
    ]


def _pairs(paths: list[Path], name: dict[str, str]) -> list[tuple[object, ...]]:
    log = ReadLog()
    with find(read_documents(paths, ReadOptions(), log), FindOptions(workers=1)) as result:
        assert log.read == len(TEXTS) and not log.skipped and not log.warnings
        return _canonical(result.pairs, name)


def test_same_texts_in_every_format_give_identical_pairs(tmp_path: Path) -> None:
    folder = tmp_path / "txt"
    folder.mkdir()
    for key, text in TEXTS.items():
        (folder / f"{key}.txt").write_text(text)
    lines = "".join(json.dumps({"id": k, "text": t}) + "\n" for k, t in TEXTS.items())
    (tmp_path / "docs.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    pq.write_table(
        pa.table({"id": list(TEXTS), "text": list(TEXTS.values())}), tmp_path / "docs.parquet"
    )
    responses = [
        Response(f"https://valley.example/{k}", t.encode(), "text/plain", record_id=f"<urn:{k}>")
        for k, t in TEXTS.items()
    ]
    write_warc(tmp_path / "crawl.warc.gz", responses)

    from_txt = _pairs([folder], {f"{k}.txt": k for k in TEXTS})
    assert [(a, b) for a, b, *_ in from_txt] == [("d0", "d1"), ("d2", "d3")]
    assert _pairs([tmp_path / "docs.jsonl.gz"], {k: k for k in TEXTS}) == from_txt
    assert _pairs([tmp_path / "docs.parquet"], {k: k for k in TEXTS}) == from_txt
    assert _pairs([tmp_path / "crawl.warc.gz"], {f"urn:{k}": k for k in TEXTS}) == from_txt


def test_every_format_mixed_in_one_run(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXTS["d0"])
    (tmp_path / "b.jsonl.gz").write_bytes(
        gzip.compress(json.dumps({"id": "b", "text": TEXTS["d1"]}).encode())
    )
    pq.write_table(pa.table({"id": ["c"], "text": [TEXTS["d2"]]}), tmp_path / "c.parquet")
    write_warc(
        tmp_path / "d.warc",
        [Response("https://x.example/d", TEXTS["d3"].encode(), "text/plain", record_id="<d>")],
    )
    (tmp_path / "e.html").write_text(f"<html><body><article><p>{STORY}</p></article></body></html>")
    with find(read_documents([tmp_path]), FindOptions(workers=1)) as result:
        found = {(p.a, p.b) for p in result.pairs}
    assert found == {("a.txt", "b"), ("a.txt", "e.html"), ("b", "e.html"), ("c", "d")}


# --- site chrome -------------------------------------------------------------------

HEADER = (
    "Valley Gazette — the independent voice of the valley since 1887, read in every "
    "village from the moors to the sea, with news, sport, weather and what is on"
)
FOOTER = (
    "The Valley Gazette is published by Valley Media Group Limited, registered in "
    "England, company number 01234567. All our journalism follows the editors' code of "
    "practice; complaints go to our readers' editor at the address on the contact page"
)
NAMES = ["Ash", "Birch", "Cedar", "Elm", "Fir", "Hazel", "Larch", "Maple", "Oak", "Rowan"]


VOCABULARY = [
    "apple",
    "barn",
    "cart",
    "dusk",
    "ember",
    "fern",
    "gate",
    "hill",
    "inn",
    "jug",
    "kite",
    "lamp",
    "moss",
    "nest",
    "oar",
    "path",
    "quay",
    "reed",
    "sail",
    "tide",
    "urn",
    "vale",
    "well",
    "yard",
    "zinc",
    "acorn",
    "brook",
    "cliff",
    "ditch",
    "elder",
    "forge",
    "grove",
    "heath",
    "isle",
    "jetty",
    "knoll",
    "ledge",
    "marsh",
    "notch",
    "orchard",
    "pond",
    "quarry",
    "ridge",
    "shore",
    "thicket",
    "upland",
    "weir",
]


def _site_page(i: int) -> str:
    """Page i of the site: header, footer, and a body of its own (3 and 7 share one)."""
    # Each page's own words: a word salad over one small shared vocabulary would pair
    # pages through the sentence seeds (it looks like a reworded copy), not their chrome.
    words = [f"{w}{chr(97 + i)}" for w in random.Random(i).choices(VOCABULARY, k=60)]
    body = STORY if i in (3, 7) else " ".join(words).capitalize() + "."
    name = NAMES[i]
    return (
        f"<html><head><title>{name}</title></head><body><header><p>{HEADER}</p></header>"
        f"<main><h1>News from {name} Street</h1><p>{body}</p></main>"
        f"<footer><p>{FOOTER}</p></footer></body></html>"
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "gazette"
    folder.mkdir()
    for i in range(10):
        (folder / f"page{i}.html").write_text(_site_page(i))
    return folder


def test_site_chrome_never_pairs_pages(site: Path) -> None:
    options = ReadOptions(html="raw")  # keep the chrome: the detector must find it
    with find(read_documents([site], options), FindOptions(workers=1)) as plain:
        assert len(plain.pairs) == 45  # without the detector, every page pairs with every other
    detector = BoilerplateDetector()
    with find(read_documents([site], options), FindOptions(workers=1), detector) as result:
        assert [(p.a, p.b) for p in result.pairs] == [("page3.html", "page7.html")]
        [passage] = result.pairs[0].passages
        # A passage runs from its first matching token to its last: the final "." is out.
        assert STORY[:-1] in result.texts["page3.html"][passage.a_start : passage.a_end]
        summary = result.summary["boilerplate"]
    assert summary["marked_lines"]["site-repeat"] == 20
    assert {line["line"] for line in summary["top_repeated_lines"]} == {HEADER, FOOTER}


def test_passages_stop_at_site_chrome(site: Path) -> None:
    detector = BoilerplateDetector()
    docs = read_documents([site], ReadOptions(html="raw"))
    with find(docs, FindOptions(workers=1), detector) as result:
        [passage] = result.pairs[0].passages
        shared = result.texts["page3.html"][passage.a_start : passage.a_end]
        # The story, and perhaps the heading above it ("News from Elm Street" and "News
        # from Oak Street" differ by one word), but nothing of the header or footer.
        assert shared.endswith(STORY[:-1])
        assert HEADER not in shared and FOOTER not in shared
        assert "\n" not in shared.replace("Street\n", "")


def test_find_command_marks_site_chrome_by_default(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["-q", "find", str(site), "--html", "raw", "-o", str(out), "--workers", "1"]) == 0
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    assert [(p["a"], p["b"]) for p in pairs] == [("page3.html", "page7.html")]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["boilerplate"]["marked_lines"]["site-repeat"] == 20
    assert summary["input"]["read"] == 10
    out2 = tmp_path / "out2"
    args = ["-q", "find", str(site), "--html", "raw", "-o", str(out2), "--no-boilerplate"]
    assert main(args) == 0
    assert len((out2 / "pairs.jsonl").read_text().splitlines()) == 45


def test_compare_explain_says_why_lines_were_marked(
    seeds_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["compare", str(seeds_dir / NEWS_PAGE), str(seeds_dir / REPOST), "--explain"])
    assert code == 0
    shown = capsys.readouterr().out
    assert "Post a Comment" in shown and "widget" in shown
    assert "Latest news" in shown and "short-in-boilerplate" in shown
    assert "shared passage" in shown


# --- the seeds, cleaned end to end ---------------------------------------------------


def test_seeds_dedup_keeps_the_news_page_without_its_tail(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    args = ["-q", "dedup", str(seeds_dir), "--containment", "0.8", "--drop-repeats"]
    assert main([*args, "--drop-boilerplate", "-o", str(out)]) == 0
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["id"] for d in kept] == [NEWS_PAGE]
    text = kept[0]["text"]
    page = (seeds_dir / NEWS_PAGE).read_text(encoding="utf-8")
    start, tail = page.index("WASHINGTON — Gen."), page.index("Latest news")
    paragraphs = [p for p in page[start:tail].split("\n") if p.strip()]
    assert len(paragraphs) == 21
    missing = [p[:60] for p in paragraphs if p not in text]
    assert not missing
    for line in ("Latest news", "Must read", "You might also like", "Recommended to you"):
        assert line not in text
    removed = [json.loads(line) for line in Path(f"{out}.removed.jsonl").read_text().splitlines()]
    assert [(r["id"], r["kept"], r["reason"]) for r in removed] == [
        (REPOST, NEWS_PAGE, "contained")
    ]


def test_nothing_read_is_lost_for_another_documents_fault(tmp_path: Path) -> None:
    """A folder of good and broken files: every good document is found and paired."""
    (tmp_path / "a.txt").write_text(TEXTS["d0"])
    (tmp_path / "b.txt").write_text(TEXTS["d1"])
    (tmp_path / "broken.jsonl.gz").write_bytes(gzip.compress(b'{"id": "x", "text": "y"}\n{')[:-5])
    (tmp_path / "binary.txt").write_bytes(b"\x00" * 100)
    (tmp_path / "bad.warc").write_text("not a warc")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 nonsense")
    (tmp_path / "empty.html").write_text("   ")
    log = ReadLog()
    docs = list(read_documents([tmp_path], ReadOptions(), log))
    assert sorted(d.id for d in docs) == ["a.txt", "b.txt", "x"]
    assert sum(log.skipped.values()) >= 4
    with find(iter(docs), FindOptions(workers=1)) as result:
        assert [(p.a, p.b) for p in result.pairs] == [("a.txt", "b.txt")]


def test_strict_makes_bad_input_an_error_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text(TEXTS["d0"])
    (tmp_path / "b.jsonl").write_text('{"id": "b", "text": "fine"}\n{"id": "c"}\n')
    out = tmp_path / "out"
    assert main(["-q", "find", str(tmp_path), "-o", str(out), "--workers", "1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["skipped"] == {"missing text field": 1}
    args = ["-q", "find", str(tmp_path), "-o", str(out), "--strict"]
    assert main(args) == 2
    assert "b.jsonl:line 2: missing text field" in capsys.readouterr().err


def test_boilerplate_summary_is_the_same_for_any_worker_count(site: Path, tmp_path: Path) -> None:
    summaries = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        args = ["-q", "find", str(site), "--html", "raw", "-o", str(out), "--workers", workers]
        assert main([*args, "--no-report"]) == 0
        summaries.append(json.loads((out / "summary.json").read_text())["boilerplate"])
    assert summaries[0] == summaries[1]
    assert summaries[0]["marked_lines"]["site-repeat"] == 20
