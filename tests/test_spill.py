"""The anchor index spilled to disk (reprints.spill): partitions that never split a
posting list, paired one at a time, give exactly the in-memory candidates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reprints.candidates import Candidates, TooManyPairs, find_candidates, pair_partitions
from reprints.finding import FindOptions
from reprints.options import OptionsError
from reprints.spill import BUDGET_PER_ROW, PostingSpill
from tests.test_postings import candidate_fields


def _spilled(folder: Path, hashes: np.ndarray, docs: np.ndarray, rows: int, batches: int):  # type: ignore[no-untyped-def]
    """A spill of ``rows`` rows a partition, given the rows in ``batches`` pieces."""
    spill = PostingSpill(folder, rows * BUDGET_PER_ROW)
    for part in np.array_split(np.arange(hashes.shape[0]), batches):
        spill.add(hashes[part], docs[part])
    return spill


@st.composite
def anchor_rows(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Random anchors: lone hashes, shared ones (a few in many documents), repeats."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(0, 600))
    docs_count = draw(st.integers(1, 60))
    hashes = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    common = rng.integers(0, draw(st.integers(1, 80)), size=n // 2).astype(np.uint64)
    hashes[rng.choice(n, size=n // 2, replace=False)] = common
    docs = np.sort(rng.integers(0, docs_count, size=n)).astype(np.int64)
    weights = None
    if draw(st.booleans()):
        weights = rng.integers(1, 5, size=docs_count).astype(np.int64)
    return hashes, docs, weights


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    anchor_rows(),
    st.integers(1, 120),
    st.integers(1, 7),
    st.sampled_from([(1, 1), (3, 1), (6, 2), (50, 3)]),
)
def test_spilled_partitions_give_the_in_memory_candidates(
    tmp_path_factory: pytest.TempPathFactory,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    capacity: int,
    batches: int,
    rule: tuple[int, int],
) -> None:
    hashes, docs, weights = rows
    max_df, min_shared = rule
    spill = _spilled(tmp_path_factory.mktemp("spill"), hashes, docs, capacity, batches)
    parts = list(spill.partitions())
    # Every row comes back once, and no hash has rows in two partitions.
    got_hashes = [h for part_hashes, _ in parts for h in part_hashes.tolist()]
    got_docs = [d for _, part_docs in parts for d in part_docs.tolist()]
    got = sorted(zip(got_hashes, got_docs, strict=True))
    assert got == sorted(zip(hashes.tolist(), docs.tolist(), strict=True))
    seen: set[int] = set()
    for part_hashes, _ in parts:
        mine = set(part_hashes.tolist())
        assert not mine & seen
        seen |= mine
    if hashes.shape[0] > capacity:
        assert spill.spilled
    expected = find_candidates(hashes, docs, max_df, min_shared, weights)
    num_docs = int(docs.max()) + 1 if docs.shape[0] else 1
    found = pair_partitions(parts, num_docs + 5, max_df, min_shared, weights)
    assert candidate_fields(found) == candidate_fields(expected)


def test_partitions_keep_to_the_budget_and_a_huge_posting_list_stays_whole(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 2**64, size=20_000, dtype=np.uint64)
    hashes[:3000] = 12345  # one posting list longer than a partition may be
    docs = rng.integers(0, 5000, size=20_000).astype(np.int64)
    spill = _spilled(tmp_path / "spill", hashes, docs, 500, 9)
    sizes = [h.shape[0] for h, _ in spill.partitions()]
    assert sum(sizes) == 20_000 and len(sizes) > 20
    assert sorted(sizes)[-1] >= 3000  # the long list, unsplit (with what shares its bucket)
    assert sorted(sizes)[-2] <= 500  # buckets over the budget were split again
    with pytest.raises(RuntimeError, match="read once"):
        next(spill.partitions())
    again = _spilled(tmp_path / "again", hashes, docs, 500, 9)
    expected = find_candidates(hashes, docs, 10, 1)
    found = pair_partitions(again.partitions(), 5000, 10, 1)
    assert candidate_fields(found) == candidate_fields(expected)


def test_rows_that_fit_are_one_partition_in_memory(tmp_path: Path) -> None:
    hashes = np.array([5, 3, 5, 3], dtype=np.uint64)
    docs = np.array([0, 1, 1, 2], dtype=np.int64)
    spill = _spilled(tmp_path / "spill", hashes, docs, 4, 2)
    assert not spill.spilled and not (tmp_path / "spill").exists()
    (part,) = list(spill.partitions())
    assert part[0].tolist() == hashes.tolist() and part[1].tolist() == docs.tolist()
    with pytest.raises(RuntimeError, match="read once"):
        next(spill.partitions())  # its memory went with the partition


@pytest.mark.parametrize("max_pairs", [1, 40, 200, 10_000])
def test_too_many_pairs_is_refused_as_in_memory(tmp_path: Path, max_pairs: int) -> None:
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 30, size=900).astype(np.uint64)
    docs = rng.integers(0, 200, size=900).astype(np.int64)
    spill = _spilled(tmp_path / "spill", hashes, docs, 40, 4)
    try:
        expected: Candidates | None = find_candidates(hashes, docs, 50, max_pairs=max_pairs)
    except TooManyPairs:
        expected = None
    if expected is None:
        with pytest.raises(TooManyPairs, match="--max-pairs"):
            pair_partitions(spill.partitions(), 200, 50, max_pairs=max_pairs)
    else:
        found = pair_partitions(spill.partitions(), 200, 50, max_pairs=max_pairs)
        assert candidate_fields(found) == candidate_fields(expected)


def test_memory_budget_option() -> None:
    assert FindOptions(memory_budget=1 << 20).budget() == 1 << 20
    assert FindOptions().budget() > 0  # a share of the machine's memory
    with pytest.raises(OptionsError, match="--memory-budget must be"):
        FindOptions(memory_budget=-1)
