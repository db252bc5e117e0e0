"""What `reprints convert` writes, Spark reads as the same documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reprints.convert import ParquetLayout, write_parquet_documents
from reprints.documents import Document
from reprints.readers import read_documents

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_spark_reads_a_converted_collection_back(spark: Any, tmp_path: Path) -> None:
    fields = Document("j1", "with fields", {"lang": "en", "n": 3, "tags": ["a", "b"]})
    documents = [*read_documents([EXAMPLES]), fields]
    out = tmp_path / "c.parquet"
    write_parquet_documents(documents, out, ParquetLayout(group_rows=3, groups_per_file=2))
    rows = spark.read.parquet(str(out)).collect()
    back = {
        row["id"]: Document(
            row["id"],
            row["text"],
            {k: v for k, v in row.asDict(recursive=True).items() if k not in ("id", "text")},
        )
        for row in rows
    }
    assert sorted(back) == sorted(d.id for d in documents)
    for doc in documents:
        assert back[doc.id].text == doc.text
        meta = {k: v for k, v in back[doc.id].meta.items() if v is not None}
        assert meta == doc.meta
