"""Posting lists in hash order, and the ones of one anchor occurrence set aside.

Most anchors of a collection occur once: an n-gram no other document (and no other
place of the same document) holds. Such a posting list pairs nothing and flags no
repeat; all the index needs of it is that it exists (``postings`` counts it) and, when
its one document stands for more than ``max_df`` exact copies, that it is capped.
:func:`sorted_rows` puts the rows in (hash, document) order with stable sorts of the
hashes alone (the rows come in document order), and the sorted hashes tell the lone
anchors from the shared ones (:func:`shared_in_sorted`); :func:`lone_anchors` keeps what the index
needs of the lone ones, so that :func:`reprints.candidates.find_candidates` groups only
the anchors that can pair documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reprints.arrays import DocNumbers

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
Bools = npt.NDArray[np.bool_]

# Values looked up at once: bounds the search's temporary arrays (~20 bytes each).
_CHUNK = 1 << 22


def sorted_rows(hashes: U64, docs: DocNumbers) -> tuple[U64, DocNumbers]:
    """The (hash, document) rows sorted by hash, then document. Rows in document order
    (as fingerprinting and the spill partitions give them) need only stable sorts of
    the hashes (:func:`_stable_by_hash`), where a lexsort makes two and where finding
    the lone anchors first took a third; other rows get the lexsort."""
    in_order = docs.shape[0] < 2 or bool((docs[1:] >= docs[:-1]).all())
    if not in_order:
        order = np.lexsort((docs, hashes))
        return hashes[order], docs[order]
    return _stable_by_hash(hashes, docs)


# Rows per bucket of the first pass of _stable_by_hash: a bucket's sort and gathers
# stay in the processor's cache.
_BUCKET_ROWS = 2048
_MAX_BUCKET_BITS = 16


def _stable_by_hash(hashes: U64, docs: DocNumbers) -> tuple[U64, DocNumbers]:
    """Rows stably sorted by hash, in two passes: by the hash's top bits (a radix
    sort: numpy's stable sort of 16-bit integers), then each bucket by argsort. One
    argsort of tens of millions of hashes, and the two gathers by its order, miss the
    cache at almost every row; by buckets of a few thousand rows they do not (half the
    time, measured on 12.6 million sentence keys). The hashes are mixed, so the top
    bits spread the rows evenly."""
    n = hashes.shape[0]
    bits = min(_MAX_BUCKET_BITS, max(0, (n // _BUCKET_ROWS).bit_length() - 1))
    if bits == 0:
        order = np.argsort(hashes, kind="stable")
        return hashes[order], docs[order]
    top = (hashes >> np.uint64(64 - bits)).astype(np.uint16)
    order = np.argsort(top, kind="stable")
    h, d = hashes[order], docs[order]
    del order
    ends = np.cumsum(np.bincount(top, minlength=1 << bits)).tolist()
    del top
    start = 0
    for end in ends:
        if end - start > 1:
            within = np.argsort(h[start:end], kind="stable")
            h[start:end] = h[start:end][within]
            d[start:end] = d[start:end][within]
        start = end
    return h, d


def shared_in_sorted(sorted_hashes: U64) -> Bools:
    """Whether each of some sorted hashes occurs more than once: equal neighbours."""
    n = sorted_hashes.shape[0]
    flags = np.zeros(n, dtype=bool)
    if n < 2:
        return flags
    same = sorted_hashes[1:] == sorted_hashes[:-1]
    flags[1:] = same
    flags[:-1] |= same
    return flags


def member_of(values: U64, sorted_set: U64) -> Bools:
    """Whether each value is in ``sorted_set`` (sorted, distinct): ``np.isin`` by binary
    search, chunk by chunk, with temporary arrays bounded by the chunk."""
    out = np.zeros(values.shape[0], dtype=bool)
    if not sorted_set.shape[0]:
        return out
    last = sorted_set.shape[0] - 1
    for lo in range(0, values.shape[0], _CHUNK):
        part = values[lo : lo + _CHUNK]
        at = np.minimum(np.searchsorted(sorted_set, part), last)
        out[lo : lo + _CHUNK] = sorted_set[at] == part
    return out


@dataclass(frozen=True, slots=True)
class LoneAnchors:
    """What the index keeps of the anchors that occur once in the collection."""

    count: int  # how many (each is a posting list of one document)
    capped: U64  # the hashes among them whose document weighs more than max_df, sorted
    capped_df: I64  # that document's weight, for each of ``capped``


def lone_anchors(
    hashes: U64, docs: DocNumbers, shared: Bools, max_df: int, weights: I64 | None
) -> LoneAnchors:
    """What the index keeps of the rows (sorted by hash: :func:`sorted_rows`) whose
    hash is not ``shared`` with another row."""
    lone = ~shared
    count = int(lone.sum())
    if weights is None or not count:
        empty = np.zeros(0, dtype=np.int64)
        return LoneAnchors(count, np.zeros(0, dtype=np.uint64), empty)
    heavy = lone & (weights > max_df)[docs]
    return LoneAnchors(count, hashes[heavy], weights[docs[heavy]].astype(np.int64))


def join_capped(hashes: Sequence[U64], dfs: Sequence[I64]) -> tuple[U64, I64]:
    """Capped hashes of disjoint parts (each sorted), sorted, with their weighted
    document frequencies: the shared anchors' and the lone ones' of one partition, or
    every partition's."""
    parts = [(h, d) for h, d in zip(hashes, dfs, strict=True) if h.shape[0]]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    joined = np.concatenate([h for h, _ in parts])
    order = np.argsort(joined, kind="stable")
    return joined[order], np.concatenate([d for _, d in parts])[order]
