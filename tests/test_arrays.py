"""Array helpers: checked against the plain Python they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from reprints.arrays import distinct, range_rows

_RANGE = st.tuples(st.integers(0, 50), st.integers(-3, 12))  # (start, length; < 0: empty)


@given(st.lists(_RANGE, max_size=20))
def test_range_rows_are_every_row_of_every_range_in_order(ranges: list[tuple[int, int]]) -> None:
    lo = np.array([start for start, _ in ranges], dtype=np.int64)
    hi = np.array([start + length for start, length in ranges], dtype=np.int64)
    rows, owner = range_rows(lo, hi)
    expected = [(r, k) for k, (a, b) in enumerate(zip(lo, hi, strict=True)) for r in range(a, b)]
    assert list(zip(rows.tolist(), owner.tolist(), strict=True)) == expected
    assert rows.dtype == owner.dtype == np.int64


@given(st.lists(st.integers(-5, 5), max_size=30))
def test_distinct_is_numpy_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    assert distinct(array).tolist() == np.unique(array).tolist()
