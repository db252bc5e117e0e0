"""The local runner of `find` gives exactly the reference runner's results.

:func:`reprints.runners.reference.find_batch` computes `find` in memory, in one process;
the local engine spools, batches and spreads the stages over worker processes. With 1,
2 and 4 workers it must give the same pairs, repeats and figures (timings aside) on
any collection: generated ones (copies with edits, partial copies, internal repeats,
site boilerplate, short and empty documents), the seeds and ``examples/``.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reprints.boilerplate import BoilerplateDetector, BoilerplateSettings
from reprints.documents import Document
from reprints.finding import Findings, FindOptions
from reprints.readers import read_documents
from reprints.runners.local import FindResult, find
from reprints.runners.reference import find_batch
from reprints.spill import BUDGET_PER_ROW
from reprints.synthetic import TextGenerator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _comparable(result: FindResult | Findings) -> dict[str, Any]:
    summary = result.summary
    summary.pop("seconds")
    return {
        "doc_ids": result.doc_ids,
        "pairs": [p.to_json() for p in result.pairs],
        "repeats": [r.to_json() for r in result.repeats],
        "summary": summary,
    }


def _local(
    documents: list[Document], options: FindOptions, boilerplate: BoilerplateSettings | None
) -> dict[str, Any]:
    detector = BoilerplateDetector.from_settings(boilerplate) if boilerplate else None
    with find(documents, options, boilerplate=detector) as result:
        return _comparable(result)


def _assert_local_equals_reference(
    documents: list[Document],
    options: FindOptions,
    boilerplate: BoilerplateSettings | None,
    workers: tuple[int, ...] = (1, 2, 4),
) -> dict[str, Any]:
    expected = _comparable(find_batch(documents, options, boilerplate))
    for count in workers:
        local = _local(documents, dataclasses.replace(options, workers=count), boilerplate)
        assert local == expected, f"{count} worker(s)"
    return expected


@st.composite
def collections(draw: st.DrawFn) -> list[Document]:
    """Documents of a few sites: originals, edited and partial copies, documents that
    repeat themselves, pages with their site's header and footer, short and empty ones."""
    gen = TextGenerator(draw(st.integers(0, 2**32 - 1)), vocabulary=2000)
    sites = [f"https://site{k}.example/" for k in range(draw(st.integers(1, 3)))]
    chrome = {s: (gen.sentence(9), gen.sentence(14)) for s in sites}
    texts = [gen.article(draw(st.integers(40, 160))) for _ in range(draw(st.integers(2, 6)))]
    # Always at least one copy and one repeat, so that every collection has findings.
    more = st.lists(st.sampled_from(["edit", "part", "repeat", "short", "empty"]), max_size=5)
    kinds = ["edit", "repeat", *draw(more)]
    for kind in kinds:
        source = texts[draw(st.integers(0, len(texts) - 1))]
        if kind == "edit":
            texts.append(gen.edit(source, draw(st.floats(0.0, 0.1))))
        elif kind == "part":
            cut = len(source) // draw(st.integers(2, 4))
            texts.append(gen.article(30) + "\n\n" + source[:cut])
        elif kind == "repeat":
            texts.append(source + "\n\n" + source)
        elif kind == "short":
            texts.append(gen.sentence(draw(st.integers(1, 8))))
        else:
            texts.append(draw(st.sampled_from(["", " ", "\n\n", "..."])))
    documents = []
    for k, text in enumerate(texts):
        site = draw(st.sampled_from([None, *sites]))
        if site is None:
            documents.append(Document(f"doc{k:02d}", text))
        else:
            header, footer = chrome[site]
            documents.append(
                Document(f"doc{k:02d}", f"{header}\n{text}\n{footer}", {"url": f"{site}{k}"})
            )
    order = draw(st.permutations(range(len(documents))))
    return [documents[i] for i in order]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    collections(),
    st.sampled_from([None, BoilerplateSettings(min_docs=2), BoilerplateSettings(line_rules=False)]),
    st.sampled_from([FindOptions(min_tokens=12), FindOptions(min_tokens=8, max_df=3)]),
)
def test_local_runner_equals_the_reference_on_generated_collections(
    documents: list[Document], boilerplate: BoilerplateSettings | None, options: FindOptions
) -> None:
    _assert_local_equals_reference(documents, options, boilerplate)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(collections(), st.sampled_from([1, 3, 40]))
def test_local_runner_with_a_tiny_memory_budget_equals_the_reference(
    documents: list[Document], rows: int
) -> None:
    """The anchor index spilled to disk, partitions of a few rows: the same results."""
    options = FindOptions(min_tokens=8, memory_budget=rows * BUDGET_PER_ROW)
    _assert_local_equals_reference(documents, options, BoilerplateSettings(min_docs=2), (1, 2))


def test_local_runner_with_a_tiny_memory_budget_equals_the_reference_on_the_seeds(
    seeds_dir: Path,
) -> None:
    options = FindOptions(memory_budget=20 * BUDGET_PER_ROW)
    found = _assert_local_equals_reference(list(read_documents([seeds_dir])), options, None, (2,))
    assert found["pairs"]


@pytest.mark.parametrize("boilerplate", [None, BoilerplateSettings()])
def test_local_runner_equals_the_reference_on_the_seeds(
    seeds_dir: Path, boilerplate: BoilerplateSettings | None
) -> None:
    found = _assert_local_equals_reference(
        list(read_documents([seeds_dir])), FindOptions(), boilerplate
    )
    assert found["pairs"]  # the repost is found inside the page


@pytest.mark.parametrize("boilerplate", [None, BoilerplateSettings()])
def test_local_runner_equals_the_reference_on_the_examples(
    boilerplate: BoilerplateSettings | None,
) -> None:
    found = _assert_local_equals_reference(
        list(read_documents([EXAMPLES])), FindOptions(), boilerplate
    )
    assert len(found["pairs"]) >= 3


def test_two_finds_in_two_threads_give_what_they_give_one_after_the_other() -> None:
    """Nothing a run uses lives in a module global: two runs in one process (a server)
    do not see each other's state."""
    gen = TextGenerator(5, vocabulary=3000)
    first = [gen.article(120) for _ in range(8)]
    first += [gen.edit(t, 0.03) for t in first[:4]]
    second = [gen.article(90) for _ in range(6)]
    second += [t + "\n\n" + t for t in second[:3]]
    runs = [
        [Document(f"a{i}", t) for i, t in enumerate(first)],
        [Document(f"b{i}", t) for i, t in enumerate(second)],
    ]
    options = FindOptions(workers=1, min_tokens=12)
    sequential = [_local(docs, options, BoilerplateSettings()) for docs in runs]
    assert sequential[0]["pairs"] and sequential[1]["repeats"]

    concurrent: list[dict[str, Any] | None] = [None, None]
    barrier = threading.Barrier(2)

    def run(k: int) -> None:
        barrier.wait()
        for _ in range(3):  # several rounds, so that the runs overlap
            concurrent[k] = _local(runs[k], options, BoilerplateSettings())

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert concurrent == sequential
