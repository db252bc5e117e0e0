"""`reprints convert`: documents from any reader to a Parquet dataset and back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from reprints.cli import main
from reprints.convert import ParquetLayout, write_parquet_documents
from reprints.documents import Document
from reprints.readers import InputError, ReadLog, read_documents

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def read_back(folder: Path) -> list[Document]:
    return list(read_documents([folder]))


def without_nulls(doc: Document) -> Document:
    return Document(doc.id, doc.text, {k: v for k, v in doc.meta.items() if v is not None})


def test_examples_round_trip_exactly(tmp_path: Path) -> None:
    documents = list(read_documents([EXAMPLES]))
    result = write_parquet_documents(documents, tmp_path / "ex.parquet")
    assert read_back(tmp_path / "ex.parquet") == documents
    assert (result.documents, result.files, result.fields) == (
        len(documents),
        ("part-00000.parquet",),
        ("source",),
    )


def test_groups_and_part_files_are_bounded_and_keep_the_order(tmp_path: Path) -> None:
    documents = [Document(f"d{i:02d}", f"text {i} " * (1 + i % 4), {"n": i}) for i in range(23)]
    layout = ParquetLayout(group_rows=4, group_text_bytes=30, groups_per_file=3)
    result = write_parquet_documents(documents, tmp_path / "c.parquet", layout)
    assert read_back(tmp_path / "c.parquet") == documents
    files = [pq.ParquetFile(tmp_path / "c.parquet" / name) for name in result.files]
    groups = [f.metadata.row_group(g).num_rows for f in files for g in range(f.num_row_groups)]
    assert sum(groups) == 23 and max(groups) <= 4 and len(groups) == result.row_groups
    assert all(f.num_row_groups <= 3 for f in files) and len(files) == -(-len(groups) // 3)
    # A group closes early once it holds group_text_bytes of text.
    assert min(groups) < 4


def test_mixed_metadata_missing_fields_read_back_as_null(tmp_path: Path) -> None:
    documents = [
        Document("a", "alpha", {"url": "http://x/a", "tags": ["p", "q"], "n": 1}),
        Document("b", "beta", {"date": "2024-01-02", "n": 2, "nested": {"k": 1}}),
        Document("c", "gamma", {}),
    ]
    result = write_parquet_documents(documents, tmp_path / "m.parquet")
    back = read_back(tmp_path / "m.parquet")
    assert [without_nulls(d) for d in back] == documents
    assert back[2].meta == {"date": None, "n": None, "nested": None, "tags": None, "url": None}
    assert result.json_fields == ()


def test_fields_without_a_common_type_become_json_text(tmp_path: Path) -> None:
    # "v" mixes kinds inside a group; "w" is typed per group but differs across groups;
    # "big" does not fit 64 bits.
    documents = [
        Document("a", "one", {"v": 1, "w": 5, "big": 2**70}),
        Document("b", "two", {"v": "x", "w": 6}),
        Document("c", "three", {"w": "seven"}),
    ]
    layout = ParquetLayout(group_rows=2)
    result = write_parquet_documents(documents, tmp_path / "j.parquet", layout)
    assert result.json_fields == ("big", "v", "w")
    back = {d.id: d.meta for d in read_back(tmp_path / "j.parquet")}
    decoded = {
        doc_id: {k: json.loads(v) for k, v in meta.items() if v is not None}
        for doc_id, meta in back.items()
    }
    assert decoded == {d.id: d.meta for d in documents}


def test_empty_input_gives_a_readable_empty_dataset(tmp_path: Path) -> None:
    result = write_parquet_documents([], tmp_path / "e.parquet")
    assert result.documents == 0 and result.files == ("part-00000.parquet",)
    assert pq.read_table(tmp_path / "e.parquet").column_names == ["id", "text"]
    assert read_back(tmp_path / "e.parquet") == []


def test_a_failed_run_leaves_the_previous_dataset_and_no_scratch(tmp_path: Path) -> None:
    out = tmp_path / "c.parquet"
    old = [Document("old", "the earlier run")]
    write_parquet_documents(old, out)

    def breaking() -> Any:
        yield Document("new", "half")
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        write_parquet_documents(breaking(), out)
    assert read_back(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.parquet"]
    new = [Document("new", "a later run")]
    write_parquet_documents(new, out)
    assert read_back(out) == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.parquet"]


def test_a_metadata_field_named_like_a_column_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'text'"):
        write_parquet_documents([Document("a", "x", {"text": "y"})], tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


def test_cli_reads_every_format_with_the_same_bad_input_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text(
        '{"id": "j1", "text": "first line", "lang": "en"}\nnot json\n{"id": "j2"}\n'
    )
    (corpus / "b.html").write_text("<html><body><p>A page of its own words.</p></body></html>")
    (corpus / "c.txt").write_text("plain text")
    (corpus / "empty.txt").write_text("  \n")
    log = ReadLog()
    expected = list(read_documents([corpus], log=log))
    out = tmp_path / "out.parquet"
    assert main(["convert", str(corpus), "-o", str(out), "--workers", "1"]) == 0
    assert [without_nulls(d) for d in read_back(out)] == expected
    report = capsys.readouterr().err
    assert log.to_json()["skipped_total"] == 3
    for line in ("documents read", "malformed JSON", "missing text field", "empty document"):
        assert line in report
    assert main(["convert", str(corpus), "-o", str(tmp_path / "s.parquet"), "--strict"]) == 2
    assert not (tmp_path / "s.parquet").exists()


def test_an_output_inside_the_input_folder_is_never_read_back(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text("a text of its own")
    out = corpus / "out.parquet"
    for _ in range(2):
        assert main(["-q", "convert", str(corpus), "-o", str(out)]) == 0
        assert [d.id for d in read_back(out)] == ["a.txt"]
    (tmp_path / "file").write_text("x")
    assert main(["-q", "convert", str(corpus), "-o", str(tmp_path / "file")]) == 2
