"""benchmarks/find_bench.py's collection: deterministic, the same whatever the chunk
size, valid JSON Lines, and its true pairs really share text."""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import find_bench


def _lines(docs: int, words: int, seed: int, chunk: int) -> list[str]:
    data = b"".join(find_bench.Collection(docs, words, seed).chunks(chunk))
    return data.decode().splitlines()


def test_same_bytes_for_a_seed_whatever_the_chunks() -> None:
    first = _lines(300, 130, 7, 1000)
    assert first == _lines(300, 130, 7, 37)
    assert first != _lines(300, 130, 8, 1000)


def test_json_lines_with_ids_sites_and_chrome() -> None:
    lines = _lines(200, 90, 1, 64)
    records = [json.loads(line) for line in lines]
    assert [json.dumps(r) for r in records] == lines
    assert [r["id"] for r in records] == [f"d{k:07d}" for k in range(200)]
    for k, r in enumerate(records):
        assert r["url"] == f"https://site{k % find_bench.SITES}.example/story/{k}"
        paragraphs = r["text"].split("\n\n")
        assert r["text"].endswith(".")
        # Header and footer of the site: the same on every page of it.
        same_site = records[k % find_bench.SITES]["text"].split("\n\n")
        assert paragraphs[0] == same_site[0] and paragraphs[-1] == same_site[-1]


def test_true_pairs_share_text_and_copies_are_edited_lightly() -> None:
    docs, words = 400, 200
    records = [json.loads(line) for line in _lines(docs, words, 3, 128)]
    plan = find_bench.Plan.of(docs, words, 3)
    truth = plan.truth()
    assert truth.shape[0] == plan.target.shape[0] > 20
    assert np.all(np.diff(truth) > 0)
    assert not np.isin(plan.source, plan.target).any()
    assert np.unique(plan.source).shape[0] == plan.source.shape[0]
    assert plan.whole.any() and (~plan.whole).any()

    def body(k: int) -> list[str]:
        return " ".join(records[k]["text"].split("\n\n")[1:-1]).split()

    for target, source, whole, start, size in zip(
        plan.target, plan.source, plan.whole, plan.start, plan.size, strict=True
    ):
        copied, original = body(int(target)), body(int(source))
        stretch = original[start : start + size]
        common = len(set(itertools.pairwise(copied)) & set(itertools.pairwise(stretch)))
        assert common >= 0.8 * (len(stretch) - 1)
        if whole:
            assert abs(len(copied) - len(original)) <= 0.1 * words
        else:
            assert len(copied) > words


def test_cached_collection_is_written_once_and_reused(tmp_path: Path) -> None:
    path, truth, reused = find_bench.cached_collection(tmp_path, 150, 80, 2)
    assert not reused and path.exists() and not list(tmp_path.glob("*.partial"))
    data = path.read_bytes()
    again, truth_again, reused = find_bench.cached_collection(tmp_path, 150, 80, 2)
    assert reused and again == path and again.read_bytes() == data
    assert np.array_equal(truth, truth_again)
    assert data == b"".join(find_bench.Collection(150, 80, 2).chunks(40))
