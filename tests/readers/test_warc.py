"""The WARC reader, on small archives written with warcio in the test."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from reprints.readers import ReadLog, ReadOptions, read_documents
from tests.readers._warc import Response, warc_bytes, write_warc

ARTICLE = (
    "The old mill by the river ground wheat for the village for a hundred years. "
    "When the railway came, the miller sold his flour in the city and grew rich."
)


def page(body: str, title: str = "The mill") -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1><p>{body}</p></article>"
        "<footer>Copyright 2020 Example News</footer></body></html>"
    ).encode()


CHUNKS = [b"<html><body><p>Chunked ", b"body text.</p></body></html>"]
RESPONSES = [
    Response("https://news.example.com/mill", page(ARTICLE), record_id="<urn:uuid:mill>"),
    Response(
        "https://news.example.com/notes.txt", b"Plain notes " * 5, "text/plain; charset=utf-8"
    ),
    Response("https://news.example.com/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    Response("https://news.example.com/gone", b"<html>gone</html>", status="404 Not Found"),
    Response(
        "https://news.example.com/chunked",
        b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in CHUNKS) + b"0\r\n\r\n",
        headers=[("Transfer-Encoding", "chunked")],
    ),
    Response(
        "https://news.example.com/gz",
        gzip.compress(page("Compressed on the wire, read all the same.", "Wire")),
        headers=[("Content-Encoding", "gzip")],
    ),
]


def _read(path: Path, **options: object) -> tuple[list, ReadLog]:
    log = ReadLog()
    return list(read_documents([path], ReadOptions(**options), log)), log  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_reads_html_and_text_responses_and_counts_the_rest(tmp_path: Path, name: str) -> None:
    docs, log = _read(write_warc(tmp_path / name, RESPONSES))
    by_url = {d.meta["url"]: d for d in docs}
    assert sorted(by_url) == [
        "https://news.example.com/chunked",
        "https://news.example.com/gz",
        "https://news.example.com/mill",
        "https://news.example.com/notes.txt",
    ]
    mill = by_url["https://news.example.com/mill"]
    assert mill.id == "urn:uuid:mill"  # the WARC-Record-ID, without angle brackets
    assert ARTICLE in mill.text and "Copyright" not in mill.text
    assert mill.meta["title"] == "The mill" and mill.meta["date"].endswith("Z")
    assert by_url["https://news.example.com/notes.txt"].text.startswith("Plain notes")
    assert "Chunked body text." in by_url["https://news.example.com/chunked"].text
    assert "Compressed on the wire" in by_url["https://news.example.com/gz"].text
    assert all(d.id.startswith("urn:uuid:") for d in docs)
    assert log.ignored == {
        "HTTP status 4xx": 1,
        "WARC image/png content": 1,
        "WARC request record": len(RESPONSES),
        "WARC warcinfo record": 1,
    }
    assert not log.skipped and not log.warnings


def test_raw_mode_keeps_every_visible_line(tmp_path: Path) -> None:
    docs, _ = _read(write_warc(tmp_path / "c.warc.gz", RESPONSES[:1]), html="raw")
    assert "Home" in docs[0].text and "Copyright 2020 Example News" in docs[0].text


@pytest.mark.parametrize("compressed", [False, True])
def test_truncated_archive_keeps_the_records_before_the_break(
    tmp_path: Path, compressed: bool
) -> None:
    pages = [Response(f"https://a.example/{i}", page(f"{ARTICLE} Page {i}.")) for i in range(6)]
    data = warc_bytes(pages, gzip=compressed, extras=False)
    path = tmp_path / ("cut.warc.gz" if compressed else "cut.warc")
    path.write_bytes(data[: len(data) * 2 // 3 + 101])  # inside a record
    docs, log = _read(path)
    assert 1 <= len(docs) < 6
    assert [d.meta["url"] for d in docs] == [f"https://a.example/{i}" for i in range(len(docs))]
    assert log.skipped == {"truncated record": 1}


def test_not_a_warc(tmp_path: Path) -> None:
    path = tmp_path / "fake.warc"
    path.write_text("hello, I am not an archive\n")
    docs, log = _read(path)
    assert docs == [] and log.skipped == {"unreadable WARC file": 1}


def test_resource_and_conversion_records_are_read_by_their_content_type(tmp_path: Path) -> None:
    """wget's resource records and Common Crawl's WET conversion records have no HTTP head."""
    import io

    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    records = [
        ("file:///notes.txt", "resource", b"Archived notes about the mill.", "text/plain"),
        ("https://x.example/p", "conversion", b"Extracted text of a page.", "text/plain"),
        ("https://x.example/h", "resource", page(ARTICLE), "text/html"),
        ("https://x.example/m", "metadata", b"fetchTimeMs: 12", "application/warc-fields"),
    ]
    for uri, kind, payload, content_type in records:
        writer.write_record(
            writer.create_warc_record(
                uri, kind, payload=io.BytesIO(payload), warc_content_type=content_type
            )
        )
    path = tmp_path / "wet.warc.gz"
    path.write_bytes(out.getvalue())
    docs, log = _read(path)
    assert [d.meta["url"] for d in docs] == [uri for uri, *_ in records[:3]]
    assert docs[0].text == "Archived notes about the mill." and ARTICLE in docs[2].text
    assert log.ignored == {"WARC metadata record": 1} and not log.skipped
