"""Which pairs of texts can have sentence seeds, decided for many pairs at once.

Aligning a pair runs sentence fragments (:func:`reprints.seeds.fragments`) beside the
n-gram chains. A fragment is built from *seed* sentence pairs, whose Dice coefficient
and tf-isf cosine both pass their thresholds (:func:`reprints.seeds.seed_pairs`):
without a seed there is no fragment. Most candidate pairs of a collection share a
stock phrase or a sentence key by chance and nothing else; for them the fragments'
bags of words, weights and joins are most of the alignment, to find nothing.

:func:`may_seed` computes the same Dice coefficients and cosines as ``seed_pairs``
(with its :func:`~reprints.seeds.isf`, :func:`~reprints.seeds.meetings` and
:func:`~reprints.seeds.passing`) for many pairs in one set of numpy passes: every
pair's (sentence, word) entries, keyed by pair and word, joined once. It says which
pairs have a sentence pair passing both thresholds, with a margin of :data:`SLACK`
that covers the float rounding of summing in another order. A pair it clears has no
seed, hence no fragment, as long as the fragments are computed on all of both texts'
content words: that is, when the pair has no near-verbatim chain passage (those
passages are left out of the bags, see :func:`reprints.align.align`'s ``unseeded``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reprints.arrays import distinct
from reprints.seeds import (
    SentenceBatch,
    SentenceIndex,
    SentenceParams,
    chunk_edges,
    isf,
    meetings,
    passing,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

SLACK = 1e-9  # far above the rounding of a few hundred float additions, far below 1/600

# Entries (both sides of every pair) screened in one set of passes: bounds the memory
# of a batch of long documents.
_ENTRIES = 1 << 20


@dataclass(frozen=True, slots=True)
class _Side:
    """One side of every pair of a group, entries in pair order: each entry's pair,
    sentence (numbered across the group), word (of the group's vocabulary), count."""

    pair: I64
    rows: I64
    words: I64
    counts: F64
    starts: I64  # pair p's sentences are [starts[p], starts[p + 1])

    @classmethod
    def of(cls, indexes: Sequence[SentenceIndex], mapping: dict[int, I64]) -> _Side:
        sentences = np.fromiter((x.bounds.shape[0] - 1 for x in indexes), np.int64, len(indexes))
        entries = np.fromiter((x.rows.shape[0] for x in indexes), np.int64, len(indexes))
        starts = np.concatenate(([0], np.cumsum(sentences))).astype(np.int64)
        pair = np.repeat(np.arange(len(indexes), dtype=np.int64), entries)
        rows = np.concatenate([x.rows for x in indexes]) + starts[pair]
        words = np.concatenate([mapping[id(x)][x.words] for x in indexes])
        counts = np.concatenate([x.counts for x in indexes])
        return cls(pair, rows.astype(np.int64), words.astype(np.int64), counts, starts)

    @classmethod
    def of_batch(cls, batch: SentenceBatch, texts: I64) -> _Side:
        """The side of texts ``texts`` of a batch (its vocabulary: the batch's ranks),
        gathered with array indexing, no loop over the pairs."""
        first, entries = batch.entry_offsets[texts], batch.entries()[texts]
        sentences = batch.sentences()[texts]
        starts = np.concatenate(([0], np.cumsum(sentences))).astype(np.int64)
        pair = np.repeat(np.arange(texts.shape[0], dtype=np.int64), entries)
        at = np.repeat(first - _run_starts(entries), entries) + np.arange(int(entries.sum()))
        rows = batch.rows[at] - batch.sentence_offsets[texts][pair] + starts[pair]
        return cls(pair, rows, batch.ranks[at], batch.counts[at], starts)

    def codes(self, size: int) -> I64:
        """Each entry's (pair, word) as one number."""
        return self.pair * size + self.words


def _run_starts(counts: I64) -> I64:
    """Where each of some consecutive runs of ``counts`` elements starts."""
    return np.cumsum(counts) - counts


def may_seed(pairs: Sequence[tuple[SentenceIndex, SentenceIndex]], params: SentenceParams) -> Mask:
    """For each pair of texts (their :class:`SentenceIndex` of ``params``): whether it
    may have a seed sentence pair (False: it has none, with no token left out of the
    bags)."""
    out = np.zeros(len(pairs), dtype=bool)
    if not pairs:
        return out
    sizes = [int(a.rows.shape[0] + b.rows.shape[0]) for a, b in pairs]
    for start, stop in _groups(sizes):
        group = pairs[start:stop]
        texts = {id(x): x for pair in group for x in pair}
        vocab = distinct(np.concatenate([x.vocab for x in texts.values()]))
        mapping = {
            key: np.searchsorted(vocab, x.vocab).astype(np.int64) for key, x in texts.items()
        }
        a = _Side.of([p[0] for p in group], mapping)
        b = _Side.of([p[1] for p in group], mapping)
        out[start:stop] = _may_seed(a, b, int(vocab.shape[0]), params)
    return out


def may_seed_batch(batch: SentenceBatch, a: I64, b: I64, params: SentenceParams) -> Mask:
    """:func:`may_seed` of the pairs (texts ``a[p]``, ``b[p]``) of a
    :class:`~reprints.seeds.SentenceBatch`: the same flags, the pairs' entries taken
    from the batch's arrays."""
    out = np.zeros(a.shape[0], dtype=bool)
    entries = batch.entries()
    size = int(batch.ranks.max(initial=-1)) + 1
    for start, stop in _groups((entries[a] + entries[b]).tolist()):
        side_a = _Side.of_batch(batch, a[start:stop])
        side_b = _Side.of_batch(batch, b[start:stop])
        out[start:stop] = _may_seed(side_a, side_b, size, params)
    return out


def _groups(sizes: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of pairs of about :data:`_ENTRIES` entries each (at least one)."""
    edges, held = [0], 0
    for k, size in enumerate(sizes):
        if held and held + size > _ENTRIES:
            edges.append(k)
            held = 0
        held += size
    return list(itertools.pairwise([*edges, len(sizes)]))


def _may_seed(a: _Side, b: _Side, vocabulary: int, params: SentenceParams) -> Mask:
    """Whether each pair of the sides (words of a ``vocabulary``) may have a seed."""
    out = np.zeros(a.starts.shape[0] - 1, dtype=bool)
    size = max(vocabulary, 1)
    a_codes, b_codes = a.codes(size), b.codes(size)
    # Both sides' entries sorted by (pair, word), A's before B's within each: one sort
    # gives each (pair, word) its sentence frequency (both texts' sentences) and each
    # entry of A the run of B's entries it meets, where binary searches of every
    # entry in the sorted codes cost several times the sort.
    held = a_codes.shape[0]
    keys = np.concatenate((a_codes, b_codes))
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    fresh = np.ones(ordered.shape[0], dtype=bool)
    fresh[1:] = ordered[1:] != ordered[:-1]
    del keys, ordered
    firsts = np.flatnonzero(fresh)
    df = np.diff(np.append(firsts, order.shape[0])).astype(np.int64)
    group = np.empty(order.shape[0], dtype=np.int64)
    group[order] = np.cumsum(fresh) - 1
    from_b = np.bincount(group[held:], minlength=firsts.shape[0])
    total = np.diff(a.starts) + np.diff(b.starts)
    group_a, group_b = group[:held], group[held:]
    wa = a.counts * isf(total[a.pair].astype(np.float64), df[group_a])
    wb = b.counts * isf(total[b.pair].astype(np.float64), df[group_b])
    norm_a = np.maximum(np.sqrt(np.bincount(a.rows, wa * wa, minlength=int(a.starts[-1]))), 1e-12)
    norm_b = np.maximum(np.sqrt(np.bincount(b.rows, wb * wb, minlength=int(b.starts[-1]))), 1e-12)
    size_a = np.bincount(a.rows, minlength=int(a.starts[-1])).astype(np.float64)
    size_b = np.bincount(b.rows, minlength=int(b.starts[-1])).astype(np.float64)
    # Every entry of A meets the entries of B with its pair and word: in the sorted
    # order, the last ``from_b`` of its group (B's entries in their own order).
    meets = from_b[group_a]
    lo = firsts[group_a] + df[group_a] - meets
    by_code = order - held
    columns = int(b.starts[-1])
    for first, last in itertools.pairwise(chunk_edges(a.rows, meets)):
        entry, place = meetings(lo[first:last], meets[first:last])
        if entry.shape[0] == 0:
            continue
        entry, other = entry + first, by_code[place]
        codes, inverse, shared = np.unique(
            a.rows[entry] * columns + b.rows[other], return_inverse=True, return_counts=True
        )
        dot = np.bincount(inverse.reshape(-1), wa[entry] * wb[other], minlength=codes.shape[0])
        i, j = codes // columns, codes % columns
        ok = passing(shared, size_a[i] + size_b[j], dot, norm_a[i] * norm_b[j], params, slack=SLACK)
        out[np.searchsorted(a.starts, i[ok], side="right") - 1] = True
    return out
