"""Fuzzing every reader: random bytes, cut archives, bad JSON and huge lines.

The contract: no exception escapes a reader; every good record before a break is read
with its exact text; every bad record is counted under a reason; nothing read is lost
because of another record's fault.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reprints.readers import ReadLog, ReadOptions, read_documents
from tests.readers._warc import Response, warc_and_ends

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
COMPRESS = {
    "": lambda b: b,
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".zst": lambda b: zstandard.ZstdCompressor().compress(b),
}
EXTENSIONS = [".txt", ".jsonl", ".html", ".warc", ".parquet", ".txt.gz", ".jsonl.zst"]
EXTENSIONS += [".warc.gz", ".html.bz2", ".jsonl.gz", ".md", ".htm"]

words = st.text(alphabet="abcdefghij ", min_size=1, max_size=40).filter(str.strip)


def _read(path: Path, **options: object) -> tuple[list, ReadLog]:
    log = ReadLog()
    return list(read_documents([path], ReadOptions(**options), log)), log  # type: ignore[arg-type]


def _fresh(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    if path.exists():
        path.unlink()
    return path


@SETTINGS
@given(data=st.binary(max_size=3000), ext=st.sampled_from(EXTENSIONS))
def test_random_bytes_never_crash_a_reader(tmp_path: Path, data: bytes, ext: str) -> None:
    path = _fresh(tmp_path, "random" + ext)
    path.write_bytes(data)
    docs, log = _read(path)
    assert log.read == len(docs)
    assert all(d.text.strip() for d in docs)
    if ext in (".txt", ".md") and data.strip():
        assert len(docs) + sum(log.skipped.values()) == 1  # read, or skipped with a reason


# A JSON Lines file: good records, bad lines of every kind, and huge records.
line_kinds = st.one_of(
    st.tuples(st.just("good"), words),
    # Malformed lines of any bytes but control bytes: a file that is mostly control
    # bytes is "binary file" as a whole (tests/readers/test_hostile.py), not bad lines.
    st.tuples(
        st.just("malformed"),
        st.binary(max_size=60).map(lambda b: bytes(c for c in b if c >= 0x20 or c == 0x09)),
    ),
    st.tuples(st.just("no-text"), words),
    st.tuples(st.just("not-object"), st.integers()),
    st.tuples(st.just("huge"), st.integers(2_000, 20_000)),
)


def _jsonl(items: list[tuple[str, object]]) -> tuple[bytes, list[tuple[str, str]], dict[str, int]]:
    lines, good, bad = [], [], {}
    for i, (kind, value) in enumerate(items):
        if kind in ("good", "huge"):
            text = str(value) if kind == "good" else "x" * int(value)  # type: ignore[call-overload]
            lines.append(json.dumps({"id": f"r{i}", "text": text}).encode())
            good.append((f"r{i}", text))
        elif kind == "malformed":
            lines.append(b"#" + value)  # type: ignore[operator]
            bad["malformed JSON"] = bad.get("malformed JSON", 0) + 1
        elif kind == "no-text":
            lines.append(json.dumps({"id": f"r{i}", "body": value}).encode())
            bad["missing text field"] = bad.get("missing text field", 0) + 1
        else:
            lines.append(json.dumps(value).encode())
            bad["not a JSON object"] = bad.get("not a JSON object", 0) + 1
    return b"\n".join(lines) + b"\n", good, bad


@SETTINGS
@given(items=st.lists(line_kinds, max_size=25), suffix=st.sampled_from(sorted(COMPRESS)))
def test_json_lines_account_for_every_line(
    tmp_path: Path, items: list[tuple[str, object]], suffix: str
) -> None:
    data, good, bad = _jsonl(items)
    path = _fresh(tmp_path, "docs.jsonl" + suffix)
    path.write_bytes(COMPRESS[suffix](data))
    docs, log = _read(path, max_chars=1_000)
    assert [d.id for d in docs] == [i for i, _ in good]
    for doc, (_, text) in zip(docs, good, strict=True):
        assert doc.text == text[:1_000]
    assert dict(log.skipped) == bad
    huge = sum(len(t) > 1_000 for _, t in good)
    assert log.warnings.get("document truncated", 0) == huge


@SETTINGS
@given(
    items=st.lists(line_kinds, min_size=1, max_size=25),
    suffix=st.sampled_from([".gz", ".bz2", ".zst"]),
    cut=st.floats(0.0, 1.0, exclude_max=True),
)
def test_cut_compressed_json_lines_keep_the_records_before_the_break(
    tmp_path: Path, items: list[tuple[str, object]], suffix: str, cut: float
) -> None:
    data, good, _ = _jsonl(items)
    packed = COMPRESS[suffix](data)
    path = _fresh(tmp_path, "cut.jsonl" + suffix)
    path.write_bytes(packed[: max(1, int(len(packed) * cut))])  # an empty file is no break
    docs, log = _read(path, max_chars=100_000)
    # The documents read are the first good records, each complete.
    assert [(d.id, d.text) for d in docs] == good[: len(docs)]
    # The break is always reported: a warning if lines were read, else a skipped file.
    assert log.warnings.get("truncated file", 0) + log.skipped.get("unreadable file", 0) == 1


def _responses(texts: list[str]) -> list[Response]:
    return [
        Response(f"https://site{i % 3}.example/{i}", text.encode(), "text/plain; charset=utf-8")
        for i, text in enumerate(texts)
    ]


@SETTINGS
@given(
    texts=st.lists(words, min_size=1, max_size=6),
    compressed=st.booleans(),
    cut=st.floats(0.0, 1.0),
)
def test_cut_warc_keeps_every_record_before_the_break(
    tmp_path: Path, texts: list[str], compressed: bool, cut: float
) -> None:
    responses = _responses(texts)
    data, ends = warc_and_ends(responses, compressed, extras=False)
    at = int(len(data) * cut)
    path = _fresh(tmp_path, "crawl.warc" + (".gz" if compressed else ""))
    path.write_bytes(data[:at])
    docs, log = _read(path)
    whole = sum(end <= at for end in ends)  # records entirely before the cut
    assert [d.text for d in docs] == texts[: len(docs)]
    assert [d.meta["url"] for d in docs] == [r.url for r in responses[: len(docs)]]
    reported = log.skipped.get("truncated record", 0) + log.skipped.get("unreadable WARC file", 0)
    if at in ends or at == 0:
        assert len(docs) == whole and reported == (1 if at == 0 else 0)
    else:
        # The record the file breaks in is counted as lost (it may still be read whole
        # when only its closing blank line is missing).
        assert whole <= len(docs) <= whole + 1 and reported == 1


@SETTINGS
@given(
    rows=st.lists(st.one_of(st.none(), words), min_size=1, max_size=30),
    cut=st.one_of(st.none(), st.floats(0.0, 1.0, exclude_max=True)),
)
def test_parquet_rows_and_broken_files(
    tmp_path: Path, rows: list[str | None], cut: float | None
) -> None:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": [f"p{i}" for i in range(len(rows))], "text": rows}), buffer)
    data = buffer.getvalue()
    path = _fresh(tmp_path, "t.parquet")
    path.write_bytes(data if cut is None else data[: int(len(data) * cut)])
    docs, log = _read(path)
    good = [(f"p{i}", t) for i, t in enumerate(rows) if t is not None and t.strip()]
    if cut is None:
        assert [(d.id, d.text) for d in docs] == good
        assert log.skipped.get("missing text field", 0) == rows.count(None)
    else:
        assert docs == [] and log.skipped == {"unreadable Parquet file": 1}


@settings(max_examples=10, deadline=None)
@given(size=st.integers(100_001, 400_000), newline=st.booleans())
def test_huge_lines_are_truncated_not_lost(size: int, newline: bool) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "huge.txt"
        path.write_text(("word " * (size // 5 + 1))[:size] + ("\n" if newline else ""))
        docs, log = _read(path, max_chars=100_000)
        assert len(docs) == 1 and len(docs[0].text) == 100_000
        assert log.warnings == {"document truncated": 1}
