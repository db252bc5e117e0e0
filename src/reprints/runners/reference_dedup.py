"""The reference runner of dedup: the whole collection in memory, in one process.

:func:`dedup_batch` sketches every document in one batch, verifies candidate pairs
from shingles held in memory, and hands the same
:func:`reprints.dedup.decide.decide` as the local runner the rest. It writes no spool
of its own and starts no process, so it is the yardstick the other runners are held
to: the local pool with any number of workers (tests/runners), and the coming index
and Spark engine, must give exactly its decisions and texts. Made for collections
that fit in memory; the local runner is the one for real runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.boilerplate import drop_spans
from reprints.dedup.decide import Sketched, boilerplate_detector, decide
from reprints.dedup.kernels import KEPT, pair_jaccards, sketch
from reprints.dedup.options import DedupOptions
from reprints.dedup.result import Removal
from reprints.dedup.summary import DedupSummary
from reprints.documents import Document, Pair, SelfRepeats
from reprints.finding import FindOptions
from reprints.minhash import MinHasher
from reprints.pipeline import ProgressHook, StageClock, no_progress
from reprints.runners.reference import find_batch
from reprints.text import Tokenizer

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class DedupBatch:
    """The decisions of a dedup run and the kept texts as they would be written."""

    kept: list[str]  # ids of the kept documents, in input order
    removed: list[Removal]  # in input order of the removed documents
    skipped: list[tuple[str, str]]  # (id, reason)
    texts: list[str]  # the kept documents' texts, repeats and boilerplate cut
    summary: DedupSummary


def dedup_batch(documents: Iterable[Document], options: DedupOptions | None = None) -> DedupBatch:
    """Deduplicate ``documents`` in memory, in this process (``options.workers`` is
    ignored: `find`, for containment and repeats, runs in-process too)."""
    options = dataclasses.replace(options or DedupOptions(), workers=1)
    docs = list(documents)
    boilerplate = boilerplate_detector(options)
    if boilerplate is not None:
        for doc in docs:
            boilerplate.observe(doc)
    hasher = MinHasher(options.num_perm, options.seed)
    sk = sketch([doc.text for doc in docs], Tokenizer(), hasher, options.ngram)
    sketched = Sketched(
        ids=[doc.id for doc in docs],
        tokens=sk.tokens,
        exact=sk.exact,
        signatures=sk.signatures,
        keep_values=[doc.meta.get(options.keep) for doc in docs]
        if options.keeps_by_field
        else None,
    )

    def verify(pairs: I64) -> F64:
        of = sk.shingles.of
        return pair_jaccards(((of(a), of(b)) for a, b in pairs.tolist()), pairs.shape[0])

    def documents_at(indices: I64) -> Iterator[tuple[int, Document]]:
        return ((k, docs[k]) for k in indices.tolist())

    decided = decide(
        sketched,
        options,
        verify,
        documents_at,
        _find_in_memory,
        boilerplate,
        StageClock(),
        no_progress,
    )
    kept = np.flatnonzero(decided.status == KEPT).tolist()
    return DedupBatch(
        kept=[docs[k].id for k in kept],
        removed=decided.removed,
        skipped=decided.skipped,
        texts=[drop_spans(docs[k].text, decided.edits.get(k, [])) for k in kept],
        summary=decided.summary,
    )


def _find_in_memory(
    documents: Iterator[Document], options: FindOptions, progress: ProgressHook
) -> tuple[list[Pair], list[SelfRepeats], dict[str, Any]]:
    """`find` on the kept documents with the reference runner (in memory)."""
    found = find_batch(documents, options)
    return found.pairs, found.repeats, found.summary
