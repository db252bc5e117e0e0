"""read_documents: formats by extension, compression, stdin, and every kind of bad input."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import sys
from pathlib import Path

import pytest
import zstandard

from reprints.readers import InputError, ReadLog, ReadOptions, format_of, read_documents

TEXT = "The mill stood by the river for a hundred years, grinding wheat for the village."


def _read(paths: list[Path | str], **options: object) -> tuple[list, ReadLog]:
    log = ReadLog(strict=bool(options.get("strict", False)))
    docs = list(read_documents(paths, ReadOptions(**options), log))  # type: ignore[arg-type]
    return docs, log


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", "txt"),
        ("a.jsonl.gz", "jsonl"),
        ("a.TXT.ZST", "txt"),
        ("a.html.bz2", "html"),
        ("page.htm", "html"),
        ("crawl.warc.gz", "warc"),
        ("t.parquet", "parquet"),
        ("a.gz", None),
        ("image.png", None),
    ],
)
def test_format_by_extension(name: str, expected: str | None) -> None:
    assert format_of(Path(name)) == expected


def test_every_compression_reads_the_same_text(tmp_path: Path) -> None:
    raw = TEXT.encode()
    (tmp_path / "a.txt").write_bytes(raw)
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "c.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    (tmp_path / "d.txt.bz2").write_bytes(bz2.compress(raw))
    line = json.dumps({"id": "e", "text": TEXT}).encode() + b"\n"
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress(line))
    html = f"<html><body><article><p>{TEXT}</p></article></body></html>".encode()
    (tmp_path / "f.html.gz").write_bytes(gzip.compress(html))
    docs, log = _read([tmp_path])
    assert [d.id for d in docs] == ["a.txt", "b.txt.gz", "c.txt.zst", "d.txt.bz2", "e", "f.html.gz"]
    assert all(d.text == TEXT for d in docs)
    assert log.read == 6 and not log.skipped and not log.warnings


def test_stdin_is_json_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [
        json.dumps({"id": "x", "text": TEXT}),
        "not json",
        json.dumps({"id": "y", "text": "hi"}),
    ]
    stdin = io.TextIOWrapper(io.BytesIO("\n".join(lines).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    docs, log = _read(["-"])
    assert [d.id for d in docs] == ["x", "y"]
    assert log.skipped == {"malformed JSON": 1}


def test_bad_inputs_are_named_counted_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "good.txt").write_text(TEXT)
    (tmp_path / "blank.txt").write_text("  \n\t\n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 10)
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "notes.xyz").write_text(TEXT)
    (tmp_path / "cut.txt.gz").write_bytes(gzip.compress(TEXT.encode())[:-12])
    records = [
        {"id": "j1", "text": TEXT},
        "{broken",
        {"id": "j2", "body": "no text field"},
        {"id": "j3", "text": 42},
        [1, 2],
        {"id": "j1", "text": "the same id again"},
    ]
    (tmp_path / "docs.jsonl").write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"
    )
    with caplog.at_level("WARNING", logger="reprints.readers"):
        docs, log = _read([tmp_path])
    ids = [d.id for d in docs]
    assert ids == ["cut.txt.gz", "j1", "j1#2", "good.txt", "latin1.txt"]
    assert log.skipped == {
        "binary file": 1,
        "empty document": 1,
        "malformed JSON": 1,
        "missing text field": 1,
        "not a JSON object": 1,
        "text field is not a string": 1,
        "unsupported file type": 1,
    }
    assert log.warnings == {
        "duplicate id": 1,
        "truncated file": 1,
        "undecodable bytes replaced": 1,
    }
    assert docs[0].text and TEXT.startswith(docs[0].text)  # what the cut archive held
    assert "\ufffd" in docs[-1].text
    # Each message names the file and the line.
    assert any("docs.jsonl:line 2: malformed JSON" in r.getMessage() for r in caplog.records)
    assert any("docs.jsonl:line 3: missing text field" in r.getMessage() for r in caplog.records)
    assert log.to_json()["skipped_total"] == 7


def test_long_documents_are_truncated_not_dropped(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("word " * 1000)
    docs, log = _read([tmp_path / "long.txt"], max_chars=100)
    assert len(docs) == 1 and len(docs[0].text) == 100
    assert log.warnings == {"document truncated": 1}


def test_strict_turns_bad_input_into_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"id": "a", "text": "fine"}\n{oops\n')
    with pytest.raises(InputError, match=r"a.jsonl:line 2: malformed JSON"):
        _read([tmp_path / "a.jsonl"], strict=True)


def test_missing_path_is_reported(tmp_path: Path) -> None:
    docs, log = _read([tmp_path / "nowhere"])
    assert docs == [] and log.skipped == {"no such file or folder": 1}


def test_format_option_forces_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "records.data"
    path.write_text(json.dumps({"id": "r", "text": TEXT}) + "\n")
    docs, _ = _read([path], format="jsonl")
    assert [d.id for d in docs] == ["r"]
    docs, _ = _read([path])  # named directly: read as text
    assert docs[0].id == "records.data" and docs[0].text.startswith("{")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_text_with_a_byte_order_mark_is_not_binary(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "wide.txt").write_bytes(TEXT.encode(encoding))
    html = f"<html><body><article><p>{TEXT} {TEXT}</p></article></body></html>"
    (tmp_path / "wide.html").write_bytes(html.encode(encoding))
    docs, log = _read([tmp_path])
    assert [d.text for d in docs] == [f"{TEXT} {TEXT}", TEXT]
    assert not log.skipped and not log.warnings
