"""`find` on Spark, end to end, gives the local engine's and the reference runner's
results: pairs, passages, repeats, passage and document clusters (also distributed),
figures; and the same files through ``reprints find --engine spark``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from reprints.boilerplate import BoilerplateSettings
from reprints.cli import main
from reprints.finding import Findings, FindOptions
from reprints.group import PassageFigures, build_groups
from reprints.output import dumps
from reprints.readers import ReadOptions, read_documents
from reprints.runners.reference import find_batch
from reprints.spark.find import spark_find
from reprints.spark.passages import passage_clusters
from reprints.spark.read import read_inputs
from tests.conftest import SEEDS
from tests.spark.collections import (
    COPIES_MAX_DF,
    as_parquet,
    dataset_text,
    generated,
    small,
    with_copies,
)

OPTIONS = FindOptions(workers=1)
COPIES_OPTIONS = FindOptions(workers=1, max_df=COPIES_MAX_DF)
SETTINGS = BoilerplateSettings()


@dataclasses.dataclass(frozen=True)
class Case:
    parquet: Path
    reference: Findings
    options: FindOptions = OPTIONS


def _case(documents: list[Any], folder: Path, options: FindOptions = OPTIONS) -> Case:
    parquet = as_parquet(documents, folder / "docs.parquet")
    read = list(read_documents([parquet]))
    return Case(parquet, find_batch(read, options, SETTINGS), options)


@pytest.fixture(scope="module")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    """The examples, and the seeds when ../shared/seeds is present."""
    seeds = SEEDS if SEEDS.is_dir() else None
    return _case(small(seeds), tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def generated_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    return _case(generated(), tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="module")
def copies_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    return _case(with_copies(), tmp_path_factory.mktemp("copies"), COPIES_OPTIONS)


def _same_as_reference(spark: Any, case: Case) -> None:
    read = read_inputs(spark, [str(case.parquet)], ReadOptions())
    run = spark_find(read.documents, case.options, SETTINGS)
    result = run.result()
    want = case.reference
    assert result.doc_ids == want.doc_ids
    assert result.pairs == want.pairs
    assert result.repeats == want.repeats
    got_stats = dataclasses.replace(result.stats, seconds={})
    assert got_stats == want.stats
    docs = {d.id: d for d in read_documents([case.parquet])}
    texts = {d: docs[d].text for d in docs}
    meta = {d: docs[d].meta for d in docs}
    assert result.meta == meta
    expected = build_groups(want.pairs, want.doc_ids, meta, texts)
    assert build_groups(result.pairs, result.doc_ids, result.meta, result.texts) == expected
    lines, figures = passage_clusters(run.documents, run.aligned)
    got = [row["value"] for row in lines.orderBy("cluster").collect()]
    assert got == [dumps(c.to_json()) for c in expected.passages]
    assert figures == PassageFigures.of(expected.passages)


def test_examples_and_seeds(spark: Any, partitions: int, small_case: Case) -> None:
    assert small_case.reference.pairs and small_case.reference.repeats
    _same_as_reference(spark, small_case)


# The 1/3/17-partition sweep runs on the small collections; the large generated one
# (10,000 template copies) once, with the session's 3 partitions.
def test_generated_collection(spark: Any, generated_case: Case) -> None:
    want = generated_case.reference
    assert want.pairs and want.stats.anchors_capped > 0
    assert want.stats.boilerplate and want.stats.boilerplate["marked_lines"]
    _same_as_reference(spark, generated_case)


def _files(folder: Path) -> dict[str, str]:
    return {
        name: (folder / name).read_text()
        for name in ("pairs.jsonl", "self.jsonl", "clusters.jsonl", "documents.jsonl")
    }


def test_the_cli_writes_the_local_engines_files(
    spark: Any, small_case: Case, tmp_path: Path
) -> None:
    import json

    local, distributed = tmp_path / "local", tmp_path / "spark"
    common = [str(small_case.parquet), "--no-report", "--workers", "1"]
    assert main(["--quiet", "find", *common, "-o", str(local)]) == 0
    assert main(["--quiet", "find", *common, "-o", str(distributed), "--engine", "spark"]) == 0
    assert _files(distributed) == _files(local)
    summaries = [json.loads((f / "summary.json").read_text()) for f in (local, distributed)]

    datasets = tmp_path / "datasets"
    assert (
        main(
            ["--quiet", "find", *common, "-o", str(datasets), "--engine", "spark", "--out-datasets"]
        )
        == 0
    )
    assert {name: dataset_text(datasets / name) for name in _files(local)} == _files(local)
    summaries.append(json.loads(dataset_text(datasets / "summary.json")))
    for summary in summaries:
        summary.pop("seconds")
    assert summaries[0] == summaries[1] == summaries[2]


def test_exact_copies_past_the_cap(spark: Any, partitions: int, copies_case: Case) -> None:
    """More identical copies than max_df, small groups spelt differently, their pairs
    and repeats expanded, stock text capped beside a group: as the reference groups."""
    want = copies_case.reference
    ids = {d for p in want.pairs for d in (p.a, p.b)}
    many = sorted(d for d in want.doc_ids if d.startswith("many-"))
    assert len(many) > COPIES_MAX_DF and set(many) <= ids
    assert want.stats.exact_copies == len(many) + 1 + 2
    assert {"two-edited", "two-half", "three-edited", "three-half"} <= ids
    assert {"two-0", "two-1"} <= {r.doc for r in want.repeats}
    assert want.stats.anchors_capped > 0
    assert want.stats.boilerplate and want.stats.boilerplate["marked_lines"]
    _same_as_reference(spark, copies_case)


def test_a_loose_cap_is_refused_as_the_local_engine_refuses_it(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--max-pairs: the same refusal (one line, exit 2, the same pair count and
    largest posting list, exact copies weighed in) before any pair is made."""
    import json

    from reprints.synthetic import TextGenerator

    gen = TextGenerator(4)
    shared = gen.sentence(30)
    texts = [f"{gen.article(30)} {shared} {gen.article(30)}" for _ in range(40)]
    texts += [texts[0]] * 5  # one group of six copies: its list weighs six documents
    path = tmp_path / "docs.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(texts))
    )
    args = ["-q", "find", str(path), "--max-df", "1000", "--max-pairs", "100", "--workers", "1"]
    errors = []
    for engine in ("local", "spark"):
        out = tmp_path / engine
        assert main([*args, "-o", str(out), "--engine", engine]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        errors.append(line)
        assert not out.exists()
    assert errors[0] == errors[1]
    assert "held by up to 45 documents" in errors[0]
    assert "more than --max-pairs 100" in errors[0]
