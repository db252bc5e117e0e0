"""The run summary of dedup, typed: what ``OUT.summary.json`` holds.

Assembled once per run (:meth:`DedupSummary.of`), completed by the writer with what
it wrote (:meth:`DedupSummary.written`), and turned into JSON in one place
(:meth:`DedupSummary.to_json`). Two summaries of runs over disjoint parts of a
collection merge (:meth:`DedupSummary.merge`) into what one job over the parts
reports: counts add up, the settings must agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class LshFigures:
    bands: int
    rows: int
    candidate_pairs: int

    def merge(self, other: LshFigures) -> LshFigures:
        if (self.bands, self.rows) != (other.bands, other.rows):
            raise ValueError("summaries of runs with different LSH bands do not merge")
        return replace(self, candidate_pairs=self.candidate_pairs + other.candidate_pairs)

    def to_json(self) -> dict[str, int]:
        return {"bands": self.bands, "rows": self.rows, "candidate_pairs": self.candidate_pairs}


@dataclass(frozen=True, slots=True)
class ClusterFigures:
    """What the exact, LSH and clustering stages found."""

    tokens: int
    exact_groups: int
    lsh: LshFigures
    verified_pairs: int  # candidate pairs at or above the threshold
    clusters_with_removals: int

    def merge(self, other: ClusterFigures) -> ClusterFigures:
        return ClusterFigures(
            tokens=self.tokens + other.tokens,
            exact_groups=self.exact_groups + other.exact_groups,
            lsh=self.lsh.merge(other.lsh),
            verified_pairs=self.verified_pairs + other.verified_pairs,
            clusters_with_removals=self.clusters_with_removals + other.clusters_with_removals,
        )


@dataclass(frozen=True, slots=True)
class OutputFigures:
    path: str
    format: str
    documents: int

    def merge(self, other: OutputFigures) -> OutputFigures:
        if (self.path, self.format) != (other.path, other.format):
            raise ValueError("summaries written to different outputs do not merge")
        return replace(self, documents=self.documents + other.documents)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "documents": self.documents}


@dataclass(frozen=True, slots=True)
class DedupSummary:
    """Counts, figures, seconds per stage and settings of one dedup run.

    ``find`` and ``boilerplate`` are the summaries of the `find` engine (containment,
    repeats) and of the boilerplate detector, when those ran; ``input`` is the
    reader's log and ``output`` what was written, once the writer has run.
    """

    documents: int
    kept: int
    removed: Mapping[str, int]  # removals by reason
    skipped: Mapping[str, int]  # skips by reason
    figures: ClusterFigures
    edited_documents: int  # kept documents with repeats or boilerplate cut
    seconds: Mapping[str, float]
    options: Mapping[str, Any]
    skipped_documents: Sequence[tuple[str, str]] = ()  # (id, reason)
    find: Mapping[str, Any] | None = None
    boilerplate: Mapping[str, Any] | None = None
    input: Mapping[str, Any] | None = None
    output: OutputFigures | None = field(default=None)

    @classmethod
    def of(
        cls,
        *,
        kept: int,
        removed_reasons: Sequence[str],
        skipped: Sequence[tuple[str, str]],
        figures: ClusterFigures,
        edited_documents: int,
        seconds: Mapping[str, float],
        options: Mapping[str, Any],
        find: Mapping[str, Any] | None = None,
        boilerplate: Mapping[str, Any] | None = None,
    ) -> DedupSummary:
        """The summary of a run from its decisions: every document read is kept,
        removed (for one of ``removed_reasons``) or skipped."""
        return cls(
            documents=kept + len(removed_reasons) + len(skipped),
            kept=kept,
            removed=_tally(removed_reasons),
            skipped=_tally([reason for _, reason in skipped]),
            figures=figures,
            edited_documents=edited_documents,
            seconds=dict(seconds),
            options=dict(options),
            skipped_documents=tuple(skipped),
            find=find,
            boilerplate=boilerplate,
        )

    @property
    def removed_total(self) -> int:
        return sum(self.removed.values())

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def written(
        self,
        path: str,
        fmt: str,
        documents: int,
        seconds: float,
        input: Mapping[str, Any] | None = None,
    ) -> DedupSummary:
        """This summary once the outputs are written: where, in which format, how
        many documents, how long it took; and the reader's log, when given."""
        spent = {**self.seconds, "write": round(seconds, 3)}
        output = OutputFigures(path, fmt, documents)
        return replace(self, output=output, seconds=spent, input=input)

    def merge(self, other: DedupSummary) -> DedupSummary:
        """The summary of both runs (over disjoint documents) as one."""
        if self.options != other.options:
            raise ValueError("summaries of runs with different settings do not merge")
        return DedupSummary(
            documents=self.documents + other.documents,
            kept=self.kept + other.kept,
            removed=add_counts(self.removed, other.removed),
            skipped=add_counts(self.skipped, other.skipped),
            figures=self.figures.merge(other.figures),
            edited_documents=self.edited_documents + other.edited_documents,
            seconds={k: round(v, 3) for k, v in add_counts(self.seconds, other.seconds).items()},
            options=self.options,
            skipped_documents=(*self.skipped_documents, *other.skipped_documents),
            find=_merge_optional(self.find, other.find),
            boilerplate=_merge_optional(self.boilerplate, other.boilerplate),
            input=_merge_optional(self.input, other.input),
            output=_merge_output(self.output, other.output),
        )

    def to_json(self) -> dict[str, Any]:
        """The summary as ``OUT.summary.json`` has it."""
        f = self.figures
        out: dict[str, Any] = {
            "documents": self.documents,
            "kept": self.kept,
            "removed": dict(sorted(self.removed.items())),
            "removed_total": self.removed_total,
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_total": self.skipped_total,
            "tokens": f.tokens,
            "exact_groups": f.exact_groups,
            "lsh": f.lsh.to_json(),
            "verified_pairs": f.verified_pairs,
            "clusters_with_removals": f.clusters_with_removals,
            "edited_documents": self.edited_documents,
            "seconds": dict(self.seconds),
            "options": dict(self.options),
            "skipped_documents": [{"id": i, "reason": why} for i, why in self.skipped_documents],
        }
        for name, section in (
            ("find", self.find),
            ("boilerplate", self.boilerplate),
            ("input", self.input),
        ):
            if section is not None:
                out[name] = dict(section)
        if self.output is not None:
            out["output"] = self.output.to_json()
        return out


def _tally(reasons: Sequence[str]) -> dict[str, int]:
    return dict(sorted(Counter(reasons).items()))


def add_counts(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Two trees of counts (JSON objects whose leaves are numbers) added key by key;
    a leaf that is not a number (a setting) must be the same in both."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif isinstance(value, Mapping) and isinstance(out[key], Mapping):
            out[key] = add_counts(out[key], value)
        elif _is_number(value) and _is_number(out[key]):
            out[key] = out[key] + value
        elif out[key] != value:
            raise ValueError(f"{key!r} differs between the summaries: {out[key]!r}, {value!r}")
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _merge_optional(
    a: Mapping[str, Any] | None, b: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    if a is None or b is None:
        return a if b is None else b
    return add_counts(a, b)


def _merge_output(a: OutputFigures | None, b: OutputFigures | None) -> OutputFigures | None:
    if a is None or b is None:
        return a if b is None else b
    return a.merge(b)
