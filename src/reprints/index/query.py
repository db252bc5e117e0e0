"""A query: what one text is to the indexed collection, with the passages it shares.

The answer is exactly what ``find`` would report for the pairs of the collection
plus the query that hold the query: the same tokenising, boilerplate marking,
fingerprints, document-frequency cap (counted over the index's live documents and
the query), admission and alignment, so the same passages and scores. Only the
search differs: the query's anchors are looked up in the segments' posting lists
instead of sorting every anchor of the collection.

Each match gets a kind, best first: ``exact`` (the same normalised tokens),
``near-duplicate`` (word n-gram Jaccard at least :data:`NEAR_JACCARD`),
``contained`` (at least :data:`CONTAINED` of the query lies in passages shared with
the document), ``contains`` (as much of the document lies in the query), or
``shares`` (some passages).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from reprints import engine
from reprints.align import Admission
from reprints.boilerplate import mark_tokens, site_of
from reprints.documents import Document, Pair
from reprints.engine import Fingerprint, fingerprint, pair_of
from reprints.fingerprint import ngram_hashes
from reprints.index.sitelines import count_lines, detector_for, merge_counts
from reprints.index.store import Index, Snapshot
from reprints.text import Tokens

NEAR_JACCARD = 0.5  # datasketch's usual MinHashLSH threshold, for comparison
CONTAINED = 0.8
KINDS = ("exact", "near-duplicate", "contained", "contains", "shares")


@dataclass(frozen=True, slots=True)
class SharedPassage:
    """A passage as seen from the query: offsets in the query and in the document."""

    query_start: int
    query_end: int
    doc_start: int
    doc_end: int
    tokens: int
    similarity: float

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class Match:
    """One stored document sharing text with the query, and ``find``'s pair for the two."""

    id: str
    kind: str
    containment_query: float  # share of the query's tokens in shared passages
    containment_document: float
    jaccard: float
    passages: tuple[SharedPassage, ...]
    pair: Pair

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "containment_query": self.containment_query,
            "containment_document": self.containment_document,
            "jaccard": self.jaccard,
            "passages": [p.to_json() for p in self.passages],
        }


@dataclass(frozen=True, slots=True)
class QueryResult:
    query: str
    matches: tuple[Match, ...]
    candidates: int  # stored documents sharing an uncapped anchor with the query
    documents: int  # live documents in the version queried
    version: int

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "matches": [m.to_json() for m in self.matches],
            "candidates": self.candidates,
            "documents": self.documents,
            "version": self.version,
        }


def query(index: Index, doc: Document, top: int | None = None) -> QueryResult:
    """Match ``doc`` against one consistent version of ``index``, best match first."""
    with index.view() as (conn, snap):
        fq = fingerprint(
            _query_tokens(index, snap, doc), snap.options.find.ngram, snap.options.window
        )
        nums = _candidates(snap, fq)
        ids = index.ids_of(conn, nums.tolist())
        matches = [
            m
            for num in nums.tolist()
            if (m := _match(snap, doc.id, fq, ids[num], snap.tokens(num))) is not None
        ]
    matches.sort(key=_rank)
    kept = matches if top is None else matches[:top]
    return QueryResult(doc.id, tuple(kept), int(nums.shape[0]), snap.documents, snap.version)


def _query_tokens(index: Index, snap: Snapshot, doc: Document) -> Tokens:
    """The query's tokens, marked as ``find`` would mark it in the collection."""
    tokens = index.tokenizer().tokenize(doc.text)
    settings = snap.options.boilerplate
    lines = snap.lines
    if settings.enabled and site_of(doc) is not None:
        lines = merge_counts(lines, count_lines([doc], settings))
    detector = detector_for(lines, settings)
    return tokens if detector is None else mark_tokens(tokens, detector.spans(doc))


def _candidates(snap: Snapshot, fq: Fingerprint) -> np.ndarray:
    """Stored documents sharing an anchor with the query that the df cap leaves open."""
    hashes = np.unique(fq.anchor_hashes)
    df = snap.document_frequency(hashes) + 1  # the query holds each of them too
    return snap.holders(hashes[df <= snap.options.find.max_df])


def _capped_among(snap: Snapshot, tokens: Tokens, fq: Fingerprint) -> np.ndarray:
    """The n-gram hashes of ``tokens`` that find's df cap would drop (sorted)."""
    grams = np.unique(ngram_hashes(tokens.hashes, snap.options.find.ngram))
    df = snap.document_frequency(grams) + np.isin(grams, fq.anchor_hashes)
    return grams[df > snap.options.find.max_df]


def _match(snap: Snapshot, query_id: str, fq: Fingerprint, doc_id: str, td: Tokens) -> Match | None:
    opts = snap.options
    fd = fingerprint(td, opts.find.ngram, opts.window)
    query_first = query_id < doc_id  # find numbers documents by sorted id
    (a, fa), (b, fb) = (
        ((query_id, fq), (doc_id, fd)) if query_first else ((doc_id, fd), (query_id, fq))
    )
    admission = _admission(snap, fa, fb, _capped_among(snap, fa.tokens, fq))
    pair = pair_of(a, b, fa.tokens, fb.tokens, admission, opts.find.align_params())
    if pair is None:
        return None
    cq, cd = (
        (pair.containment_a, pair.containment_b)
        if query_first
        else (pair.containment_b, pair.containment_a)
    )
    passages = tuple(
        SharedPassage(p.a_start, p.a_end, p.b_start, p.b_end, p.tokens, p.similarity)
        if query_first
        else SharedPassage(p.b_start, p.b_end, p.a_start, p.a_end, p.tokens, p.similarity)
        for p in pair.passages
    )
    exact = np.array_equal(fq.tokens.hashes, td.hashes)
    return Match(doc_id, _kind(exact, pair.jaccard, cq, cd), cq, cd, pair.jaccard, passages, pair)


def _kind(exact: bool, jaccard: float, cq: float, cd: float) -> str:
    if exact:
        return "exact"
    if jaccard >= NEAR_JACCARD:
        return "near-duplicate"
    if cq >= CONTAINED:
        return "contained"
    if cd >= CONTAINED:
        return "contains"
    return "shares"


def _rank(m: Match) -> tuple[int, float, int, str]:
    shared = sum(p.tokens for p in m.passages)
    return (KINDS.index(m.kind), -max(m.containment_query, m.containment_document), -shared, m.id)


# engine._admission reads a module global set by its pool initializer; until it is a
# stage function of its own, the query sets that global under this lock.
_ADMISSION_LOCK = threading.Lock()


def _admission(snap: Snapshot, fa: Fingerprint, fb: Fingerprint, capped: np.ndarray) -> Admission:
    offsets = np.array(
        [
            0,
            fa.anchor_positions.shape[0],
            fa.anchor_positions.shape[0] + fb.anchor_positions.shape[0],
        ],
        dtype=np.int64,
    )
    anchors = (
        offsets,
        np.concatenate([fa.anchor_positions, fb.anchor_positions]),
        np.concatenate([fa.anchor_hashes, fb.anchor_hashes]),
    )
    context = engine._WorkerContext(snap.options.find, anchors=anchors, capped=capped)
    context.reader = object()  # type: ignore[assignment]
    with _ADMISSION_LOCK:
        engine._init_worker(context)
        try:
            return engine._admission(0, 1, fa.tokens)
        finally:
            engine._context = None
