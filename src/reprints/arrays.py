"""Sorted distinct values of integer arrays, without numpy's hash-based ``np.unique``.

numpy 2.3 made ``np.unique`` (called without ``return_*``) find distinct values with a
hash table and then sort them. For the 64-bit hashes and positions this package works
on, that measured 4x slower than sorting on 300-element arrays and 20x slower on
200,000 elements (numpy 2.4.6 here: 1.6 s against 0.08 s), which made every alignment
with a long document cost seconds. Sorting and dropping repeats gives the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

Scalar = TypeVar("Scalar", bound=np.generic)
Key = TypeVar("Key", bound=np.generic)
I64 = npt.NDArray[np.int64]


def distinct_sorted(values: npt.NDArray[Scalar]) -> npt.NDArray[Scalar]:
    """The distinct values of an array that is already sorted (ascending)."""
    array = values.reshape(-1)
    if array.shape[0] < 2:
        return array.copy()
    keep = np.empty(array.shape[0], dtype=bool)
    keep[0] = True
    np.not_equal(array[1:], array[:-1], out=keep[1:])
    return array[keep]


def distinct(values: npt.NDArray[Scalar]) -> npt.NDArray[Scalar]:
    """The distinct values of an array, sorted: ``np.unique(values)``, by sorting."""
    return distinct_sorted(np.sort(values.reshape(-1)))


# Positions inside documents: 32-bit where the data allows (half the memory), else 64.
Positions = npt.NDArray[np.int32] | npt.NDArray[np.int64]
# Document numbers of (hash, document) rows: 32-bit as the spilled rows keep them.
DocNumbers = npt.NDArray[np.int32] | npt.NDArray[np.int64]

_INT32 = np.iinfo(np.int32)


def narrowest(parts: Sequence[npt.NDArray[np.integer[Any]]]) -> Positions:
    """The integer arrays ``parts`` joined, as int32 when every value fits (checked on
    the data, not assumed), else as int64."""
    if not parts or not sum(p.shape[0] for p in parts):
        return np.zeros(0, dtype=np.int32)
    low = min(int(p.min()) for p in parts if p.shape[0])
    high = max(int(p.max()) for p in parts if p.shape[0])
    if _INT32.min <= low and high <= _INT32.max:
        return np.concatenate([p.astype(np.int32, copy=False) for p in parts])
    return np.concatenate([p.astype(np.int64, copy=False) for p in parts])


def sum_by_key(
    keys: npt.NDArray[Key], weights: npt.NDArray[Scalar]
) -> tuple[npt.NDArray[Key], npt.NDArray[Scalar]]:
    """Sorted distinct keys and the sum of the weights of each. One stable argsort and
    two gathers, the order let go before the sums: about half the memory of
    ``np.unique(..., return_inverse=True)`` and a float ``bincount``, which matters
    where the keys are millions (candidate pairs' codes, site line keys)."""
    if keys.size == 0:
        return keys, weights
    order = np.argsort(keys, kind="stable")
    keys, weights = keys[order], weights[order]
    del order
    first = run_starts(keys)
    return keys[first], np.add.reduceat(weights, first)


def run_starts(sorted_keys: npt.NDArray[np.generic]) -> npt.NDArray[np.int64]:
    """Start index of every run of equal values in a sorted array."""
    if sorted_keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return np.concatenate(([0], change)).astype(np.int64)


def range_rows(lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64]) -> tuple[I64, I64]:
    """Every row of the ranges ``lo[k]:hi[k]``, concatenated in order, and the ``k`` of
    each: one gather of a column's posting lists instead of a slice per list."""
    lengths = np.maximum(hi - lo, 0)
    total = int(lengths.sum())
    owner = np.repeat(np.arange(lengths.shape[0], dtype=np.int64), lengths)
    if total == 0:
        return owner, owner
    # row t of range k is lo[k] + (t - first row of range k in the output)
    firsts = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) + (lo - firsts)[owner], owner
