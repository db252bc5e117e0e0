"""Candidate pairs from an inverted index of anchors, held as arrays, not dicts.

All anchors of the collection are concatenated as (hash, document) rows and sorted by
hash, so that each run of equal hashes is one posting list. A posting list that
spans more than ``max_df`` documents is a stock phrase or boilerplate: it is capped
(dropped and counted), which bounds the pairs any one anchor can make to
``max_df²/2`` and keeps the cost near-linear in the collection size. Every remaining
posting list pairs the distinct documents it holds; a document that holds the same
anchor twice is a candidate for internal repeats.

:class:`AnchorIndex` holds the anchors and the pairing, and says what of a document each
alignment may rely on (:meth:`AnchorIndex.admission`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from reprints.align import Admission
from reprints.arrays import DocNumbers, Positions, distinct, run_starts, sum_by_key
from reprints.copies import ExactCopies
from reprints.fingerprint import Anchors, ngram_hashes
from reprints.graph import clique_edges
from reprints.options import OptionsError
from reprints.postings import (
    join_capped,
    lone_anchors,
    member_of,
    shared_in_sorted,
    sorted_rows,
)
from reprints.text import Tokens

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class Candidates:
    """The result of pairing: candidate pairs, self-repeat candidates, capped anchors."""

    pairs: I64  # shape (m, 2), a < b, document indices, sorted
    shared_anchors: I64  # shape (m,), distinct anchors each pair shares
    self_docs: I64  # documents holding some anchor at least twice, sorted
    capped: U64  # sorted anchor hashes found in more than max_df documents
    anchors: int  # anchor occurrences indexed
    postings: int  # distinct anchor hashes
    # How many documents hold each capped hash (None: not known; then no group of
    # exact copies is told apart from other documents when it is aligned).
    capped_df: I64 | None = None


# Pairs expanded at once: the expansion takes ~6 int64 arrays of this length, so
# memory stays bounded by the distinct pairs, not by every anchor's pairs at once.
_PAIRS_PER_CHUNK = 4_000_000


def _count_pairs(docs: I64, starts: I64, ends: I64, num_docs: int) -> tuple[I64, I32]:
    """Distinct pairs over all groups, as codes ``a * num_docs + b`` (sorted), and how
    many groups (distinct anchors) each pair shares; expanded chunk by chunk."""
    sizes = ends - starts
    pairs_per_group = sizes * (sizes - 1) // 2
    cut = np.searchsorted(
        np.cumsum(pairs_per_group),
        np.arange(1, 1 + int(pairs_per_group.sum()) // _PAIRS_PER_CHUNK) * _PAIRS_PER_CHUNK,
    )
    bounds = [0, *distinct(cut).tolist(), starts.shape[0]]
    all_codes, all_counts = [], []
    for lo, hi in itertools.pairwise(bounds):
        if hi <= lo:
            continue
        base = int(starts[lo])
        left, right = clique_edges(
            docs[base : int(ends[hi - 1])], starts[lo:hi] - base, ends[lo:hi] - base
        )
        codes, counts = np.unique(left * num_docs + right, return_counts=True)
        all_codes.append(codes)
        all_counts.append(counts.astype(np.int32))
    return _summed(all_codes, all_counts)


def _summed(codes: list[I64], counts: list[I32]) -> tuple[I64, I32]:
    """The distinct codes of some parts (each part's codes distinct and sorted), sorted,
    with their counts added up over the parts.

    The pairs that share one anchor or key by chance are most of the codes (millions at
    a million documents), and this merge is then the index's peak: hence
    :func:`~reprints.arrays.sum_by_key` and 32-bit counts."""
    if not codes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    if len(codes) == 1:
        return codes[0], counts[0]
    return sum_by_key(np.concatenate(codes), np.concatenate(counts))


class TooManyPairs(OptionsError):
    """The document-frequency cap lets more candidate pairs through than a run can hold."""


def too_many_pairs(total: int, largest: int, max_df: int, max_pairs: int) -> TooManyPairs:
    """The refusal of a cap whose uncapped posting lists pair documents ``total``
    times, more than ``max_pairs``; ``largest``: the (weighted) document frequency of
    the longest of them. For runners that count the pairs their own way (Spark)."""
    return TooManyPairs(
        f"--max-df {max_df} lets anchors held by up to {largest} documents "
        f"pair them all: the anchor index would pair documents {total:,} times, more than "
        f"--max-pairs {max_pairs:,}; "
        "lower --max-df (text held by that many documents is stock text, which the "
        "default of 100 leaves out) or raise --max-pairs"
    )


def find_candidates(
    hashes: U64,
    docs: I64,
    max_df: int,
    min_shared: int = 1,
    weights: I64 | None = None,
    max_pairs: int | None = None,
) -> Candidates:
    """Candidate pairs of documents from their anchors.

    ``hashes[k]`` is an anchor of document ``docs[k]``. Pairs sharing at least
    ``min_shared`` distinct uncapped anchors are returned. With ``weights``, document
    d counts as ``weights[d]`` documents against ``max_df`` (a representative of that
    many identical copies: :mod:`reprints.copies`). With ``max_pairs``, raise
    :class:`TooManyPairs` before pairing when the posting lists would make more pairs.
    """
    num_docs = int(docs.max()) + 1 if docs.shape[0] else 1
    return pair_partitions([(hashes, docs)], num_docs, max_df, min_shared, weights, max_pairs)


def pair_partitions(
    parts: Iterable[tuple[U64, DocNumbers]],
    num_docs: int,
    max_df: int,
    min_shared: int = 1,
    weights: I64 | None = None,
    max_pairs: int | None = None,
) -> Candidates:
    """:func:`find_candidates` of all the rows of ``parts`` (documents below
    ``num_docs``), paired one part at a time: no hash may have rows in two parts
    (:class:`reprints.spill.PostingSpill`), so that each posting list is capped and
    paired whole. A pair's shared anchors add up over the parts, and ``min_shared``
    applies to the sum. ``max_pairs`` counts the pairs of the parts paired so far: over
    it, the refusal comes before the part that crossed it is paired."""
    found = _Findings(num_docs)
    for hashes, docs in parts:
        grouped = _group(hashes, docs, max_df, weights)
        if max_pairs is not None:
            found.check(grouped, max_df, max_pairs)
        found.add(grouped)
    return found.result(min_shared)


@dataclass(slots=True)
class _Grouped:
    """One part's rows grouped into posting lists, before pairing."""

    anchors: int  # rows of the part
    postings: int  # distinct hashes, lone ones included
    self_docs: I64
    capped: U64  # sorted
    capped_df: I64
    kept_docs: I64  # the documents of the posting lists that pair, list after list
    kept_sizes: I64  # their lengths
    kept_df: I64  # their weighted document frequencies


def _group(hashes: U64, docs: DocNumbers, max_df: int, weights: I64 | None) -> _Grouped:
    """The posting lists of some rows: capped, repeat candidates, the ones that pair.

    Written for memory, since pairing one partition is the peak of building the index
    (:data:`reprints.spill.BYTES_PER_ROW`): after the sort, each step makes one array
    over the rows at most and lets go of what it no longer needs; the rows repeated
    inside a document (rare) are the only ones looked at twice."""
    total = hashes.shape[0]
    h, d = sorted_rows(hashes, docs)
    # Anchors that occur once pair nothing: set aside before grouping (memory).
    shared = shared_in_sorted(h)
    lone = lone_anchors(h, d, shared, max_df, weights)
    if lone.count:
        h, d = h[shared], d[shared]
    del shared

    # A row equal to the one before it: a document holding that anchor again.
    again = np.zeros(h.shape[0], dtype=bool)
    if h.shape[0]:
        again[1:] = (h[1:] == h[:-1]) & (d[1:] == d[:-1])
    repeat_hashes, repeat_docs = h[again], d[again]
    if repeat_hashes.shape[0]:
        h, d = h[~again], d[~again]  # distinct (hash, document) rows
    del again

    group_starts = run_starts(h)
    df = np.diff(np.append(group_starts, h.shape[0]))
    weighted_df = (
        df if weights is None or not h.shape[0] else np.add.reduceat(weights[d], group_starts)
    )
    capped_group = weighted_df > max_df
    capped = h[group_starts[capped_group]]  # sorted: the rows are sorted by hash
    del group_starts, h
    # Internal repeats: a document holding an uncapped anchor at least twice.
    self_docs = distinct(repeat_docs[~member_of(repeat_hashes, capped)]).astype(np.int64)

    keep = ~capped_group & (df > 1)
    kept_docs = d[np.repeat(keep, df)].astype(np.int64)
    del d
    capped, capped_df = join_capped(
        (capped, lone.capped), (weighted_df[capped_group].astype(np.int64), lone.capped_df)
    )
    return _Grouped(
        anchors=int(total),
        postings=int(df.shape[0]) + lone.count,
        self_docs=self_docs,
        capped=capped,
        capped_df=capped_df,
        kept_docs=kept_docs,
        kept_sizes=df[keep],
        kept_df=weighted_df[keep],
    )


def _join_distinct(parts: list[I64]) -> I64:
    """The distinct values of some sorted, distinct arrays, sorted."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return distinct(np.concatenate(parts)).astype(np.int64)


class _Findings:
    """What the parts paired so far found, merged as they come."""

    def __init__(self, num_docs: int) -> None:
        self.num_docs = num_docs
        self.anchors = self.postings = 0
        self.pair_total = self.largest = 0
        self.self_docs: list[I64] = []
        self.capped: list[U64] = []
        self.capped_df: list[I64] = []
        # Pair codes and shared-anchor counts: merged, and parts not merged yet.
        self.codes = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int32)
        self.pending: list[tuple[I64, I32]] = []

    def check(self, grouped: _Grouped, max_df: int, max_pairs: int) -> None:
        """Refuse (:class:`TooManyPairs`) once the parts would make over ``max_pairs``."""
        sizes = grouped.kept_sizes
        self.pair_total += int((sizes * (sizes - 1) // 2).sum())
        self.largest = max(self.largest, int(grouped.kept_df.max(initial=0)))
        if self.pair_total > max_pairs:
            raise too_many_pairs(self.pair_total, self.largest, max_df, max_pairs)

    def add(self, grouped: _Grouped) -> None:
        self.anchors += grouped.anchors
        self.postings += grouped.postings
        self.self_docs.append(grouped.self_docs)
        self.capped.append(grouped.capped)
        self.capped_df.append(grouped.capped_df)
        ends = np.cumsum(grouped.kept_sizes)
        starts = ends - grouped.kept_sizes
        codes, counts = _count_pairs(grouped.kept_docs, starts, ends, self.num_docs)
        self.pending.append((codes, counts))
        # Merged when the pending parts outgrow the merged pairs: each pair is merged
        # a logarithmic number of times, and parts' duplicates do not pile up.
        if sum(c.shape[0] for c, _ in self.pending) > self.codes.shape[0]:
            self._merge()

    def _merge(self) -> None:
        if not self.pending:
            return
        parts = (
            self.pending if not self.codes.shape[0] else [(self.codes, self.counts), *self.pending]
        )
        self.codes, self.counts = _summed([c for c, _ in parts], [n for _, n in parts])
        self.pending = []

    def result(self, min_shared: int) -> Candidates:
        self._merge()
        enough = self.counts >= min_shared
        codes, counts = self.codes[enough], self.counts[enough]
        pairs = np.stack((codes // self.num_docs, codes % self.num_docs), axis=1)
        capped, capped_df = join_capped(self.capped, self.capped_df)
        return Candidates(
            pairs=pairs.astype(np.int64).reshape(-1, 2),
            shared_anchors=counts.astype(np.int64),
            self_docs=_join_distinct(self.self_docs),
            capped=capped,
            anchors=self.anchors,
            postings=self.postings,
            capped_df=capped_df,
        )


def add_pairs(candidates: Candidates, extra: I64) -> Candidates:
    """``candidates`` with the pairs ``extra`` (shape (m, 2), a < b) added, each once;
    the added ones share no anchor."""
    if extra.shape[0] == 0:
        return candidates
    size = int(max(candidates.pairs.max(initial=0), extra.max())) + 1
    codes = candidates.pairs[:, 0] * size + candidates.pairs[:, 1]  # sorted, distinct
    joined = distinct(np.concatenate((codes, extra[:, 0] * size + extra[:, 1])))
    pairs = np.stack((joined // size, joined % size), axis=1).astype(np.int64)
    shared = np.zeros(pairs.shape[0], dtype=np.int64)
    shared[np.searchsorted(joined, codes)] = candidates.shared_anchors
    return replace(candidates, pairs=pairs.reshape(-1, 2), shared_anchors=shared)


@dataclass(frozen=True, slots=True)
class KeyRule:
    """How sentence keys pair documents: a key held by more than ``max_df`` documents
    is common wording, and a pair needs ``min_shared`` distinct shared keys. Six keys
    a sentence (:attr:`~reprints.seeds.SentenceParams.key_words`) make more common
    ones than three did, so the cap is lower than the anchors'."""

    max_df: int = 8
    min_shared: int = 2


class AnchorLookup(Protocol):
    """Each document's anchors: :class:`~reprints.fingerprint.Anchors` in memory, or
    :class:`~reprints.store.AnchorReader` on disk."""

    def __len__(self) -> int: ...

    def of(self, doc: int, /) -> tuple[Positions, U64]: ...


class Rows(Protocol):
    """(hash, document) rows in partitions that never split a posting list:
    :meth:`Anchors.partitions` (one), :class:`~reprints.spill.PostingSpill` (many)."""

    def partitions(self) -> Iterator[tuple[U64, DocNumbers]]: ...


@dataclass(frozen=True, slots=True)
class AnchorIndex:
    """The inverted index of a collection's anchors, with its document-frequency cap:
    which documents to align (:meth:`candidates`) and what each alignment may rely on
    (:meth:`admission`). Built once from the anchors of every document; read-only after,
    so one copy serves any number of alignments in any process."""

    anchors: AnchorLookup
    ngram: int  # the anchors' n-gram
    window: int  # the winnowing window they were chosen with
    max_df: int
    found: Candidates
    copies: ExactCopies | None = None  # groups of identical documents, if known

    @classmethod
    def build(
        cls,
        anchors: AnchorLookup,
        ngram: int,
        window: int,
        max_df: int,
        copies: ExactCopies | None = None,
        max_pairs: int | None = None,
        keys: Rows | None = None,
        rule: KeyRule | None = None,
        rows: Rows | None = None,
    ) -> AnchorIndex:
        """The index of every document's anchors; with ``copies``, only each group's
        representative is indexed, standing for all its documents (``found`` pairs
        and repeat candidates are then representatives: :func:`tasks` expands them).
        With ``keys`` (sentence keys of the same documents), the pairs they make by
        ``rule`` are candidates too. ``rows``: the anchors' (hash, document) rows, when
        they are kept apart (spilled: :class:`~reprints.spill.PostingSpill`); else
        ``anchors`` must be :class:`Anchors`, one partition."""
        standing = None if copies is None else copies.representatives()
        if standing is not None and standing.all():
            standing = None  # no copies (the usual case): every row is indexed as it is
        weights = None if copies is None else copies.sizes()

        def indexed(source: Rows) -> Iterator[tuple[U64, DocNumbers]]:
            """Each partition's (hash, owner) rows of the documents that are indexed; a
            partition that is filtered lets go of its unfiltered rows before it is
            paired (memory)."""
            for part in source.partitions():
                if standing is not None:
                    kept = standing[part[1]]
                    part = (part[0][kept], part[1][kept])
                    del kept
                yield part

        if rows is None:
            assert isinstance(anchors, Anchors), "rows are needed beside an AnchorLookup"
            rows = anchors
        size = max(len(anchors), 1)
        found = pair_partitions(indexed(rows), size, max_df, weights=weights, max_pairs=max_pairs)
        if keys is not None:
            rule = rule or KeyRule()
            extra = pair_partitions(indexed(keys), size, rule.max_df, rule.min_shared, weights)
            found = add_pairs(found, extra.pairs)
        return cls(anchors, ngram, window, max_df, found, copies)

    def candidates(self) -> Candidates:
        return self.found

    def admission(
        self,
        doc: int,
        other: int | None,
        tokens: Tokens,
        stock_memo: dict[tuple[int, bool], npt.NDArray[np.bool_] | None] | None = None,
    ) -> Admission:
        """What the index allows of ``doc`` (its ``tokens``) when aligned with ``other``
        (``None``: with itself, for repeats): its anchors shared with the other and not
        capped, and its stock text.

        Stock text is every window around an n-gram whose hash was capped. Winnowing
        picks anchors by context, so at the edges of a common phrase an n-gram of it
        can be an anchor in only a few documents and escape the cap; every such n-gram
        lies within one window of a capped one, which is why the whole neighbourhood
        is stock. A document's stock text depends on it alone, so ``stock_memo`` (a
        dict the caller keeps across alignments) computes it once per document.
        """
        capped = self.found.capped
        within = other is not None and self._same_group(doc, other)
        if within:
            capped = self._capped_beside_group(doc)
        pos, own = self.anchors.of(doc)
        if other is None:
            values, counts = np.unique(own, return_counts=True)
            shared = np.isin(own, values[counts > 1])
        else:
            # A binary search in the other's few sorted anchors: np.isin's set-up
            # cost more than the search, once per candidate pair.
            shared = member_of(own, np.sort(self.anchors.of(other)[1]))
        anchors = admitted_anchors(pos, own, shared, capped, len(tokens), self.ngram)
        if stock_memo is None:
            return Admission(anchors, self._stock(tokens, capped))
        key = (doc, within)
        if key not in stock_memo:
            stock_memo[key] = self._stock(tokens, capped)
        return Admission(anchors, stock_memo[key])

    def _stock(self, tokens: Tokens, capped: U64) -> npt.NDArray[np.bool_] | None:
        """:func:`stock_text` of ``tokens``; no n-gram hashed when nothing is capped."""
        if not capped.shape[0]:
            return None
        grams = ngram_hashes(tokens.hashes, self.ngram)
        return stock_text(grams, capped, len(tokens), self.ngram, self.window)

    def _same_group(self, doc: int, other: int) -> bool:
        return self.copies is not None and self.copies.first[doc] == self.copies.first[other]

    def _capped_beside_group(self, doc: int) -> U64:
        """The hashes capped by documents outside ``doc``'s group of identical copies:
        two copies are not stock text to each other because there are many of them."""
        if self.copies is None:
            return self.found.capped
        return capped_beside_group(self.found, self.copies.size(doc), self.max_df)


def admitted_anchors(
    positions: Positions, own: U64, shared: npt.NDArray[np.bool_], capped: U64, length: int, n: int
) -> npt.NDArray[np.bool_]:
    """A document's admitted anchors as a mask over its ``length - n + 1`` n-grams: the
    anchors (at ``positions``, hashes ``own``) marked ``shared`` with the other document
    of an alignment, less those whose hash is in ``capped``."""
    anchors = np.zeros(max(length - n + 1, 0), dtype=bool)
    if shared.any():  # none for most pairs that only sentence keys made
        anchors[positions[shared][~np.isin(own[shared], capped)]] = True
    return anchors


def stock_text(
    grams: U64, capped: U64, length: int, n: int, window: int
) -> npt.NDArray[np.bool_] | None:
    """The tokens of a document of ``length`` tokens (its n-gram hashes ``grams``, in
    token order) within one winnowing ``window`` of an n-gram in ``capped``; None when
    there are none. See :meth:`AnchorIndex.admission` for why the whole neighbourhood."""
    if not capped.shape[0]:
        return None
    common = np.flatnonzero(np.isin(grams, capped))
    if not common.shape[0]:
        return None
    marks = np.zeros(length + 1, dtype=np.int32)
    np.add.at(marks, np.maximum(common - window + 1, 0), 1)
    np.add.at(marks, np.minimum(common + window + n - 1, length), -1)
    return np.cumsum(marks[:length]) > 0


def capped_beside_group(found: Candidates, group_size: int, max_df: int) -> U64:
    """The hashes of ``found`` capped by documents outside a group of ``group_size``
    identical copies (what :meth:`AnchorIndex.admission` caps when it aligns two of
    them): their weighted df, less the group's other copies, still over ``max_df``."""
    if found.capped_df is None:
        return found.capped
    return found.capped[found.capped_df - (group_size - 1) > max_df]
