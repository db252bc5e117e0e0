"""The local runner of `find`: the stages of :mod:`reprints.finding` on one machine.

This module only moves data: it spools what it must keep to disk (:mod:`reprints.store`),
counts boilerplate lines as documents are read, and spreads the two heavy stages,
fingerprinting and alignment, over a :class:`~reprints.runners.pool.WorkerPool`, each
worker holding its stage's state (options, tokeniser, marker, anchor index, token
store) as an explicit argument. Documents are numbered in the order of their sorted
ids and every result is ordered by those numbers, so the output depends neither on the
input order nor on the worker count; :func:`reprints.runners.reference.find_batch`
computes the same results in memory, and the tests hold this runner to it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.align import AlignParams
from reprints.boilerplate import BoilerplateDetector, BoilerplateMarker, MarkCounts
from reprints.candidates import AnchorIndex
from reprints.documents import Document, Pair, SelfRepeats
from reprints.finding import (
    FindOptions,
    FindSummary,
    FingerprintedBatch,
    Task,
    align_tasks,
    collect,
    find_tasks,
    fingerprint_documents,
    index_anchors,
)
from reprints.pipeline import OwnsScratch, ProgressHook, StageClock, batches, no_progress
from reprints.runners.pool import WorkerPool, worker_count
from reprints.scratch import scratch_folder
from reprints.spill import PostingSpill
from reprints.store import (
    AnchorReader,
    AnchorStore,
    ColumnFiles,
    TextSpool,
    TokenReader,
    TokenStore,
)
from reprints.text import Tokenizer

U64 = npt.NDArray[np.uint64]

_FINGERPRINT_BATCH = 64
_ALIGN_BATCH = 128


@dataclass
class FindResult(OwnsScratch):
    """Everything `find` learnt; ``texts`` reads the spooled texts until :meth:`close`."""

    doc_ids: list[str]
    pairs: list[Pair]
    repeats: list[SelfRepeats]
    stats: FindSummary
    texts: Mapping[str, str]
    meta: dict[str, dict[str, Any]]
    _workdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def summary(self) -> dict[str, Any]:
        """:attr:`stats` as ``summary.json`` holds them."""
        return self.stats.to_json()


# --- what each worker holds, and its task -------------------------------------------


@dataclass(frozen=True, slots=True)
class _FingerprintState:
    options: FindOptions
    tokenizer: Tokenizer  # each process's own word cache
    marker: BoilerplateMarker | None


def _fingerprint_task(state: _FingerprintState, batch: list[Document]) -> FingerprintedBatch:
    return fingerprint_documents(batch, state.options, state.tokenizer, state.marker)


@dataclass(frozen=True, slots=True)
class _AlignState:
    params: AlignParams
    doc_ids: Sequence[str]
    index: AnchorIndex
    tokens: TokenReader
    listed: bool  # the tasks are pairs the caller gave


def _align_task(state: _AlignState, tasks: list[Task]) -> list[Pair | SelfRepeats | None]:
    return align_tasks(tasks, state.doc_ids, state.tokens, state.index, state.params, state.listed)


# --- the pipeline -------------------------------------------------------------------


def find(
    documents: Iterable[Document],
    options: FindOptions | None = None,
    boilerplate: BoilerplateDetector | None = None,
    progress: ProgressHook | None = None,
    pairs: Iterable[tuple[str, str]] | None = None,
) -> FindResult:
    """Find every passage shared by two documents, and every document's own repeats.

    With ``boilerplate``, the detector counts the lines of every document read (on top
    of any it observed before) and the text it marks never pairs documents. With
    ``pairs`` (document ids), only those pairs are aligned and no repeats are sought:
    the text-alignment setting, where candidates come from elsewhere; the collection
    still says what is stock text (anchors in more than ``max_df`` documents).
    """
    options = options or FindOptions()
    report = progress or no_progress
    workers = worker_count(options.workers)
    clock = StageClock()
    workdir = scratch_folder("find")
    folder = Path(workdir.name)
    try:
        texts, meta = _spool(documents, folder, boilerplate, report)
        doc_ids = sorted(meta)
        clock.lap("read")

        marker = boilerplate.marker() if boilerplate is not None else None
        ordered = (Document(doc_id, texts[doc_id], meta[doc_id]) for doc_id in doc_ids)
        state = _FingerprintState(options, Tokenizer(), marker)
        found = _fingerprint_all(ordered, len(doc_ids), folder, state, workers, report)
        files, marks = found.tokens, found.marks
        clock.lap("fingerprint")

        anchors = AnchorReader(found.anchors)
        index = index_anchors(anchors, found.keys, options, found.sentence_keys, found.rows)
        clock.lap("candidates")

        tasks = find_tasks(index, options.self_repeats, doc_ids, pairs)
        params = options.align_params()
        reader = TokenReader(files)
        align_state = _AlignState(params, doc_ids, index, reader, pairs is not None)
        found_pairs, repeats = collect(_align_all(tasks, align_state, workers, report))
        clock.lap("align")
    except BaseException:
        workdir.cleanup()
        raise

    stats = FindSummary.of(
        options,
        documents=len(doc_ids),
        tokens=int(files.offsets[-1]),
        found=index,
        pairs=found_pairs,
        repeats=repeats,
        seconds=clock.seconds,
        boilerplate=boilerplate.summary(marks) if boilerplate is not None else None,
    )
    return FindResult(doc_ids, found_pairs, repeats, stats, texts, meta, workdir)


def _spool(
    documents: Iterable[Document],
    folder: Path,
    boilerplate: BoilerplateDetector | None,
    report: ProgressHook,
) -> tuple[TextSpool, dict[str, dict[str, Any]]]:
    """Read: texts to a spool file, metadata kept, the boilerplate detector counting lines."""
    texts = TextSpool(folder / "texts.bin")
    meta: dict[str, dict[str, Any]] = {}
    for doc in documents:
        if doc.id in meta:
            raise ValueError(f"duplicate document id {doc.id!r}")
        texts.add(doc.id, doc.text)
        meta[doc.id] = doc.meta
        if boilerplate is not None:
            boilerplate.observe(doc)
        report("read", 1, None)
    texts.seal()
    return texts, meta


@dataclass(frozen=True, slots=True)
class _Fingerprinted:
    """What fingerprinting kept: token and anchor stores on disk, the anchors' and the
    sentence keys' (hash, document) rows (spilled to disk over the memory budget), each
    document's exact-copy key, and what the marker marked."""

    tokens: ColumnFiles
    anchors: ColumnFiles
    rows: PostingSpill
    sentence_keys: PostingSpill
    keys: U64
    marks: MarkCounts


def _fingerprint_all(
    documents: Iterator[Document],
    count: int,
    folder: Path,
    state: _FingerprintState,
    workers: int,
    report: ProgressHook,
) -> _Fingerprinted:
    """Tokenise and fingerprint in id order, keeping what :class:`_Fingerprinted` says
    as batches arrive."""
    store, anchors = TokenStore(folder), AnchorStore(folder)
    budget = state.options.budget()
    rows = PostingSpill(folder / "spill-anchors", budget)
    sentence_keys = PostingSpill(folder / "spill-sentence-keys", budget)
    keys: list[U64] = []
    marks: list[MarkCounts] = []
    first = 0  # the batch's first document number
    with WorkerPool(workers, state) as pool:
        for batch in pool.map(_fingerprint_task, batches(documents, _FINGERPRINT_BATCH)):
            for tokens in batch.tokens:
                store.add(tokens)
            anchors.add(batch.anchors)
            rows.add(batch.anchors.hashes, batch.anchors.owners() + first)
            sentence_keys.add(batch.sentence_keys.hashes, batch.sentence_keys.owners() + first)
            keys.append(batch.keys)
            if batch.marks is not None:
                marks.append(batch.marks)
            first += len(batch.tokens)
            report("fingerprint", len(batch.tokens), count)
    all_keys = np.concatenate(keys) if keys else np.zeros((0, 2), dtype=np.uint64)
    return _Fingerprinted(
        store.seal(), anchors.seal(), rows, sentence_keys, all_keys, MarkCounts.total(marks)
    )


def _align_all(
    tasks: list[Task], state: _AlignState, workers: int, report: ProgressHook
) -> Iterator[Pair | SelfRepeats | None]:
    with WorkerPool(workers, state) as pool:
        for found in pool.map(_align_task, batches(tasks, _ALIGN_BATCH)):
            yield from found
            report("align", len(found), len(tasks))
