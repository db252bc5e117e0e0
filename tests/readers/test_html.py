"""The HTML reader: main text and metadata, raw visible text, broken pages, real pages."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from reprints.boilerplate import BoilerplateDetector, drop_spans
from reprints.readers import ReadLog, ReadOptions, read_documents
from reprints.readers.html import html_document

PARAGRAPHS = [
    "The old mill by the river ground wheat for the village for a hundred years, and "
    "every family in the valley bought its flour there.",
    "When the railway came, the miller sold his flour in the city, grew rich, and "
    "built the stone bridge that still carries the road across the water today.",
]
PAGE = f"""<!DOCTYPE html><html><head><title>The mill | Valley News</title>
<meta name="author" content="Ann Writer">
<meta property="article:published_time" content="2021-05-04">
<link rel="canonical" href="https://valley.example/mill"></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<article><h1>The mill</h1><p>{PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p></article>
<aside>Most read: <a href="/x">Something else entirely</a></aside>
<footer>Copyright 2021 Valley News. All rights reserved.</footer>
<script>var tracking = "never shown";</script></body></html>"""


def _read(path: Path, **options: object) -> tuple[list, ReadLog]:
    log = ReadLog()
    return list(read_documents([path], ReadOptions(**options), log)), log  # type: ignore[arg-type]


def test_main_text_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "mill.html"
    path.write_text(PAGE)
    [doc], log = _read(path)
    assert doc.id == "mill.html"
    assert all(p in doc.text for p in PARAGRAPHS)
    assert "Copyright" not in doc.text and "Home" not in doc.text and "tracking" not in doc.text
    assert doc.meta["title"].startswith("The mill")
    assert doc.meta["author"] == "Ann Writer"
    assert doc.meta["date"] == "2021-05-04"
    assert doc.meta["url"] == "https://valley.example/mill"
    assert not log.skipped and not log.warnings


def test_raw_keeps_every_visible_line_and_nothing_invisible(tmp_path: Path) -> None:
    path = tmp_path / "mill.htm"
    path.write_text(PAGE)
    [doc], _ = _read(path, html="raw")
    lines = doc.text.split("\n")
    assert "Home" in lines and "News" in lines
    assert PARAGRAPHS[0] in lines and PARAGRAPHS[1] in lines
    assert "Copyright 2021 Valley News. All rights reserved." in lines
    assert "tracking" not in doc.text


def test_a_page_of_few_words_is_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "short.html"
    path.write_text("<html><body><div>Just a few words</div></body></html>")
    [doc], log = _read(path)
    assert doc.text == "Just a few words"
    assert not log.skipped


def test_broken_and_non_html(tmp_path: Path) -> None:
    log = ReadLog()
    options = ReadOptions()
    plain = html_document(b"just words, no markup", "p", "p.html", None, options, log)
    assert plain is not None and plain.text == "just words, no markup"
    binary = tmp_path / "b.html"
    binary.write_bytes(b"<html>" + b"\x00" * 64)
    docs, log2 = _read(binary)
    assert docs == [] and log2.skipped == {"binary file": 1}


def test_declared_charset_is_honoured(tmp_path: Path) -> None:
    text = "Café crème à la française, servi chaque matin près de la gare du village."
    html = (
        '<html><head><meta charset="iso-8859-1"></head><body><article>'
        f"<p>{text} {text}</p></article></body></html>"
    )
    path = tmp_path / "latin.html"
    path.write_bytes(html.encode("latin-1"))
    [doc], log = _read(path)
    assert text in doc.text and "\ufffd" not in doc.text
    assert not log.warnings


# --- real pages -------------------------------------------------------------------

SAMPLE = 12  # pages of the 181, spread over the set
_TOKEN = re.compile(r"\w+")


def _f1(text: str, gold: str) -> tuple[int, int, int]:
    got, want = Counter(_TOKEN.findall(text)), Counter(_TOKEN.findall(gold))
    return sum((got & want).values()), sum(got.values()), sum(want.values())


def test_real_pages_main_text_against_gold(shared_data: Path) -> None:
    """A sample of the 181 real pages: the reader plus the line rules keeps the gold
    article (high recall) and little else (high precision), micro-averaged."""
    dataset = shared_data / "news-article-extraction"
    if not dataset.is_dir():
        pytest.skip("news-article-extraction is not present")
    gold = json.loads((dataset / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(gold)[:: len(gold) // SAMPLE][:SAMPLE]
    log = ReadLog()
    docs = []
    for page_id in ids:
        data = gzip.decompress((dataset / "html" / f"{page_id}.html.gz").read_bytes())
        url = gold[page_id]["url"]
        doc = html_document(data, page_id, page_id, None, ReadOptions(), log, url=url)
        assert doc is not None and doc.text.strip(), page_id
        assert doc.meta["url"] == url
        docs.append(doc)
    detector = BoilerplateDetector()
    for doc in docs:
        detector.observe(doc)
    found = extracted = wanted = 0
    for doc in docs:
        text = drop_spans(doc.text, detector.spans(doc))
        f, e, w = _f1(text, gold[doc.id]["articleBody"])
        found, extracted, wanted = found + f, extracted + e, wanted + w
    precision, recall = found / extracted, found / wanted
    assert precision > 0.9 and recall > 0.9, (precision, recall)
    assert not log.skipped


def test_pages_extracted_in_worker_processes_read_the_same(tmp_path: Path) -> None:
    """Several workers: same documents, same order, same problems counted."""
    from tests.readers._warc import Response, write_warc

    for i in range(12):
        (tmp_path / f"p{i:02}.html").write_text(PAGE.replace("The mill", f"The mill {i}"))
    (tmp_path / "p05.txt").write_text("a text file between the pages")
    (tmp_path / "p07.html").write_bytes(b"<html>" + bytes(range(256)) * 8)  # binary
    (tmp_path / "p09.html").write_text("   ")
    pages = [Response(f"https://valley.example/{i}", PAGE.encode()) for i in range(5)]
    write_warc(tmp_path / "q.warc.gz", pages)
    one, log_one = _read(tmp_path, workers=1)
    two, log_two = _read(tmp_path, workers=2)
    assert [(d.id, d.text, d.meta) for d in two] == [(d.id, d.text, d.meta) for d in one]
    assert log_two.to_json() == log_one.to_json()
    assert log_one.skipped == {"binary file": 1, "empty document": 1}
    assert len(one) == 10 + 1 + 5  # 12 pages, 2 of them bad; a text file; 5 WARC pages


def test_problems_met_in_a_worker_obey_strict(tmp_path: Path) -> None:
    from reprints.readers import InputError

    (tmp_path / "a.html").write_text(PAGE)
    (tmp_path / "b.html").write_text("no markup at all, just words")
    assert len(_read(tmp_path, workers=2)[0]) == 2
    with pytest.raises(InputError, match=r"b\.html: not HTML"):
        list(read_documents([tmp_path], ReadOptions(workers=2, strict=True)))


def test_dead_workers_fall_back_to_extracting_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import os

    from reprints.readers import extract

    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("needs fork to hand the failing function to the workers")
    parent = os.getpid()
    real = extract.extract_page

    def die_in_a_worker(*args: object):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            os._exit(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(extract, "extract_page", die_in_a_worker)
    caplog.set_level("WARNING", logger="reprints.readers")  # whatever a CLI test left set
    for i in range(4):
        (tmp_path / f"p{i}.html").write_text(PAGE)
    docs, log = _read(tmp_path, workers=2)
    assert [d.id for d in docs] == [f"p{i}.html" for i in range(4)]
    assert all(PARAGRAPHS[0] in d.text for d in docs) and not log.skipped
    assert any("extracting in-process" in r.getMessage() for r in caplog.records)
