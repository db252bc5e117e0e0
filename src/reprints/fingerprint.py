"""Fingerprints of token streams: n-gram hashes and winnowed anchors.

n-gram hashes combine k consecutive token hashes with a polynomial roll in uint64
arithmetic (wrap-around is the modulus), one numpy operation per n-gram position,
then pass through a 64-bit finaliser so that the low and high bits are well mixed
(winnowing keeps minima, which needs uniformly spread values).

Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003) keeps, in every window of
``w`` consecutive n-gram hashes, the minimum (the rightmost one on ties). Two texts
that share a run of at least ``w + n - 1`` tokens share a window of n-gram hashes,
hence its minimum: at least one anchor is guaranteed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reprints.arrays import Positions, narrowest
from reprints.text import Tokens

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd, from the golden ratio
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def mix64(x: U64) -> U64:
    """splitmix64's finaliser: a bijection of uint64 that spreads every input bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


def ngram_hashes(token_hashes: U64, n: int) -> U64:
    """Hash of every run of ``n`` consecutive tokens (``len - n + 1`` values, or none)."""
    count = token_hashes.shape[0] - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        acc = token_hashes[:count].copy()
        for i in range(1, n):
            acc *= _MULTIPLIER
            acc += token_hashes[i : i + count]
        return mix64(acc)


def usable_ngrams(tokens: Tokens, n: int) -> npt.NDArray[np.bool_]:
    """Which n-grams may pair documents: those that touch no boilerplate token."""
    count = max(len(tokens) - n + 1, 0)
    if tokens.boilerplate is None:
        return np.ones(count, dtype=bool)
    marked = np.concatenate(([0], np.cumsum(tokens.boilerplate, dtype=np.int64)))
    return (marked[n : n + count] - marked[:count]) == 0


def winnow(hashes: U64, window: int) -> npt.NDArray[np.int64]:
    """Positions of the winnowed anchors of an n-gram hash array (sorted, unique).

    A text shorter than one window keeps its single minimum, so that short documents
    still get an anchor.
    """
    size = hashes.shape[0]
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    window = max(1, min(window, size))
    return np.unique(rightmost_minima(hashes, window))


def rightmost_minima(values: U64, window: int) -> I64:
    """Position of the rightmost minimum of every window of ``window`` consecutive
    values (``len - window + 1`` of them; ``window`` at most ``len``).

    A sparse table instead of an argmin per window: the minima of spans of 1, 2, 4,
    ... values, each from two spans of half the length, then every window as the two
    largest such spans that cover it from its ends. Where the right span's minimum is
    no larger it wins, so ties go to the rightmost position, as winnowing wants."""
    best, at = values, np.arange(values.shape[0], dtype=np.int64)
    span = 1
    while 2 * span <= window:
        right = best[span:] <= best[:-span]
        best = np.where(right, best[span:], best[:-span])
        at = np.where(right, at[span:], at[:-span])
        span *= 2
    count = values.shape[0] - window + 1
    shift = window - span
    right = best[shift : shift + count] <= best[:count]
    return np.where(right, at[shift : shift + count], at[:count])


def window_for(min_tokens: int, n: int) -> int:
    """The winnowing window that guarantees an anchor in every shared run of ``min_tokens``."""
    return max(1, min_tokens - n + 1)


# --- anchors of documents -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Anchors:
    """Winnowed anchors of consecutive documents as three arrays: document ``d``'s
    anchors are ``positions[offsets[d]:offsets[d + 1]]`` (its n-gram positions, sorted)
    and the same slice of ``hashes`` (their n-gram hashes)."""

    offsets: I64
    positions: Positions  # int32 once concatenated, when every position fits
    hashes: U64

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def of(self, doc: int) -> tuple[Positions, U64]:
        """Positions and hashes of one document's anchors."""
        lo, hi = int(self.offsets[doc]), int(self.offsets[doc + 1])
        return self.positions[lo:hi], self.hashes[lo:hi]

    def owners(self) -> I64:
        """The document of every anchor."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.offsets))

    def partitions(self) -> Iterator[tuple[U64, I64]]:
        """The (hash, document) rows of every anchor, as one partition of posting lists
        (:class:`reprints.candidates.Rows`)."""
        yield self.hashes, self.owners()

    @classmethod
    def empty(cls, documents: int) -> Anchors:
        """``documents`` consecutive documents without a single anchor."""
        return cls(np.zeros(documents + 1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint64))

    @classmethod
    def concat(cls, parts: Sequence[Anchors]) -> Anchors:
        """The anchors of consecutive batches of documents, as one collection."""
        if not parts:
            return cls.empty(0)
        starts = np.cumsum([0] + [int(p.offsets[-1]) for p in parts[:-1]])
        offsets = np.concatenate(
            [parts[0].offsets[:1]] + [p.offsets[1:] + s for p, s in zip(parts, starts, strict=True)]
        )
        return cls(
            offsets.astype(np.int64),
            narrowest([p.positions for p in parts]),
            np.concatenate([p.hashes for p in parts]).astype(np.uint64, copy=False),
        )


def fingerprint(tokens: Tokens, ngram: int, window: int) -> tuple[I64, U64]:
    """Winnowed anchors of a document (positions of n-grams, their hashes), never taken
    from n-grams touching boilerplate."""
    grams = ngram_hashes(tokens.hashes, ngram)
    usable = usable_ngrams(tokens, ngram)
    masked = np.where(usable, grams, np.iinfo(np.uint64).max).astype(np.uint64)
    positions = winnow(masked, window)
    positions = positions[usable[positions]] if positions.size else positions
    return positions, grams[positions]


def fingerprint_batch(tokens: Sequence[Tokens], ngram: int, window: int) -> Anchors:
    """The anchors of a batch of documents (:func:`fingerprint` of each)."""
    sizes = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    hashes = np.concatenate([t.hashes for t in tokens]) if tokens else np.zeros(0, np.uint64)
    marked = None
    if any(t.boilerplate is not None for t in tokens):
        marked = np.concatenate(
            [np.zeros(len(t), bool) if t.boilerplate is None else t.boilerplate for t in tokens]
        )
    return fingerprint_joined(hashes.astype(np.uint64, copy=False), marked, offsets, ngram, window)


def fingerprint_joined(
    hashes: U64,
    boilerplate: npt.NDArray[np.bool_] | None,
    offsets: I64,
    ngram: int,
    window: int,
) -> Anchors:
    """The anchors of a batch of documents given as one token array (document ``d``'s
    tokens are ``offsets[d]`` to ``offsets[d + 1]``): :func:`fingerprint` of each, in
    numpy passes over the whole batch rather than a loop over its documents."""
    docs = offsets.shape[0] - 1
    counts = np.maximum(np.diff(offsets) - ngram + 1, 0)  # n-grams of each document
    gram_offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    total = int(gram_offsets[-1])
    if total == 0:
        return Anchors.empty(docs)
    # The token where each document's n-grams start, for every n-gram of the batch.
    owner = np.repeat(np.arange(docs, dtype=np.int64), counts)
    at = np.arange(total, dtype=np.int64) + (offsets[:-1] - gram_offsets[:-1])[owner]
    grams = ngram_hashes(hashes, ngram)[at]
    if boilerplate is None:
        usable = np.ones(total, dtype=bool)
    else:
        marked = np.concatenate(([0], np.cumsum(boilerplate, dtype=np.int64)))
        usable = (marked[at + ngram] - marked[at]) == 0
    masked = np.where(usable, grams, np.iinfo(np.uint64).max).astype(np.uint64)
    chosen = _winnow_joined(masked, counts, gram_offsets, window)
    chosen = chosen[usable[chosen]]
    anchor_owner = owner[chosen]
    per_doc = np.bincount(anchor_owner, minlength=docs)
    return Anchors(
        np.concatenate(([0], np.cumsum(per_doc))).astype(np.int64),
        chosen - gram_offsets[anchor_owner],
        grams[chosen],
    )


def _winnow_joined(masked: U64, counts: I64, gram_offsets: I64, window: int) -> I64:
    """:func:`winnow` of each document's slice of ``masked``, as sorted indices into it."""
    window = max(1, window)
    starts = gram_offsets[:-1]
    full = counts >= window
    picked = []
    if full.any() and masked.shape[0] >= window:
        minima = rightmost_minima(masked, window)
        # The windows that lie inside one document: those starting no later than its
        # last full window.
        last = starts + counts - window
        inside = np.zeros(minima.shape[0] + 1, dtype=np.int64)
        np.add.at(inside, starts[full], 1)
        np.add.at(inside, last[full] + 1, -1)
        first_of = np.flatnonzero(np.cumsum(inside[:-1]) > 0)
        positions = minima[first_of]
        # The rightmost minimum never moves left as the window slides: equal
        # neighbours are the same anchor.
        keep = np.ones(positions.shape[0], dtype=bool)
        keep[1:] = positions[1:] != positions[:-1]
        picked.append(positions[keep])
    short = np.flatnonzero(~full & (counts > 0))
    if short.size:
        # A document shorter than one window keeps its single (rightmost) minimum.
        lo, hi = starts[short], starts[short] + counts[short]
        padded = np.append(masked, np.uint64(0))
        bounds = np.stack((lo, hi), axis=1).reshape(-1)
        least = np.minimum.reduceat(padded, bounds)[::2]
        owner = np.repeat(np.arange(short.size), counts[short])
        first = np.concatenate(([0], np.cumsum(counts[short])[:-1]))
        index = np.arange(owner.shape[0]) - first[owner] + lo[owner]
        where = np.where(masked[index] == least[owner], index, -1)
        picked.append(np.maximum.reduceat(where, first))
    if not picked:
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.concatenate(picked)).astype(np.int64)
