"""From sketches to decisions: the dedup stages after sketching, composed once for
every runner.

A runner (the local pool in :mod:`reprints.dedup.local`, the in-memory reference in
:mod:`reprints.runners.reference_dedup`) sketches the documents its way and hands
:func:`decide` the per-document arrays and three things only it knows how to do:
score candidate pairs by their true Jaccard (from wherever it keeps the shingles),
read kept documents back, and report progress. Everything else — exact groups, LSH,
clusters, the keep policy, reasons, containment, repeats, boilerplate, the summary —
is the same code whoever runs it, so two runners cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.arrays import distinct
from reprints.boilerplate import BoilerplateDetector, MarkCounts, MarkedSpan
from reprints.dedup.kernels import (
    KEPT,
    NO_WORDS,
    REMOVED,
    SKIPPED,
    Reason,
    contained_removals,
    containers_of,
    exact_groups,
    keep_rank,
    kept_of_cluster,
    known_scores,
    lsh_candidates,
    near_removal_pairs,
    removal_reasons,
    repeat_cuts,
)
from reprints.dedup.options import DedupOptions
from reprints.dedup.result import Removal
from reprints.dedup.summary import ClusterFigures, DedupSummary, LshFigures
from reprints.documents import Document, Pair, SelfRepeats
from reprints.finding import FindOptions
from reprints.graph import connected_components
from reprints.minhash import estimate_jaccard
from reprints.pipeline import ProgressHook, StageClock, batches

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# Exact n-gram Jaccard of each pair (rows of document numbers).
Scorer = Callable[[I64], F64]
# (number, document as read) of the documents asked for, in that order.
DocumentsAt = Callable[[I64], Iterator[tuple[int, Document]]]
# `find` on the kept documents, as the runner runs it (its pool, or in memory): the
# pairs, the repeats and find's summary. The runner chooses; decide() never sees how.
FindRun = Callable[
    [Iterator[Document], FindOptions, ProgressHook],
    tuple[list[Pair], list[SelfRepeats], dict[str, Any]],
]

_MARK_BATCH = 256  # kept documents marked at a time (their spans merge as they come)


@dataclass(slots=True)
class Sketched:
    """The whole collection sketched: per-document arrays in input order.

    :func:`decide` frees ``signatures`` (the largest array of a run) as soon as the
    clusters are known, so they do not stay in memory while `find` runs.
    """

    ids: list[str]
    tokens: I64
    exact: npt.NDArray[np.uint64]  # shape (n, 2)
    signatures: npt.NDArray[np.uint32]  # shape (n, num_perm)
    keep_values: list[Any] | None  # the keep field of every document, when keeping by one


@dataclass(frozen=True, slots=True)
class Decided:
    """Every decision of a run, by document number and by id."""

    status: npt.NDArray[np.int8]
    removed: list[Removal]
    skipped: list[tuple[str, str]]
    edits: dict[int, list[MarkedSpan]]  # spans cut from kept documents
    summary: DedupSummary


@dataclass(frozen=True, slots=True)
class Clusters:
    """The clusters decided: each document's status, why each removed one goes, the
    keep rank of every document (containment decides by it too) and the figures.

    :func:`clusters_of` makes them on one machine; a distributed runner may make them
    its own way (:mod:`reprints.spark.near`) from the same kernels, and hand them to
    :func:`settle`."""

    status: npt.NDArray[np.int8]
    reasons: dict[int, Reason]
    rank: I64
    figures: ClusterFigures


def decide(
    sketched: Sketched,
    options: DedupOptions,
    verify: Scorer,
    documents_at: DocumentsAt,
    run_find: FindRun,
    boilerplate: BoilerplateDetector | None,
    clock: StageClock,
    progress: ProgressHook,
) -> Decided:
    """Decide every document: clusters of copies first, then (on kept documents)
    containment, repeats and boilerplate. ``boilerplate`` has observed every document."""
    clusters = clusters_of(sketched, options, verify, clock)
    return settle(sketched, clusters, options, documents_at, run_find, boilerplate, clock, progress)


def settle(
    sketched: Sketched,
    clusters: Clusters,
    options: DedupOptions,
    documents_at: DocumentsAt,
    run_find: FindRun,
    boilerplate: BoilerplateDetector | None,
    clock: StageClock,
    progress: ProgressHook,
) -> Decided:
    """Everything after the clusters: containment and repeats (by ``run_find``) and
    boilerplate on the kept documents, the removal records and the summary.
    ``sketched`` needs no signatures here."""
    status, reasons = clusters.status, dict(clusters.reasons)
    edits: dict[int, list[MarkedSpan]] = {}
    find_summary = boilerplate_summary = None
    if options.containment is not None or options.drop_repeats:
        kept = np.flatnonzero(status == KEPT)
        cuts, contained, find_summary = _with_find(
            sketched, clusters.rank, kept, documents_at, run_find, options, progress
        )
        _add_cuts(edits, cuts)
        status[np.array(sorted(contained), dtype=np.int64)] = REMOVED
        reasons.update(contained)
        clock.lap("find")
    if boilerplate is not None:
        marker = boilerplate.marker()
        marks = MarkCounts()
        for batch in batches(documents_at(np.flatnonzero(status == KEPT)), _MARK_BATCH):
            spans, marked = marker.mark_batch([doc for _, doc in batch])
            marks = marks.merge(marked)
            _add_cuts(edits, {k: cut for (k, _), cut in zip(batch, spans, strict=True) if cut})
        clock.lap("boilerplate")
        boilerplate_summary = boilerplate.summary(marks)
    ids = sketched.ids
    removed = [Removal(ids[k], ids[r.kept], r.reason, r.score) for k, r in sorted(reasons.items())]
    skipped = [(ids[k], NO_WORDS) for k in np.flatnonzero(status == SKIPPED).tolist()]
    summary = DedupSummary.of(
        kept=int((status == KEPT).sum()),
        removed_reasons=[r.reason for r in removed],
        skipped=skipped,
        figures=clusters.figures,
        edited_documents=len(edits),
        seconds=clock.seconds,
        options=options.to_json(),
        find=find_summary,
        boilerplate=boilerplate_summary,
    )
    return Decided(status, removed, skipped, edits, summary)


def clusters_of(
    sketched: Sketched, options: DedupOptions, verify: Scorer, clock: StageClock
) -> Clusters:
    """Exact groups, LSH candidates scored, clusters, the kept member of each, and why
    every other member goes."""
    tokens, signatures = sketched.tokens, sketched.signatures
    n = tokens.shape[0]
    status = np.zeros(n, dtype=np.int8)
    status[tokens == 0] = SKIPPED
    groups = exact_groups(sketched.exact, tokens > 0)
    clock.lap("exact")
    bands, rows = options.bands_rows()
    pairs = lsh_candidates(signatures, groups.representatives, bands, rows)
    clock.lap("lsh")

    def score(pairs: I64) -> F64:
        if not pairs.shape[0]:
            return np.zeros(0, dtype=np.float64)
        if options.verify:
            return verify(pairs)
        return estimate_jaccard(signatures[pairs[:, 0]], signatures[pairs[:, 1]])

    scores = score(pairs)
    clock.lap("verify")
    near_edges = pairs[scores >= options.threshold]
    labels = connected_components(n, np.concatenate((groups.edges, near_edges)))
    rank = keep_rank(options.keep, tokens, sketched.ids, sketched.keep_values)
    kept_of = kept_of_cluster(labels, rank)
    losers = np.flatnonzero((kept_of != np.arange(n)) & (status != SKIPPED))
    status[losers] = REMOVED
    exact_losers, near_losers, near_pairs = near_removal_pairs(losers, kept_of, groups.exact_of)
    near_scores = known_scores(near_pairs, pairs, scores, n)
    unknown = np.flatnonzero(np.isnan(near_scores))
    if unknown.size:
        near_scores[unknown] = score(near_pairs[unknown])
    reasons = removal_reasons(kept_of, exact_losers, near_losers, near_scores)
    sketched.signatures = np.empty((0, signatures.shape[1]), dtype=np.uint32)
    clock.lap("cluster")
    figures = ClusterFigures(
        tokens=int(tokens.sum()),
        exact_groups=int(groups.representatives.shape[0]),
        lsh=LshFigures(bands, rows, int(pairs.shape[0])),
        verified_pairs=int(near_edges.shape[0]),
        clusters_with_removals=int(distinct(labels[losers]).shape[0]),
    )
    return Clusters(status, reasons, rank, figures)


def find_options(options: DedupOptions) -> FindOptions:
    """The `find` settings for containment and repeats on the kept documents."""
    return FindOptions(
        ngram=options.ngram,
        min_tokens=options.min_tokens,
        max_df=options.max_df,
        self_repeats=options.drop_repeats,
        workers=options.workers,
    )


def _with_find(
    sketched: Sketched,
    rank: I64,
    kept: I64,
    documents_at: DocumentsAt,
    run_find: FindRun,
    options: DedupOptions,
    progress: ProgressHook,
) -> tuple[dict[int, list[MarkedSpan]], dict[int, Reason], dict[str, Any]]:
    """Repeat cuts and containment removals among the kept documents, through
    ``run_find``; and find's summary."""
    index_of = {sketched.ids[k]: k for k in kept.tolist()}
    documents = (doc for _, doc in documents_at(kept))

    def find_progress(stage: str, advance: int, total: int | None) -> None:
        progress(f"find: {stage}", advance, total)

    cuts: dict[int, list[MarkedSpan]] = {}
    contained: dict[int, Reason] = {}
    pairs, repeats, summary = run_find(documents, find_options(options), find_progress)
    if options.drop_repeats and repeats:
        wanted = np.array(sorted(index_of[r.doc] for r in repeats), dtype=np.int64)
        texts = {doc.id: doc.text for _, doc in documents_at(wanted)}
        for found in repeats:
            spans = repeat_cuts(texts[found.doc], found.passages)
            if spans:
                cuts[index_of[found.doc]] = spans
    if options.containment is not None:
        shares = ((index_of[p.a], index_of[p.b], p.containment_a, p.containment_b) for p in pairs)
        containers = containers_of(shares, options.containment)
        contained = contained_removals(containers, sketched.tokens, rank)
    return cuts, contained, summary


def _add_cuts(edits: dict[int, list[MarkedSpan]], cuts: dict[int, list[MarkedSpan]]) -> None:
    """Add each document's ``cuts`` after the spans it already has (repeats come
    before boilerplate)."""
    for k, spans in cuts.items():
        if spans:
            edits.setdefault(k, []).extend(spans)


def boilerplate_detector(options: DedupOptions) -> BoilerplateDetector | None:
    """The detector ``--drop-boilerplate`` asks for: a line in more than ``max_df``
    documents of a site (of the corpus for documents without a URL) is boilerplate."""
    if not options.drop_boilerplate:
        return None
    return BoilerplateDetector(min_docs=max(options.max_df + 1, 2), corpus_wide=True)
