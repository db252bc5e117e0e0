"""The PAN measures of passage-level text reuse detection, from their definitions.

Potthast, Stein, Barrón-Cedeño and Rosso, "An Evaluation Framework for Plagiarism
Detection" (COLING 2010). A *case* (a copied passage, annotated) and a *detection* (a
passage reported) are both pairs of character spans in one document pair: a span of
the suspicious document and one of the source document. Each is read as the set of
characters of both its spans. A detection *detects* a case when they belong to the same
document pair and overlap on both sides.

- recall = mean over cases s of |s ∩ (union of the detections that detect s)| / |s|
- precision = mean over detections r of |r ∩ (union of the cases r detects)| / |r|
  (a detection that detects no case counts 0: it is all false positive)
- granularity = mean, over the cases detected at all, of how many detections detect
  them (1 is ideal; a case reported as three pieces counts 3)
- plagdet = F1(precision, recall) / log2(1 + granularity)

The averages are *macro* averages: each case weighs the same whatever its length, so a
missed short case costs as much as a missed long one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Annotation:
    """A case or a detection: ``[this_start, this_end)`` of the suspicious document
    ``pair[0]`` and ``[source_start, source_end)`` of the source document ``pair[1]``."""

    pair: tuple[str, str]
    this_start: int
    this_end: int
    source_start: int
    source_end: int

    @property
    def size(self) -> int:
        return (self.this_end - self.this_start) + (self.source_end - self.source_start)


@dataclass(frozen=True, slots=True)
class Scores:
    """The PAN measures of a set of detections against a set of cases."""

    precision: float
    recall: float
    granularity: float
    cases: int
    detections: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    @property
    def plagdet(self) -> float:
        return self.f1 / math.log2(1 + self.granularity)


def _overlap(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def detects(r: Annotation, s: Annotation) -> bool:
    """Whether ``r`` and ``s`` share characters on both sides of the same pair."""
    return (
        r.pair == s.pair
        and _overlap(r.this_start, r.this_end, s.this_start, s.this_end)
        and _overlap(r.source_start, r.source_end, s.source_start, s.source_end)
    )


def _union_length(spans: Iterable[tuple[int, int]]) -> int:
    """Characters covered by a set of half-open spans (overlaps counted once)."""
    total, reach = 0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def _covered(target: Annotation, others: Sequence[Annotation]) -> int:
    """Characters of ``target`` (both sides) inside the union of ``others``."""
    this = [
        (max(o.this_start, target.this_start), min(o.this_end, target.this_end)) for o in others
    ]
    source = [
        (max(o.source_start, target.source_start), min(o.source_end, target.source_end))
        for o in others
    ]
    return _union_length(s for s in this if s[0] < s[1]) + _union_length(
        s for s in source if s[0] < s[1]
    )


def _macro_recall(
    targets: Sequence[Annotation], by_pair: dict[tuple[str, str], list[Annotation]]
) -> tuple[float, list[int]]:
    """Mean share of each target covered by the annotations detecting it, and how many
    detect each target."""
    shares, hits = [], []
    for target in targets:
        touching = [o for o in by_pair.get(target.pair, ()) if detects(o, target)]
        hits.append(len(touching))
        shares.append(_covered(target, touching) / target.size if target.size else 0.0)
    return (sum(shares) / len(shares) if shares else 0.0), hits


def score(cases: Sequence[Annotation], detections: Sequence[Annotation]) -> Scores:
    """Macro precision and recall, and granularity, of ``detections`` against ``cases``.

    With neither cases nor detections everything is perfect; with only one of them,
    precision and recall are 0 (PAN's convention).
    """
    if not cases and not detections:
        return Scores(1.0, 1.0, 1.0, 0, 0)
    if not cases or not detections:
        return Scores(0.0, 0.0, 1.0, len(cases), len(detections))
    cases_by_pair: dict[tuple[str, str], list[Annotation]] = defaultdict(list)
    for s in cases:
        cases_by_pair[s.pair].append(s)
    detections_by_pair: dict[tuple[str, str], list[Annotation]] = defaultdict(list)
    for r in detections:
        detections_by_pair[r.pair].append(r)
    recall, hits = _macro_recall(cases, detections_by_pair)
    precision, _ = _macro_recall(detections, cases_by_pair)
    detected = [h for h in hits if h > 0]
    granularity = sum(detected) / len(detected) if detected else 1.0
    return Scores(precision, recall, granularity, len(cases), len(detections))
