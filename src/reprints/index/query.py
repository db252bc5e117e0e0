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

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.align import (
    Admission,
    AlignParams,
    SeedIndex,
    align,
    pair_record,
    seeds_against,
    set_jaccard,
)
from reprints.arrays import Positions, distinct
from reprints.boilerplate import BoilerplateMarker, count_lines, mark_tokens
from reprints.candidates import KeyRule, admitted_anchors, stock_text
from reprints.copies import content_key
from reprints.documents import Document, Pair
from reprints.finding import FindOptions, fingerprint_documents
from reprints.fingerprint import fingerprint_batch, ngram_hashes
from reprints.index.store import Index, Snapshot, StoredDocument
from reprints.postings import member_of
from reprints.screen import may_seed_batch
from reprints.seeds import SentenceBatch, SentenceIndex, has_sentences
from reprints.text import Tokens

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

NEAR_JACCARD = 0.5  # datasketch's usual MinHashLSH threshold, for comparison
CONTAINED = 0.8
_SCREEN_FROM = 3  # candidates from which sentence seeds are screened for all at once
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
    positions: Positions
    hashes: U64
    keys: U64  # sentence keys (the query's; a stored document's are not needed)
    ngrams: U64  # n-gram hashes of its tokens in token order (its stock text's)
    grams: U64  # the distinct ones, sorted (the Jaccard's and the cap's)


def _side(
    doc_id: str, tokens: Tokens, anchors: tuple[Positions, U64], keys: U64, ngram: int
) -> _Side:
    ngrams = ngram_hashes(tokens.hashes, ngram)
    return _Side(doc_id, tokens, anchors[0], anchors[1], keys, ngrams, distinct(ngrams))


@dataclass(frozen=True, slots=True)
class _Pairing:
    """What every alignment of one query shares: the settings, the n-gram seeds of
    the query with each candidate (found for all at once), the frequent n-grams'
    counts, the texts' sentence indexes (when sentence seeds are on and the texts have
    sentences), and which candidates may have sentence seeds (:mod:`reprints.screen`)."""

    params: AlignParams
    seeds: dict[str, tuple[I64, I64]]  # each candidate's n-gram seeds: (query's, its)
    caps: _CapCounts
    sentences: dict[str, SentenceIndex]
    seeded: dict[str, bool]
    # The stock text of a side by (id, copies): the query's is the same beside every
    # candidate (its capped n-grams depend on it alone), so it is made once.
    stock: dict[tuple[str, int], npt.NDArray[np.bool_] | None]

    @classmethod
    def of(cls, snap: Snapshot, q: _Side, stored: Sequence[_Side]) -> _Pairing:
        params = snap.options.find.align_params()
        seeded = dict.fromkeys((d.id for d in stored), True)
        settings = params.sentences
        sentences: dict[str, SentenceIndex] = {}
        texts = [d for d in (q, *stored) if has_sentences(d.tokens)]
        if settings is not None and texts:
            # The texts' sentence indexes made at once (one sort for all of them), as
            # find's alignment batches make them: the same arrays as one by one.
            batch = SentenceBatch.of([d.tokens for d in texts], settings)
            sentences = {d.id: batch.index(k) for k, d in enumerate(texts)}
            # Screening costs about one alignment's fragments: worth it beside several.
            if texts[0] is q and len(texts) - 1 >= _SCREEN_FROM:
                others = np.arange(1, len(texts), dtype=np.int64)
                flags = may_seed_batch(batch, np.zeros_like(others), others, settings)
                seeded.update(zip((d.id for d in texts[1:]), flags.tolist(), strict=True))
        n = params.seed_ngram
        found = seeds_against(
            SeedIndex.of(q.tokens, n), [d.tokens for d in stored], n, params.max_repeat
        )
        seeds = {d.id: pair for d, pair in zip(stored, found, strict=True)}
        caps = _CapCounts.of(snap, q, stored)
        return cls(params, seeds, caps, sentences, seeded, {})

    def sentence_pair(self, a: _Side, b: _Side) -> tuple[SentenceIndex, SentenceIndex] | None:
        if a.id in self.sentences and b.id in self.sentences:
            return self.sentences[a.id], self.sentences[b.id]
        return None


def query(index: Index, doc: Document, top: int | None = None) -> QueryResult:
    """Match ``doc`` against one consistent version of ``index``, best match first."""
    with index.view() as (conn, snap):
        marker = _marker(snap, doc)
        q = _query_side(index, snap, doc, marker)
        candidates = _candidates(snap, q)
        maybe_copies = _maybe_copies(snap, q)
        nums = np.union1d(candidates, maybe_copies)
        documents = index.documents_of(conn, nums.tolist())
        stored = _stored_sides(snap, documents, marker)
        key = content_key(q.tokens)
        copies = [d.id for d in stored if key != (0, 0) and content_key(d.tokens) == key]
        group = _paired_copies(q.id, copies, snap.options.find)
        # Documents with the query's tokens but other marks are no copies, and only
        # candidates if an uncapped anchor made them so.
        found = set(candidates.tolist())
        open_ids = {d.id for d in documents if d.num in found}
        stored = [d for d in stored if group.get(d.id, d.id in open_ids)]
        matches = []
        if stored:
            pairing = _Pairing.of(snap, q, stored)
            matches = [
                m
                for d in stored
                if (m := _match(snap, pairing, q, d, len(copies) if d.id in group else 0))
            ]
    matches.sort(key=_rank)
    kept = matches if top is None else matches[:top]
    return QueryResult(doc.id, tuple(kept), int(candidates.shape[0]), snap.documents, snap.version)


def _marker(snap: Snapshot, doc: Document) -> BoilerplateMarker | None:
    """The marker `find` would mark with over the collection plus the query: the
    index's line counts with the query's lines counted too."""
    settings = snap.options.boilerplate
    lines = snap.lines
    if settings is not None and settings.site(doc) is not None:
        lines = lines.merge(count_lines([doc], settings))
    return snap.options.marker(lines)


def _query_side(
    index: Index, snap: Snapshot, doc: Document, marker: BoilerplateMarker | None
) -> _Side:
    """The query tokenised, marked and fingerprinted as `find` would in the collection."""
    batch = fingerprint_documents([doc], snap.options.find, index.tokenizer(), marker)
    ngram = snap.options.find.ngram
    keys = batch.sentence_keys.of(0)[1]
    return _side(doc.id, batch.tokens[0], batch.anchors.of(0), keys, ngram)


def _stored_sides(
    snap: Snapshot, docs: list[StoredDocument], marker: BoilerplateMarker | None
) -> list[_Side]:
    """Stored documents' tokens and their anchors, recomputed by the same stage
    function that built their postings, for all of them at once.

    A document was marked with the line counts of when it was added; the site rule's
    marks move as its site grows (a line reaches ``min_docs`` pages, or a long line
    falls under half of them). `find` marks with the counts of the whole collection,
    so a document of a site the marker counts is marked again, here, with the query's
    marker; the line rules depend on the document alone, so other documents' stored
    marks stand.
    """
    tokens = []
    for stored in docs:
        t = snap.tokens(stored.num)
        doc = Document(stored.id, stored.text, stored.meta)
        if marker is not None and marker.settings.site(doc) in marker.site_pages:
            unmarked = replace(t, boilerplate=None)
            t = mark_tokens(unmarked, marker.spans(doc))
        tokens.append(t)
    anchors = fingerprint_batch(tokens, snap.options.find.ngram, snap.options.find.window())
    none = np.zeros(0, np.uint64)
    ngram = snap.options.find.ngram
    return [
        _side(d.id, t, anchors.of(k), none, ngram)
        for k, (d, t) in enumerate(zip(docs, tokens, strict=True))
    ]


def _candidates(snap: Snapshot, q: _Side) -> I64:
    """Stored documents sharing an anchor with the query that the df cap leaves open,
    and (with sentence seeds) those sharing enough sentence keys under the keys' cap:
    the pairs find's :class:`AnchorIndex` makes."""
    hashes = distinct(q.hashes)
    found = snap.holders(hashes[~snap.capped(hashes, q.hashes)])
    if not snap.options.find.sentences:
        return found
    rule = KeyRule()
    # The query holds each of its keys too: one more document for each.
    keyed = snap.rare_holders(q.keys, rule.max_df, rule.min_shared, keys=True, extra=1)
    return np.union1d(found, keyed).astype(np.int64)


def _maybe_copies(snap: Snapshot, q: _Side) -> I64:
    """Stored documents with the query's token hashes: the holders of its rarest anchor
    (every copy holds it) whose tokens are the query's. Whether they are copies to find
    depends on their boilerplate marks too, which the caller compares once re-marked."""
    if q.hashes.shape[0] == 0 or content_key(q.tokens) == (0, 0):
        return np.zeros(0, np.int64)
    hashes = distinct(q.hashes)
    rarest = hashes[int(np.argmin(snap.document_frequency(hashes)))]
    holders = snap.holders(np.array([rarest], dtype=np.uint64)).tolist()
    same = [n for n in holders if np.array_equal(snap.tokens(n).hashes, q.tokens.hashes)]
    return np.array(same, dtype=np.int64)


def _paired_copies(query_id: str, copy_ids: list[str], opts: FindOptions) -> dict[str, bool]:
    """Which of the query's exact copies find pairs with it: all of them while the
    group holds at most ``max_df`` documents, else only the group's first (by id),
    or all of them when the query is that first."""
    group = sorted([query_id, *copy_ids])
    if len(group) <= opts.max_df:
        return dict.fromkeys(copy_ids, True)
    return {c: query_id == group[0] or c == group[0] for c in copy_ids}


@dataclass(frozen=True, slots=True)
class _CapCounts:
    """find's document frequency of the frequent n-grams of a query's texts (the query
    and its candidates), counting the index's live documents and the query: looked up
    once for all the texts, then each alignment's capped n-grams are a set lookup."""

    max_df: int
    frequent: U64  # the texts' n-grams among the index's frequent ones, sorted
    df: I64  # their document frequencies, the query counted
    capped: U64  # those over max_df (sorted): what the cap drops of any of the texts

    @classmethod
    def of(cls, snap: Snapshot, q: _Side, stored: Sequence[_Side]) -> _CapCounts:
        grams = distinct(np.concatenate([q.grams, *(d.grams for d in stored)]))
        maybe, df = snap.frequent_counts(grams, q.hashes)
        max_df = snap.options.find.max_df
        frequent = grams[maybe]
        return cls(max_df, frequent, df, frequent[df > max_df])

    def capped_among(self, grams: U64, copies: int = 0) -> U64:
        """The n-gram hashes ``grams`` (distinct, sorted) of one of the texts that
        find's df cap would drop; ``copies`` more documents are allowed (a group of
        exact copies aligned with each other)."""
        over = self.capped if copies == 0 else self.frequent[self.df - copies > self.max_df]
        return grams[np.isin(grams, over)]


def _admission(snap: Snapshot, pairing: _Pairing, a: _Side, b: _Side, copies: int = 0) -> Admission:
    """find's admission of ``a`` aligned with ``b`` (:meth:`AnchorIndex.admission` of
    an index of the two documents whose cap is the one of the whole collection plus the
    query; with ``copies``: beside the other copies of a group of identical documents)."""
    opts = snap.options.find
    capped = pairing.caps.capped_among(a.grams, copies)
    shared = member_of(a.hashes, np.sort(b.hashes))
    anchors = admitted_anchors(a.positions, a.hashes, shared, capped, len(a.tokens), opts.ngram)
    key = (a.id, copies)
    if key not in pairing.stock:
        pairing.stock[key] = stock_text(a.ngrams, capped, len(a.tokens), opts.ngram, opts.window())
    return Admission(anchors, pairing.stock[key])


def _match(snap: Snapshot, pairing: _Pairing, q: _Side, d: _Side, copies: int) -> Match | None:
    """find's pair of the query and one stored document (``align.pair_of``, with the
    pair's seeds found with the other candidates' and the n-gram sets made once);
    ``copies``: when ``d`` is an exact copy of the query, how many stored documents
    are (0 otherwise)."""
    query_first = q.id < d.id  # find numbers documents by sorted id: a is the smaller
    a, b = (q, d) if query_first else (d, q)
    admission = _admission(snap, pairing, a, b, copies)
    params, seeded = pairing.params, pairing.seeded[d.id]
    # A pair without sentence seeds and without an admitted anchor has no passage.
    if not seeded and not admission.anchors.any():
        return None
    i, j = pairing.seeds[d.id]
    sentences = pairing.sentence_pair(a, b)
    alignment = align(
        a.tokens,
        b.tokens,
        admission,
        params,
        sentence_indexes=sentences,
        unseeded=not seeded,
        pair_seeds=(i, j) if query_first else (j, i),
    )
    if not alignment.passages:
        return None
    jaccard = set_jaccard(a.grams, b.grams)
    pair = pair_record(a.id, b.id, a.tokens, b.tokens, alignment, jaccard)
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
