"""Records that flow through the pipeline: documents, passages and pairs.

The original text of a :class:`Document` is never altered; every later stage refers
back to it by character offsets (Python string indices, end exclusive).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Document:
    """One input text and its metadata (source file, url, date, other JSON fields)."""

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Passage:
    """A stretch of text shared by documents ``a`` and ``b``.

    Offsets are character offsets into the original texts, end exclusive.
    ``tokens`` is the passage's length in tokens on the ``a`` side and
    ``similarity`` the share of aligned tokens that match (1.0 = verbatim).
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    tokens: int
    similarity: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Pair:
    """Two documents that share at least one passage."""

    a: str
    b: str
    containment_a: float
    containment_b: float
    jaccard: float
    passages: tuple[Passage, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "containment_a": self.containment_a,
            "containment_b": self.containment_b,
            "jaccard": self.jaccard,
            "passages": [p.to_json() for p in self.passages],
        }


@dataclass(frozen=True, slots=True)
class Repeat:
    """A passage of a document that repeats an earlier passage of the same document."""

    first_start: int
    first_end: int
    repeat_start: int
    repeat_end: int
    tokens: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SelfRepeats:
    """All internal repeats of one document."""

    doc: str
    passages: tuple[Repeat, ...]

    def to_json(self) -> dict[str, Any]:
        return {"doc": self.doc, "passages": [p.to_json() for p in self.passages]}
