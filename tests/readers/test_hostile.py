"""Hostile and careless inputs, small enough for the suite (the bombs themselves are in
benchmarks/hostile.py): caps, binary detection, wide encodings, ids, HTML that lxml
drops by default, charset lies, broken WARC records and Parquet row groups.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from reprints.readers import ReadLog, ReadOptions, read_documents
from reprints.readers.decode import BoundedReader, _ZstdFrames, looks_binary
from tests.readers._warc import Response, warc_bytes

TEXT = "The mill stood by the river for a hundred years, grinding wheat for the village."


def _read(paths: list[Path | str], **options: object) -> tuple[list, ReadLog]:
    log = ReadLog()
    docs = list(read_documents(paths, ReadOptions(**options), log))  # type: ignore[arg-type]
    return docs, log


def _jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


# --- streams and caps -------------------------------------------------------------


def test_zstd_output_comes_in_bounded_pieces_and_never_whole() -> None:
    """A zstd bomb: 64 MiB of zeros packs into a few KiB; each read returns at most the
    pieces one small input slice makes, so neither memory nor copying grows with it."""
    packed = zstandard.ZstdCompressor().compress(b"\0" * (64 << 20))
    frames = _ZstdFrames(io.BytesIO(packed))
    sizes = []
    while chunk := frames.read1():
        sizes.append(len(chunk))
    assert sum(sizes) == 64 << 20
    assert max(sizes) <= 32 << 20  # never one 64 MiB bytes object


def test_bounded_reader_stops_at_its_cap_and_says_so() -> None:
    reader = io.BufferedReader(BoundedReader(io.BytesIO(b"x" * 1000), 300))
    assert len(reader.read()) == 300
    assert reader.raw.capped  # type: ignore[attr-defined]
    exact = io.BufferedReader(BoundedReader(io.BytesIO(b"x" * 300), 300))
    assert len(exact.read()) == 300 and not exact.raw.capped  # type: ignore[attr-defined]


def test_a_text_file_is_read_only_as_far_as_its_document_goes(tmp_path: Path) -> None:
    path = tmp_path / "big.txt.gz"
    path.write_bytes(gzip.compress(b"a " * 2_000_000, 1))
    opened: list[BoundedReader] = []
    original = BoundedReader.__init__

    def spy(self: BoundedReader, inner: object, limit: int) -> None:
        original(self, inner, limit)
        opened.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BoundedReader, "__init__", spy)
        docs, log = _read([path], max_chars=1000)
    assert len(docs[0].text) == 1000 and log.warnings == {"document truncated": 1}
    assert opened[0].tell() <= 4 * 1000 + 8  # never the 4 MB behind it


def test_file_and_line_caps_skip_with_a_reason_and_keep_the_rest(tmp_path: Path) -> None:
    records = [{"id": f"r{i}", "text": f"{TEXT} {i}"} for i in range(50)]
    records[3]["text"] = "long " * 2000
    path = _jsonl(tmp_path / "a.jsonl", records)
    docs, log = _read([path], max_line_bytes=1000)
    assert [d.id for d in docs] == [f"r{i}" for i in range(50) if i != 3]
    assert log.skipped == {"line over --max-line-bytes": 1}
    docs, log = _read([path], max_file_bytes=2000)
    assert 0 < len(docs) < 10 and log.warnings["file over --max-file-bytes"] == 1


def test_doc_byte_cap_cuts_a_text_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("é" * 1000)  # two bytes each: cut inside one
    docs, log = _read([tmp_path / "a.txt"], max_doc_bytes=101)
    assert docs[0].text == "é" * 50 and log.warnings == {"document truncated": 1}


# --- binary or text -----------------------------------------------------------------


def test_stray_nul_bytes_do_not_make_a_file_binary(tmp_path: Path) -> None:
    """PAN's corpus holds text files with a few NULs, and mangled ones full of control
    bytes but 7-bit clean: text, all of them."""
    stray = (TEXT + "\n").encode() * 20
    (tmp_path / "stray.txt").write_bytes(stray[:500] + b"\x00\\ \x04 \x00" + stray[500:])
    rng = random.Random(1)
    mangled = bytes(rng.choice(b" abcdef\x01\x02\x03\x7f") for _ in range(4000))
    (tmp_path / "mangled.txt").write_bytes(mangled + b"\n" + stray)
    docs, log = _read([tmp_path])
    assert [d.id for d in docs] == ["mangled.txt", "stray.txt"] and not log.skipped
    assert "\x00" in docs[1].text and TEXT in docs[1].text


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (random.Random(2).randbytes(65536), True),
        (b"\x00" * 100 + b"ELF header", True),
        ("Привет, как дела? ".encode("cp1251") * 100, False),  # legacy 8-bit text
        ("café au lait ".encode("latin-1") * 100, False),
        (TEXT.encode("utf-16"), False),
    ],
)
def test_binary_by_share_of_bytes_text_never_holds(data: bytes, binary: bool) -> None:
    assert looks_binary(data) is binary


def test_random_bytes_named_jsonl_give_one_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "random.jsonl"
    path.write_bytes(random.Random(3).randbytes(65536))
    with caplog.at_level("WARNING", logger="reprints.readers"):
        docs, log = _read([path])
    assert docs == [] and log.skipped == {"binary file": 1} and not log.warnings
    assert len(caplog.records) == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_json_lines_with_a_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    lines = "".join(json.dumps({"id": f"w{i}", "text": f"{TEXT} ü {i}"}) + "\n" for i in range(3))
    bom = {"utf-16-be": "\ufeff"}.get(encoding, "")
    (tmp_path / "wide.jsonl").write_bytes((bom + lines).encode(encoding))
    docs, log = _read([tmp_path / "wide.jsonl"])
    assert [d.text for d in docs] == [f"{TEXT} ü {i}" for i in range(3)]
    assert not log.skipped and not log.warnings


# --- ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["a", "a", "a#2"], ["a", "a#2", "a#2#2"]),
        (["a", "a#2", "a"], ["a", "a#2", "a#3"]),
        (["a", "a", "a", "a#3"], ["a", "a#2", "a#3", "a#3#2"]),
    ],
)
def test_renamed_ids_never_collide(tmp_path: Path, ids: list[str], expected: list[str]) -> None:
    path = _jsonl(tmp_path / "a.jsonl", [{"id": i, "text": TEXT} for i in ids])
    docs, log = _read([path])
    assert [d.id for d in docs] == expected
    assert log.warnings["duplicate id"] == sum(a != b for a, b in zip(ids, expected, strict=True))


def test_integer_ids_stay_exact_and_keep_their_type(tmp_path: Path) -> None:
    big = 2**70 + 1
    (tmp_path / "a.jsonl").write_text(
        f'{{"id": {big}, "text": "{TEXT}"}}\n{{"id": {big + 1}, "text": "{TEXT}"}}\n'
        f'{{"id": 7, "text": "{TEXT}", "score": 0.5}}\n{{"id": "8", "text": "{TEXT}"}}\n'
    )
    docs, log = _read([tmp_path / "a.jsonl"])
    assert [d.id for d in docs] == [str(big), str(big + 1), "7", "8"] and not log.warnings
    # The original value, for writers that put records back as they were.
    assert [d.meta.get("id") for d in docs] == [big, big + 1, 7, None]
    assert docs[2].meta == {"id": 7, "score": 0.5}


def test_odd_ids_are_rejected_naming_file_and_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    odd = ['{"a": 1}', "[1, 2]", "NaN", "Infinity", "1e400", "1.5", "true"]
    lines = [f'{{"id": {value}, "text": "{TEXT}"}}' for value in odd]
    (tmp_path / "odd.jsonl").write_text("\n".join([*lines, f'{{"id": 3, "text": "{TEXT}"}}']))
    with caplog.at_level("WARNING", logger="reprints.readers"):
        docs, log = _read([tmp_path / "odd.jsonl"])
    assert [d.id for d in docs] == ["3"]
    assert log.skipped == {"bad id": len(odd)}
    assert any("odd.jsonl:line 3: bad id" in r.getMessage() for r in caplog.records)


def test_renamed_integer_id_drops_the_original_value(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "a.jsonl", [{"id": 7, "text": TEXT}, {"id": 7, "text": TEXT}])
    docs, _ = _read([path])
    assert [(d.id, d.meta.get("id")) for d in docs] == [("7", 7), ("7#2", None)]


# --- HTML ---------------------------------------------------------------------------

ARTICLE = f"<article><p>{TEXT} {TEXT}</p><p>{TEXT}</p></article>"


@pytest.mark.parametrize("depth", [300, 3000])
def test_deeply_nested_text_is_read(tmp_path: Path, depth: int) -> None:
    page = f"<html><body>{'<div>' * depth}{ARTICLE}{'</div>' * depth}</body></html>"
    (tmp_path / "deep.html").write_text(page)
    docs, log = _read([tmp_path / "deep.html"], html="raw")
    assert TEXT in docs[0].text
    assert log.warnings == ({"HTML nested too deep": 1} if depth > 2048 else {})


@pytest.mark.parametrize("cap", [12 << 20, 2 << 20])
def test_a_huge_attribute_does_not_lose_the_page(tmp_path: Path, cap: int) -> None:
    """Under the cap, lxml's huge_tree parses an 11 MB attribute (its default drops the
    page's text); over it, long attribute values are dropped before the page is cut."""
    page = f'<html><body><div data-x="{"a" * 11_000_000}">x</div>{ARTICLE}</body></html>'
    (tmp_path / "attr.html").write_text(page)
    docs, log = _read([tmp_path / "attr.html"], html="raw", max_html_bytes=cap)
    assert TEXT in docs[0].text and not log.warnings


def test_a_page_over_the_cap_is_cut_before_parsing(tmp_path: Path) -> None:
    page = f"<html><body>{ARTICLE}<p>{'more words ' * 2000}</p></body></html>"
    (tmp_path / "big.html").write_text(page)
    docs, log = _read([tmp_path / "big.html"], html="raw", max_html_bytes=5000)
    assert TEXT in docs[0].text and len(docs[0].text) < 5000
    assert log.warnings == {"page truncated before parsing": 1}


@pytest.mark.parametrize(("declared", "actual"), [("utf-8", "cp1252"), ("iso-8859-1", "utf-8")])
def test_a_charset_lie_is_detected_and_reported_once(
    tmp_path: Path, declared: str, actual: str
) -> None:
    text = "Café crème à la française, servi chaque matin près de la gare du village."
    page = f'<html><head><meta charset="{declared}"></head><body><article><p>{text}</p>'
    page += f"<p>{text}</p></article></body></html>"
    (tmp_path / "lie.html").write_bytes(page.encode(actual))
    docs, log = _read([tmp_path / "lie.html"], html="raw")
    assert text in docs[0].text
    assert log.warnings == {"wrong charset declared": 1}


# --- WARC and Parquet ---------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_a_garbage_content_length_costs_only_its_record(tmp_path: Path, compressed: bool) -> None:
    """FastWARC stops after a record whose Content-Length is garbage; the reader finds
    the next record head and reads on."""

    def one(i: int, length: bytes = b"") -> bytes:
        page = Response(f"https://a.example/{i}", f"{TEXT} {i}".encode(), "text/plain")
        data = warc_bytes([page], gzip=False, extras=False)
        data = data.replace(b"Content-Length: ", b"Content-Length: " + length, 1)
        return gzip.compress(data) if compressed else data

    data = one(0) + one(1, b"-") + one(2) + one(3, b"x") + one(4)
    path = tmp_path / ("c.warc.gz" if compressed else "c.warc")
    path.write_bytes(data)
    docs, log = _read([path])
    assert [d.text for d in docs] == [f"{TEXT} {i}" for i in (0, 2, 4)]
    assert log.skipped == {"bad Content-Length": 2}


def test_a_bad_record_at_the_end_loses_nothing_else(tmp_path: Path) -> None:
    page = Response("https://a.example/1", TEXT.encode(), "text/plain")
    good = warc_bytes([page], gzip=False, extras=False)
    bad = good.replace(b"Content-Length: ", b"Content-Length: -", 1)
    (tmp_path / "c.warc").write_bytes(good + bad)
    docs, log = _read([tmp_path / "c.warc"])
    assert [d.text for d in docs] == [TEXT]
    assert log.skipped == {"bad Content-Length": 1}


def test_parquet_binary_text_column_is_text(tmp_path: Path) -> None:
    table = pa.table({"id": [b"p1", b"p2"], "text": [TEXT.encode(), "ü".encode() + b" words"]})
    pq.write_table(table, tmp_path / "b.parquet")
    docs, log = _read([tmp_path / "b.parquet"])
    assert [(d.id, d.text) for d in docs] == [("p1", TEXT), ("p2", "ü words")]
    assert not log.warnings and not log.skipped


def test_a_corrupt_row_group_keeps_the_others(tmp_path: Path) -> None:
    rows = 300
    table = pa.table(
        {"id": [f"p{i}" for i in range(rows)], "text": [f"{TEXT} {i}" for i in range(rows)]}
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=100, compression="zstd")
    middle = pq.ParquetFile(path).metadata.row_group(1).column(1)
    data = bytearray(path.read_bytes())
    start = middle.data_page_offset + 20
    data[start : start + 200] = bytes(200)
    path.write_bytes(bytes(data))
    docs, log = _read([path])
    ids = [d.id for d in docs]
    assert ids[:100] == [f"p{i}" for i in range(100)]
    assert ids[-100:] == [f"p{i}" for i in range(200, 300)]
    assert log.skipped["unreadable Parquet rows"] >= rows - len(docs) > 0
