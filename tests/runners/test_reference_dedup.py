"""The local dedup runner, with any number of workers, gives exactly the reference
runner's results (`dedup_batch`: in memory, one process)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reprints.dedup import DedupOptions, dedup
from reprints.documents import Document
from reprints.readers import ReadOptions, read_documents
from reprints.runners.reference_dedup import DedupBatch, dedup_batch
from reprints.synthetic import TextGenerator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WORKERS = (1, 2, 4)

Outcome = tuple[list[str], list[dict[str, Any]], list[tuple[str, str]], list[str]]


def reference(docs: list[Document], options: DedupOptions) -> Outcome:
    batch: DedupBatch = dedup_batch(docs, options)
    return batch.kept, [r.to_json() for r in batch.removed], batch.skipped, batch.texts


def local(docs: list[Document], options: DedupOptions, workers: int) -> Outcome:
    with dedup(docs, dataclasses.replace(options, workers=workers)) as result:
        texts = [doc.text for doc in result.kept_documents()]
        return result.kept_ids, [r.to_json() for r in result.removed], result.skipped, texts


def assert_local_is_reference(docs: list[Document], options: DedupOptions) -> Outcome:
    expected = reference(docs, options)
    for workers in WORKERS:
        assert local(docs, options, workers) == expected, f"{workers} workers"
    return expected


# --- generated collections -------------------------------------------------------------

KINDS = ("new", "exact", "variant", "edit", "contained", "container", "twice", "empty", "short")


def collection(seed: int, kinds: list[str]) -> list[Document]:
    """Documents of the given kinds, each derived from an earlier one where the kind
    says so: exact copies, case and spacing variants, edited copies, documents
    contained in an earlier one or containing it, texts pasted twice, texts without a
    word, texts shorter than an n-gram."""
    gen = TextGenerator(seed, vocabulary=3000)
    texts: list[str] = []
    for kind in kinds:
        earlier = texts[int(gen.rng.integers(len(texts)))] if texts else gen.article(120)
        if kind == "exact":
            text = earlier
        elif kind == "variant":
            text = "  ".join(earlier.upper().split(" "))
        elif kind == "edit":
            text = gen.edit(earlier, float(gen.rng.choice([0.01, 0.03, 0.1])))
        elif kind == "contained":
            text = earlier[: max(1, len(earlier) * 3 // 4)]
        elif kind == "container":
            text = f"{gen.paragraph(40)}\n\n{earlier}\n\n{gen.paragraph(30)}"
        elif kind == "twice":
            text = f"{earlier}\n\n{earlier}"
        elif kind == "empty":
            text = str(gen.rng.choice(["", " ... !!! ", "\n\n"]))
        elif kind == "short":
            text = gen.sentence(3)
        else:
            text = gen.article(int(gen.rng.integers(20, 200)))
        texts.append(text)
    dates = gen.rng.integers(2000, 2030, size=len(texts)).tolist()
    return [
        Document(f"d{k:03}", text, {"date": str(dates[k])} if k % 3 else {})
        for k, text in enumerate(texts)
    ]


options_strategy = st.builds(
    DedupOptions,
    threshold=st.sampled_from([0.5, 0.8]),
    containment=st.sampled_from([None, 0.8]),
    drop_repeats=st.booleans(),
    drop_boilerplate=st.booleans(),
    max_df=st.sampled_from([2, 100]),
    keep=st.sampled_from(["first", "longest", "date"]),
    verify=st.booleans(),
    batch_size=st.sampled_from([3, 256]),  # several batches, and one
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    seed=st.integers(0, 2**16),
    kinds=st.lists(st.sampled_from(KINDS), min_size=0, max_size=24),
    options=options_strategy,
)
def test_local_runner_equals_the_reference_on_generated_collections(
    seed: int, kinds: list[str], options: DedupOptions
) -> None:
    docs = collection(seed, kinds)
    kept, removed, skipped, texts = assert_local_is_reference(docs, options)
    # Every document is decided exactly once.
    decided = kept + [r["id"] for r in removed] + [i for i, _ in skipped]
    assert sorted(decided) == sorted(doc.id for doc in docs)
    assert len(texts) == len(kept)


# --- the seeds and examples -------------------------------------------------------------

SETTINGS = [
    DedupOptions(),
    DedupOptions(containment=0.8),
    DedupOptions(drop_repeats=True),
    DedupOptions(containment=0.8, drop_repeats=True, drop_boilerplate=True, max_df=2),
    DedupOptions(keep="longest", containment=0.5),
    DedupOptions(keep="source", containment=0.8, drop_repeats=True),  # a metadata field
    DedupOptions(threshold=0.3, verify=False, keep="longest"),
]


@pytest.mark.parametrize("options", SETTINGS, ids=lambda o: _describe(o))
def test_local_runner_equals_the_reference_on_the_examples(options: DedupOptions) -> None:
    docs = list(read_documents([str(EXAMPLES)], ReadOptions(workers=1)))
    kept, removed, _, _ = assert_local_is_reference(docs, options)
    if options.containment == 0.8:
        assert {r["reason"] for r in removed} == {"contained"} and len(kept) < len(docs)


@pytest.mark.parametrize("options", SETTINGS, ids=lambda o: _describe(o))
def test_local_runner_equals_the_reference_on_the_seeds(
    seeds_dir: Path, options: DedupOptions
) -> None:
    docs = list(read_documents([str(seeds_dir)], ReadOptions(workers=1)))
    assert_local_is_reference(docs, options)


def _describe(options: DedupOptions) -> str:
    default = DedupOptions()
    changed = [
        f"{f.name}={getattr(options, f.name)}"
        for f in dataclasses.fields(options)
        if getattr(options, f.name) != getattr(default, f.name)
    ]
    return ",".join(changed) or "defaults"
