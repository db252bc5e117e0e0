"""Posting lists of one anchor occurrence, set aside before the anchor index is built.

Most anchors of a collection occur once: an n-gram no other document (and no other
place of the same document) holds. Such a posting list pairs nothing and flags no
repeat; all the index needs of it is that it exists (``postings`` counts it) and, when
its one document stands for more than ``max_df`` exact copies, that it is capped.
:func:`lone_anchors` finds them with one argsort of the hashes, so that
:func:`reprints.candidates.find_candidates` sorts and groups only the anchors that can
pair documents: its working arrays (about ten per anchor) then grow with the shared
anchors rather than with all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
Bools = npt.NDArray[np.bool_]

# Values looked up at once: bounds the search's temporary arrays (~20 bytes each).
_CHUNK = 1 << 22


def repeated_mask(values: U64) -> Bools:
    """Whether each value occurs more than once in ``values``: equal neighbours in an
    argsort's order, put back in place. A binary search of every value in the sorted
    repeated values (:func:`member_of`) costs a cache miss per step on tens of
    millions of hashes, several times this sort; its temporary arrays (order, sorted
    copy) take 16 bytes a value, within the index's budget for a row."""
    out = np.zeros(values.shape[0], dtype=bool)
    if values.shape[0] < 2:
        return out
    order = np.argsort(values)
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    del ordered
    flags = np.zeros(values.shape[0], dtype=bool)
    flags[1:] = same
    flags[:-1] |= same
    out[order] = flags
    return out


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
    hashes: U64, docs: I64, max_df: int, weights: I64 | None
) -> tuple[Bools, LoneAnchors]:
    """Which anchors share their hash with another anchor (the only ones that can pair
    documents or flag repeats), and what the index keeps of the others."""
    shared = repeated_mask(hashes)
    lone = ~shared
    count = int(lone.sum())
    if weights is None or not count:
        empty = np.zeros(0, dtype=np.int64)
        return shared, LoneAnchors(count, np.zeros(0, dtype=np.uint64), empty)
    heavy = lone & (weights > max_df)[docs]
    order = np.argsort(hashes[heavy], kind="stable")
    return shared, LoneAnchors(
        count, hashes[heavy][order], weights[docs[heavy]][order].astype(np.int64)
    )


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
