"""The PAN measures on hand-made cases whose figures can be worked out on paper."""

from __future__ import annotations

import math

import pytest

from reprints.evaluation import Annotation, score

PAIR = ("susp", "src")
OTHER = ("susp", "other-src")


def ann(t0: int, t1: int, s0: int, s1: int, pair: tuple[str, str] = PAIR) -> Annotation:
    return Annotation(pair, t0, t1, s0, s1)


def test_an_exact_detection_is_perfect() -> None:
    result = score([ann(0, 100, 50, 150)], [ann(0, 100, 50, 150)])
    assert (result.precision, result.recall, result.granularity) == (1.0, 1.0, 1.0)
    assert result.plagdet == 1.0


def test_half_a_case_found_gives_half_recall_and_full_precision() -> None:
    # The detection covers the first half of both sides: 100 of the case's 200 chars.
    result = score([ann(0, 100, 0, 100)], [ann(0, 50, 0, 50)])
    assert result.recall == pytest.approx(0.5)
    assert result.precision == pytest.approx(1.0)


def test_a_detection_twice_as_long_as_the_case_gives_half_precision() -> None:
    result = score([ann(0, 100, 0, 100)], [ann(0, 200, 0, 200)])
    assert result.recall == pytest.approx(1.0)
    assert result.precision == pytest.approx(0.5)


def test_pieces_raise_granularity_and_lower_plagdet() -> None:
    pieces = [ann(0, 50, 0, 50), ann(50, 100, 50, 100)]
    result = score([ann(0, 100, 0, 100)], pieces)
    assert result.recall == pytest.approx(1.0)
    assert result.granularity == 2.0
    assert result.plagdet == pytest.approx(1.0 / math.log2(3))


def test_overlap_on_one_side_only_does_not_detect() -> None:
    # Same suspicious span, source side elsewhere: no detection, precision 0.
    result = score([ann(0, 100, 0, 100)], [ann(0, 100, 500, 600)])
    assert (result.precision, result.recall) == (0.0, 0.0)
    assert result.plagdet == 0.0


def test_detections_in_another_pair_never_count_for_a_case() -> None:
    result = score([ann(0, 100, 0, 100)], [ann(0, 100, 0, 100), ann(0, 100, 0, 100, OTHER)])
    assert result.recall == 1.0
    assert result.precision == pytest.approx(0.5)  # mean of 1.0 and 0.0
    assert result.granularity == 1.0


def test_macro_averages_weigh_every_case_alike() -> None:
    cases = [ann(0, 10, 0, 10), ann(1000, 2000, 1000, 2000)]
    result = score(cases, [ann(0, 10, 0, 10)])
    assert result.recall == pytest.approx(0.5)  # not 20 / 2020


def test_overlapping_detections_count_shared_characters_once() -> None:
    result = score([ann(0, 100, 0, 100)], [ann(0, 60, 0, 60), ann(40, 100, 40, 100)])
    assert result.recall == pytest.approx(1.0)
    assert result.granularity == 2.0


def test_empty_sets_follow_pan_conventions() -> None:
    assert score([], []).plagdet == 1.0
    assert score([ann(0, 1, 0, 1)], []).plagdet == 0.0
    assert score([], [ann(0, 1, 0, 1)]).precision == 0.0
