"""The reference runner of `find`: the stages of :mod:`reprints.finding`, in memory.

One process, no spool files, no batches: every stage function is called once on the
whole collection. It is slow on large collections and not meant for them; it is what
every other runner (the local process pool, the coming index and Spark engines) is
held equal to, result for result.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from reprints.boilerplate import (
    BoilerplateMarker,
    BoilerplateSettings,
    MarkCounts,
    boilerplate_summary,
    count_lines,
)
from reprints.documents import Document
from reprints.finding import (
    Findings,
    FindOptions,
    FindSummary,
    align_tasks,
    collect,
    find_tasks,
    fingerprint_documents,
    index_anchors,
)
from reprints.text import Tokenizer


def find_batch(
    documents: Iterable[Document],
    options: FindOptions | None = None,
    boilerplate: BoilerplateSettings | None = None,
    pairs: Iterable[tuple[str, str]] | None = None,
) -> Findings:
    """What :func:`reprints.runners.local.find` finds, computed in memory (no timings).

    ``boilerplate``: mark boilerplate with these settings, counting lines over
    ``documents`` (the local runner's ``BoilerplateDetector`` with the same settings).
    ``pairs``: align only these pairs of ids (``find``'s ``pairs``).
    """
    options = options or FindOptions()
    docs = sorted(documents, key=lambda d: d.id)
    for earlier, doc in itertools.pairwise(docs):
        if earlier.id == doc.id:
            raise ValueError(f"duplicate document id {doc.id!r}")
    doc_ids = [d.id for d in docs]

    counts = marker = None
    if boilerplate is not None:
        counts = count_lines(docs, boilerplate)
        marker = BoilerplateMarker.from_counts(boilerplate, counts)
    batch = fingerprint_documents(docs, options, Tokenizer(), marker)
    index = index_anchors(batch.anchors, batch.keys, options, batch.sentence_keys)
    tasks = find_tasks(index, options.self_repeats, doc_ids, pairs)
    listed = pairs is not None
    params = options.align_params()
    pairs_found, repeats = collect(align_tasks(tasks, doc_ids, batch.tokens, index, params, listed))

    figures = None
    if boilerplate is not None and counts is not None:
        figures = boilerplate_summary(boilerplate, counts, batch.marks or MarkCounts())
    stats = FindSummary.of(
        options,
        documents=len(docs),
        tokens=sum(len(t) for t in batch.tokens),
        found=index,
        pairs=pairs_found,
        repeats=repeats,
        seconds={},
        boilerplate=figures,
    )
    return Findings(doc_ids, pairs_found, repeats, stats)
