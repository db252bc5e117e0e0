"""dedup on Spark gives the reference runner's and the local engine's decisions: kept
ids, removed ids with their representative, reason and score, skipped documents,
kept texts and figures; with and without containment, and the same files through
``reprints dedup --engine spark``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reprints.cli import main
from reprints.dedup.options import DedupOptions
from reprints.dedup.records import document_of
from reprints.readers import ReadOptions, read_documents
from reprints.runners.reference_dedup import dedup_batch
from reprints.spark.dedup import spark_dedup
from reprints.spark.read import read_inputs
from tests.conftest import SEEDS
from tests.spark.collections import as_parquet, dataset_text, generated, small, with_copies

PLAIN = DedupOptions(workers=1)
CONTAINMENT = DedupOptions(workers=1, containment=0.8, drop_repeats=True, drop_boilerplate=True)


def without_seconds(value: Any) -> Any:
    """A summary as JSON without its timings (which no two runs share)."""
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_seconds(v) for v in value]
    return value


@pytest.fixture(scope="module")
def small_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seeds = SEEDS if SEEDS.is_dir() else None
    return as_parquet(small(seeds), tmp_path_factory.mktemp("dedup-small") / "docs.parquet")


@pytest.fixture(scope="module")
def copies_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return as_parquet(with_copies(), tmp_path_factory.mktemp("dedup-copies") / "docs.parquet")


@pytest.fixture(scope="module")
def generated_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = generated(seed=7, articles=600)
    return as_parquet(docs, tmp_path_factory.mktemp("dedup-gen") / "docs.parquet")


def _same_as_reference(spark: Any, parquet: Path, options: DedupOptions) -> None:
    want = dedup_batch(read_documents([parquet]), options)
    read = read_inputs(spark, [str(parquet)], ReadOptions())
    with spark_dedup(read.documents, options) as got:
        assert got.kept_ids == want.kept
        assert got.removed == want.removed
        assert got.skipped == want.skipped
        assert [document_of(line).text for line in got.kept_lines()] == want.texts
        assert without_seconds(got.summary.to_json()) == without_seconds(want.summary.to_json())


# Containment runs every step plain dedup runs (reading order, sketches, verification
# joins, clusters) and `find` on the kept documents besides: it is the one swept over
# 1, 3 and 17 shuffle partitions, on the small collections; the generated one and
# plain dedup run once, with the session's 3.


def test_examples_and_seeds(spark: Any, partitions: int, small_parquet: Path) -> None:
    _same_as_reference(spark, small_parquet, CONTAINMENT)


def test_exact_copies_past_the_cap(spark: Any, partitions: int, copies_parquet: Path) -> None:
    _same_as_reference(spark, copies_parquet, CONTAINMENT)


def test_generated_collection(spark: Any, generated_parquet: Path) -> None:
    _same_as_reference(spark, generated_parquet, CONTAINMENT)


def test_estimated_scores_and_keeping_by_a_field(spark: Any, generated_parquet: Path) -> None:
    # Without verification the pairs are scored from the signatures joined to them;
    # keeping by a field sends each member's value to its cluster's task.
    _same_as_reference(spark, generated_parquet, DedupOptions(workers=1, verify=False, keep="n"))


@pytest.mark.parametrize("collection", ["small_parquet", "generated_parquet"])
def test_plain_dedup(spark: Any, collection: str, request: pytest.FixtureRequest) -> None:
    _same_as_reference(spark, request.getfixturevalue(collection), PLAIN)


def test_the_cli_writes_the_local_engines_files(
    spark: Any, small_parquet: Path, tmp_path: Path
) -> None:
    outs = {}
    for engine in ("local", "spark"):
        out = tmp_path / engine / "kept.jsonl"
        args = ["--quiet", "dedup", str(small_parquet), "-o", str(out), "--containment", "0.8"]
        assert main([*args, "--workers", "1", "--engine", engine]) == 0
        outs[engine] = out
    datasets = tmp_path / "datasets" / "kept.jsonl"
    args = ["--quiet", "dedup", str(small_parquet), "-o", str(datasets), "--containment", "0.8"]
    assert main([*args, "--engine", "spark", "--out-datasets"]) == 0
    for suffix in ("", ".removed.jsonl"):
        texts = [Path(f"{out}{suffix}").read_text() for out in outs.values()]
        assert texts[0] == texts[1] == dataset_text(Path(f"{datasets}{suffix}"))
    summaries = [json.loads(Path(f"{out}.summary.json").read_text()) for out in outs.values()]
    summaries.append(json.loads(dataset_text(Path(f"{datasets}.summary.json"))))
    for summary in summaries:
        summary["output"].pop("path")
    assert without_seconds(summaries[0]) == without_seconds(summaries[1])
    assert without_seconds(summaries[1]) == without_seconds(summaries[2])
