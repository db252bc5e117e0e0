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

import numpy as np
import numpy.typing as npt

from reprints.text import Tokens

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd, from the golden ratio
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)

U64 = npt.NDArray[np.uint64]


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
    windows = np.lib.stride_tricks.sliding_window_view(hashes, window)
    # argmin returns the first minimum; on the reversed window that is the rightmost.
    rightmost = window - 1 - np.argmin(windows[:, ::-1], axis=1)
    positions = np.arange(windows.shape[0]) + rightmost
    return np.unique(positions)


def window_for(min_tokens: int, n: int) -> int:
    """The winnowing window that guarantees an anchor in every shared run of ``min_tokens``."""
    return max(1, min_tokens - n + 1)
