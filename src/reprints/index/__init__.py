"""A persistent index of a collection: add documents, remove them, query one text.

:class:`Index` (:mod:`reprints.index.store`) keeps documents in SQLite and anchors in
immutable memory-mapped segment files; :func:`query` (:mod:`reprints.index.query`)
answers what ``find`` would report for the queried text against the collection.
"""

from reprints.index.query import Match, QueryResult, SharedPassage, query
from reprints.index.store import (
    AddReport,
    DuplicateId,
    Index,
    IndexBusy,
    IndexError_,
    IndexOptions,
    NotAnIndex,
    Snapshot,
    StoredDocument,
)

__all__ = [
    "AddReport",
    "DuplicateId",
    "Index",
    "IndexBusy",
    "IndexError_",
    "IndexOptions",
    "Match",
    "NotAnIndex",
    "QueryResult",
    "SharedPassage",
    "Snapshot",
    "StoredDocument",
    "query",
]
