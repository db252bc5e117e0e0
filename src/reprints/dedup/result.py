"""What a dedup run decided, for every document read, and its kept records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from reprints.boilerplate import MarkedSpan, without_spans
from reprints.dedup.kernels import KEPT
from reprints.dedup.options import DedupOptions
from reprints.dedup.records import RecordSpool, document_of, record_line
from reprints.dedup.summary import DedupSummary
from reprints.documents import Document

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Removal:
    """A removed document, the kept document that stands for it, why, and how close."""

    id: str
    kept: str
    reason: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kept": self.kept, "reason": self.reason, "score": self.score}


@dataclass
class DedupResult:
    """Decisions for every document read, in input order, and the spooled records.

    ``status[k]`` is KEPT, REMOVED or SKIPPED for the k-th document read; removals and
    skips carry their reasons; ``edits`` are the spans cut from kept documents
    (repeats, boilerplate) by document number. :meth:`kept_documents` /
    :meth:`kept_lines` read the kept records back from ``records`` until
    :meth:`close` (also on leaving a ``with`` block).
    """

    ids: list[str]
    status: npt.NDArray[np.int8]
    removed: list[Removal]
    skipped: list[tuple[str, str]]
    summary: DedupSummary
    options: DedupOptions
    records: RecordSpool = field(repr=False)
    edits: dict[int, list[MarkedSpan]] = field(repr=False, default_factory=dict)

    @property
    def kept_ids(self) -> list[str]:
        return [self.ids[k] for k in np.flatnonzero(self.status == KEPT).tolist()]

    def documents_at(self, indices: I64) -> Iterator[tuple[int, Document]]:
        """(index, document as read) of the given documents."""
        yield from read_documents_at(self.records, indices, self.options)

    def kept_lines(self) -> Iterator[bytes]:
        """The kept records as JSON lines (bytes, newline included), in input order,
        with repeated passages and boilerplate cut when asked."""
        o = self.options
        for k, line in self.records.lines_at(np.flatnonzero(self.status == KEPT)):
            spans = self.edits.get(k)
            if spans:
                doc = document_of(line, o.id_field, o.text_field)
                line = record_line(without_spans(doc, spans), o.id_field, o.text_field)
            yield line

    def kept_documents(self) -> Iterator[Document]:
        """The kept documents, in input order, as written."""
        o = self.options
        for line in self.kept_lines():
            yield document_of(line, o.id_field, o.text_field)

    def close(self) -> None:
        """Delete the spooled records (idempotent)."""
        self.records.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_documents_at(
    records: RecordSpool, indices: I64, options: DedupOptions
) -> Iterator[tuple[int, Document]]:
    """(index, document as read) of the given documents, from their spooled records."""
    for k, line in records.lines_at(indices):
        yield k, document_of(line, options.id_field, options.text_field)
