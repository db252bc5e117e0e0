"""The Parquet reader: record batches, metadata columns, missing columns, broken files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reprints.readers import ReadLog, ReadOptions, read_documents
from reprints.readers import parquet as parquet_reader


def _read(path: Path, **options: object) -> tuple[list, ReadLog]:
    log = ReadLog()
    return list(read_documents([path], ReadOptions(**options), log)), log  # type: ignore[arg-type]


def _table(rows: int) -> pa.Table:
    return pa.table(
        {
            "id": [f"d{i}" for i in range(rows)],
            "text": [f"document number {i} is here" if i % 7 else None for i in range(rows)],
            "when": [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(rows)],
            "score": [i / 2 for i in range(rows)],
        }
    )


def test_reads_every_row_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet_reader, "BATCH_ROWS", 4)  # many batches on a small file
    batches = []
    real = pq.ParquetFile.iter_batches

    def spy(self: pq.ParquetFile, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for batch in real(self, *args, **kwargs):
            batches.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    path = tmp_path / "t.parquet"
    pq.write_table(_table(30), path, row_group_size=10)
    docs, log = _read(path)
    assert max(batches) <= 4 and sum(batches) == 30
    assert len(docs) == 30 - 5  # rows 0, 7, 14, 21, 28 have no text
    assert log.skipped == {"missing text field": 5}
    assert docs[0].id == "d1" and docs[0].meta == {"when": "2020-01-02", "score": 0.5}


def test_other_id_and_text_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"key": ["k1"], "body": ["a body of text"]}), path)
    docs, _ = _read(path, id_field="key", text_field="body")
    assert [(d.id, d.text) for d in docs] == [("k1", "a body of text")]


def test_missing_text_column_skips_every_row_with_one_message(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "body": ["x", "y", "z"]}), path)
    docs, log = _read(path)
    assert docs == [] and log.skipped == {"missing text field": 3}


def test_broken_parquet_file(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(_table(10), good)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(good.read_bytes()[:-40])
    docs, log = _read(broken)
    assert docs == [] and log.skipped == {"unreadable Parquet file": 1}
