"""Exact copies: documents whose token streams are identical, grouped before anchoring.

The anchor index caps an n-gram held by more than ``max_df`` documents as stock text.
N identical documents hold every one of their n-grams N times, so past ``max_df``
copies every anchor they have is capped and the copies vanish from the results, and
below it they make N²/2 candidate pairs that all align to the same answer. Grouping
them first fixes both:

- one *representative* per group (its smallest document number) stands in the anchor
  index for the whole group, and its posting lists weigh the group's size, so the cap
  still counts every document (:func:`reprints.candidates.find_candidates`);
- an alignment of two representatives serves every copy of either, mapped through each
  copy's own character offsets (copies may differ in case, punctuation or spacing:
  the key is over normalised token hashes);
- the copies of a group are paired by the grouping itself, whatever the cap: every
  two of them while the group holds at most ``max_df`` documents (as the anchors would
  have paired them), and beyond that each copy with the group's first document, so
  that 20,000 copies make one cluster from 19,999 pairs instead of 200 million.

The key is a 128-bit hash (xxh3) of the token hashes and the boilerplate marks, so
two documents are copies only when every stage after this one would treat them alike.
A document without tokens is nobody's copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xxhash

from reprints.graph import clique_edges
from reprints.text import Tokens

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


def content_key(tokens: Tokens) -> tuple[int, int]:
    """The 128-bit key of a token stream and its boilerplate marks, as two uint64
    halves; (0, 0) for a document without tokens (never grouped)."""
    if len(tokens) == 0:
        return 0, 0
    digest = xxhash.xxh3_128()
    digest.update(np.ascontiguousarray(tokens.hashes, dtype="<u8").tobytes())
    if tokens.boilerplate is not None and tokens.boilerplate.any():
        digest.update(np.packbits(tokens.boilerplate).tobytes())
    value = digest.intdigest()
    # A real key of (0, 0) would be taken for "no tokens"; move it (2^-128 odds).
    return (value >> 64, value & 0xFFFF_FFFF_FFFF_FFFF) if value else (0, 1)


def content_keys(tokens: Sequence[Tokens]) -> U64:
    """:func:`content_key` of each document of a batch, shape (n, 2)."""
    keys = np.zeros((len(tokens), 2), dtype=np.uint64)
    for row, t in enumerate(tokens):
        keys[row] = content_key(t)
    return keys


@dataclass(frozen=True, slots=True)
class ExactCopies:
    """Groups of identical documents over a collection numbered 0..n-1.

    ``first[d]`` is the smallest document number whose key equals d's (d itself when
    it has no earlier copy); ``members`` lists every document grouped by ``first`` and
    ascending inside a group, ``starts[d]:ends[d]`` being d's group in it.
    """

    first: I64
    members: I64
    starts: I64
    ends: I64

    @classmethod
    def of(cls, keys: U64) -> ExactCopies:
        """Group documents by their keys (shape (n, 2), row d for document d)."""
        keys = np.asarray(keys, dtype=np.uint64).reshape(-1, 2)
        count = keys.shape[0]
        docs = np.arange(count, dtype=np.int64)
        order = np.lexsort((docs, keys[:, 1], keys[:, 0]))
        sorted_keys = keys[order]
        new_group = np.ones(count, dtype=bool)
        if count:
            new_group[1:] = np.any(sorted_keys[1:] != sorted_keys[:-1], axis=1)
        # Documents without tokens (key 0, 0) are a group each.
        new_group |= ~np.any(sorted_keys != 0, axis=1)
        group = np.cumsum(new_group) - 1
        group_first = order[new_group]  # ascending inside a group: its first is smallest
        first = np.empty(count, dtype=np.int64)
        first[order] = group_first[group]
        members = order[np.lexsort((order, first[order]))]
        bounds = np.searchsorted(first[members], first)
        size = np.bincount(first, minlength=count)[first]
        return cls(first, members, bounds.astype(np.int64), (bounds + size).astype(np.int64))

    @classmethod
    def none(cls, count: int) -> ExactCopies:
        """Every document on its own."""
        docs = np.arange(count, dtype=np.int64)
        return cls(docs, docs, docs, docs + 1)

    def __len__(self) -> int:
        return int(self.first.shape[0])

    def sizes(self) -> I64:
        """How many documents share each document's token stream (1: no copy)."""
        return self.ends - self.starts

    def size(self, doc: int) -> int:
        """How many documents share ``doc``'s token stream (:meth:`sizes` of one)."""
        return int(self.ends[doc] - self.starts[doc])

    def group(self, doc: int) -> I64:
        """The documents identical to ``doc`` (itself included), ascending."""
        return self.members[int(self.starts[doc]) : int(self.ends[doc])]

    def representatives(self) -> npt.NDArray[np.bool_]:
        """Which documents stand for their group (the first of each)."""
        return self.first == np.arange(len(self), dtype=np.int64)

    def copies(self) -> int:
        """Documents with an earlier identical document."""
        return int((~self.representatives()).sum())

    def expand_pairs(self, pairs: I64) -> I64:
        """Pairs of representatives (shape (m, 2)) as pairs of every copy of one with
        every copy of the other, each as (smaller, larger) document number."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        sizes = self.sizes()
        left_size, right_size = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
        per_pair = left_size * right_size
        total = int(per_pair.sum())
        if total == pairs.shape[0]:
            return pairs.copy()
        pair_of = np.repeat(np.arange(pairs.shape[0]), per_pair)
        k = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
        left = self.members[self.starts[pairs[pair_of, 0]] + k // right_size[pair_of]]
        right = self.members[self.starts[pairs[pair_of, 1]] + k % right_size[pair_of]]
        return np.stack((np.minimum(left, right), np.maximum(left, right)), axis=1)

    def group_pairs(self, max_clique: int) -> I64:
        """The pairs the grouping itself makes, as (smaller, larger): inside each
        group of at most ``max_clique`` documents every two of them, in a larger one
        each document with the group's first."""
        sizes = self.sizes()
        copy = ~self.representatives()
        star = np.flatnonzero(copy & (sizes > max_clique))
        star_pairs = np.stack((self.first[star], star), axis=1)
        in_clique = (sizes > 1) & (sizes <= max_clique)
        members = self.members[in_clique[self.members]]
        group_sizes = sizes[self.representatives() & in_clique]
        ends = np.cumsum(group_sizes)
        left, right = clique_edges(members, ends - group_sizes, ends)
        return np.concatenate((star_pairs, np.stack((left, right), axis=1))).astype(np.int64)

    def expand_docs(self, docs: I64) -> I64:
        """Every copy of each representative in ``docs``, ascending."""
        return np.flatnonzero(np.isin(self.first, docs)).astype(np.int64)
