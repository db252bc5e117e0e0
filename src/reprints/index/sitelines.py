"""Site boilerplate for an index: line counts that grow with each add.

A line repeated on many pages of one site is site chrome (see
:mod:`reprints.boilerplate`). ``find`` counts lines over the whole collection before
marking any document; an index cannot wait for a collection that never ends, so it
keeps the counts (line key → documents of its site holding it, site → documents)
and adds each batch's counts to them. A new document is marked with the counts of
everything indexed so far plus its own batch; a query with the stored counts plus
the query itself, as ``find`` on the collection and the query would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from reprints.boilerplate import BoilerplateDetector
from reprints.documents import Document


@dataclass(frozen=True, slots=True)
class BoilerplateSettings:
    """The index's boilerplate options: ``find``'s ``--boilerplate-min-docs``,
    ``--no-line-rules`` and ``--no-boilerplate``."""

    enabled: bool = True
    min_docs: int = 3
    line_rules: bool = True


@dataclass(slots=True)
class LineCounts:
    """Documents per site line key (sorted keys) and per site."""

    keys: npt.NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, np.uint64))
    counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    sites: Counter[str] = field(default_factory=Counter)

    @property
    def empty(self) -> bool:
        return not self.sites


def count_lines(documents: Iterable[Document], settings: BoilerplateSettings) -> LineCounts:
    """The site line counts of some documents."""
    detector = BoilerplateDetector(min_docs=settings.min_docs, line_rules=settings.line_rules)
    for doc in documents:
        detector.observe(doc)
    detector._compact()
    return LineCounts(detector._keys, detector._counts, Counter(detector._site_docs))


def merge_counts(a: LineCounts, b: LineCounts, sign: int = 1) -> LineCounts:
    """``a`` plus ``b`` (or minus, with ``sign=-1``: documents removed); zeros dropped."""
    keys = np.concatenate([a.keys, b.keys])
    counts = np.concatenate([a.counts, sign * b.counts])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    if keys.size:
        first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        merged_keys, merged = keys[first], np.add.reduceat(counts, first)
    else:
        merged_keys, merged = keys, counts
    live = merged > 0
    sites = Counter(a.sites)
    for site, n in b.sites.items():
        sites[site] += sign * n
    return LineCounts(
        merged_keys[live].astype(np.uint64),
        merged[live].astype(np.int64),
        Counter({s: n for s, n in sites.items() if n > 0}),
    )


def detector_for(counts: LineCounts, settings: BoilerplateSettings) -> BoilerplateDetector | None:
    """A detector that marks with ``counts``, or None when boilerplate is off."""
    if not settings.enabled:
        return None
    detector = BoilerplateDetector(min_docs=settings.min_docs, line_rules=settings.line_rules)
    detector._keys, detector._counts = counts.keys, counts.counts
    detector._site_docs = Counter(counts.sites)
    return detector
