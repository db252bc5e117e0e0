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

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.align import Admission, pair_of
from reprints.boilerplate import count_lines
from reprints.candidates import AnchorIndex, Candidates, KeyRule
from reprints.documents import Document, Pair
from reprints.finding import fingerprint_documents
from reprints.fingerprint import Anchors, fingerprint, ngram_hashes
from reprints.index.store import Index, Snapshot
from reprints.text import Tokens

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

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


@dataclass(frozen=True, slots=True)
class _Side:
    """One document of a pair being matched: its id, tokens and anchors."""

    id: str
    tokens: Tokens
    positions: I64
    hashes: U64
    keys: U64  # sentence keys (the query's; a stored document's are not needed)


def query(index: Index, doc: Document, top: int | None = None) -> QueryResult:
    """Match ``doc`` against one consistent version of ``index``, best match first."""
    with index.view() as (conn, snap):
        q = _query_side(index, snap, doc)
        nums = _candidates(snap, q)
        ids = index.ids_of(conn, nums.tolist())
        matches = [
            m for num in nums.tolist() if (m := _match(snap, q, _stored_side(snap, ids[num], num)))
        ]
    matches.sort(key=_rank)
    kept = matches if top is None else matches[:top]
    return QueryResult(doc.id, tuple(kept), int(nums.shape[0]), snap.documents, snap.version)


def _query_side(index: Index, snap: Snapshot, doc: Document) -> _Side:
    """The query tokenised, marked and fingerprinted as `find` would in the collection:
    its lines counted with the collection's (find counts every document's lines)."""
    opts = snap.options
    lines = snap.lines
    if opts.boilerplate is not None and opts.boilerplate.site(doc) is not None:
        lines = lines.merge(count_lines([doc], opts.boilerplate))
    batch = fingerprint_documents([doc], opts.find, index.tokenizer(), opts.marker(lines))
    positions, hashes = batch.anchors.of(0)
    return _Side(doc.id, batch.tokens[0], positions, hashes, batch.keys.of(0)[1])


def _stored_side(snap: Snapshot, doc_id: str, num: int) -> _Side:
    """A stored document's tokens (as marked when added) and its anchors, recomputed
    by the same stage function that built its postings."""
    tokens = snap.tokens(num)
    positions, hashes = fingerprint(tokens, snap.options.find.ngram, snap.options.find.window())
    return _Side(doc_id, tokens, positions, hashes, np.zeros(0, np.uint64))


def _candidates(snap: Snapshot, q: _Side) -> I64:
    """Stored documents sharing an anchor with the query that the df cap leaves open,
    and (with sentence seeds) those sharing enough sentence keys under the keys' cap:
    the pairs find's :class:`AnchorIndex` makes."""
    hashes = np.unique(q.hashes)
    df = snap.document_frequency(hashes) + 1  # the query holds each of them too
    found = snap.holders(hashes[df <= snap.options.find.max_df])
    if not snap.options.find.sentences:
        return found
    rule = KeyRule()
    keys = np.unique(q.keys)
    df = snap.document_frequency(keys, keys=True) + 1
    keyed = snap.holders(keys[df <= rule.max_df], keys=True, min_shared=rule.min_shared)
    return np.union1d(found, keyed).astype(np.int64)


def _capped_among(snap: Snapshot, tokens: Tokens, q: _Side) -> U64:
    """The n-gram hashes of ``tokens`` that find's df cap would drop (sorted): their
    documents in the index, plus the query when it holds them as anchors."""
    grams = np.unique(ngram_hashes(tokens.hashes, snap.options.find.ngram))
    df = snap.document_frequency(grams) + np.isin(grams, q.hashes)
    return grams[df > snap.options.find.max_df]


def _admission(snap: Snapshot, a: _Side, b: _Side, q: _Side) -> Admission:
    """find's admission of ``a`` aligned with ``b``: an :class:`AnchorIndex` of the two
    documents whose cap is the one of the whole collection plus the query."""
    anchors = Anchors(
        np.array([0, a.positions.shape[0], a.positions.shape[0] + b.positions.shape[0]]),
        np.concatenate([a.positions, b.positions]).astype(np.int64),
        np.concatenate([a.hashes, b.hashes]).astype(np.uint64),
    )
    none = np.zeros(0, np.int64)
    capped = _capped_among(snap, a.tokens, q)
    found = Candidates(none.reshape(0, 2), none, none, capped, 0, 0)
    opts = snap.options.find
    pair_index = AnchorIndex(anchors, opts.ngram, opts.window(), opts.max_df, found)
    return pair_index.admission(0, 1, a.tokens)


def _match(snap: Snapshot, q: _Side, d: _Side) -> Match | None:
    query_first = q.id < d.id  # find numbers documents by sorted id: a is the smaller
    a, b = (q, d) if query_first else (d, q)
    admission = _admission(snap, a, b, q)
    pair = pair_of(a.id, b.id, a.tokens, b.tokens, admission, snap.options.find.align_params())
    if pair is None:
        return None
    if query_first:
        cq, cd = pair.containment_a, pair.containment_b
        passages = tuple(
            SharedPassage(p.a_start, p.a_end, p.b_start, p.b_end, p.tokens, p.similarity)
            for p in pair.passages
        )
    else:
        cq, cd = pair.containment_b, pair.containment_a
        passages = tuple(
            SharedPassage(p.b_start, p.b_end, p.a_start, p.a_end, p.tokens, p.similarity)
            for p in pair.passages
        )
    exact = np.array_equal(q.tokens.hashes, d.tokens.hashes)
    return Match(d.id, _kind(exact, pair.jaccard, cq, cd), cq, cd, pair.jaccard, passages, pair)


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
