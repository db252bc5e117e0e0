"""Clusters of reused passages and of documents, built from the pairs `find` reports.

**Passage clusters** answer "this paragraph was reprinted in 37 papers: which, and
in what order?". Every passage of every pair has two *occurrences*, one span in each
document; the two are the same text by construction (they were aligned). Occurrences
on the same document that are the same stretch of text must then be joined, and the
clusters are the connected components of the graph whose nodes are those joined
stretches (*regions*) and whose edges are the passages.

The rule that joins occurrences on one document decides whether clusters stay
meaningful. A naive rule ("any overlap") chains everything: article A shares
paragraphs 1–2 with B, B shares paragraphs 2–3 with C, C shares 3–4 with D, and A to
D end up one "passage" although A and D share nothing. So two occurrences on a
document join only when their **overlap covers at least ``min_overlap`` (default
0.8) of both spans**, and, to stop slow drift by many small steps inside one
document, only when they overlap that much with the region's **seed**: regions are
grown greedily, longest occurrence first, and a later occurrence joins the first
region whose seed span it mutually overlaps; the seed never moves. Two halves of a
text (overlap 0) or a paragraph and the article it sits in (overlap ≪ 80% of the
article) therefore stay apart, while the same passage aligned against thirty other
documents (whose ends wander by a few words with each partner's edits) becomes one
region. Across documents there is no such check, because a passage edge joins
two spans that are the same text. A cluster all of whose members lie inside the
members of a larger cluster (halves of a passage that an edit split in some copies)
is kept but marked ``part_of`` that cluster.

**Document clusters** answer "these 12 pages are the same story": connected
components of documents joined by pairs in which the shared text covers at least
``min_containment`` of one of the two documents (a quotation shared by two long
articles does not make them one story). In each cluster the *original* is the
earliest document by its ``date`` metadata; without dates it is the document the
others are contained in: the one that explains most of its partners' text (the
largest sum, over its pairs, of the partner's containment), then the smallest id.
A source that several students or papers each copied a different part of is the
hub that explains them all, though each copy may cover more of it than it covers of
the copy (so a difference of containments would pick a copy). Undated copies that
each *add* text to the same original cannot be told from it: the earliest one
needs a ``date``. Every other member is a ``copy``
when at least ``copy_containment`` (default 0.8) of it is covered by one cluster
member (its ``of``), else a ``partial copy``. A document in no cluster is ``unique``.

Everything is ordered by stable keys (document id, then position), so the same pairs
give byte-identical output.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.documents import Pair
from reprints.graph import connected_components
from reprints.output import write_jsonl

MIN_OVERLAP = 0.8
MIN_CONTAINMENT = 0.1
COPY_CONTAINMENT = 0.8
REPRESENTATIVE_CHARS = 5_000

ORIGINAL, COPY, PARTIAL_COPY, UNIQUE = "original", "copy", "partial copy", "unique"
ROLES = (ORIGINAL, COPY, PARTIAL_COPY, UNIQUE)


@dataclass(frozen=True, slots=True)
class Member:
    """One occurrence of a reused passage: a span of a document's original text."""

    doc: str
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {"doc": self.doc, "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class PassageCluster:
    """The occurrences of one reused passage, in date order (else id order).

    ``text`` is the first member's text (cut at ``REPRESENTATIVE_CHARS``; then
    ``truncated`` is set), the closest thing to the original wording. ``part_of`` is
    the id of a larger cluster this one is a fragment of (see :func:`_parents`).
    """

    id: int
    members: tuple[Member, ...]
    text: str
    truncated: bool = False
    part_of: int | None = None

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def documents(self) -> int:
        return len({m.doc for m in self.members})

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "size": self.size,
            "documents": self.documents,
            "members": [m.to_json() for m in self.members],
            "text": self.text,
            "truncated": self.truncated,
            "part_of": self.part_of,
        }


@dataclass(frozen=True, slots=True)
class DocumentRole:
    """A document's place in its document cluster.

    ``of`` is the cluster member that covers the largest share of this document
    (``containment``); None for originals and unique documents.
    """

    doc: str
    cluster: int
    cluster_size: int
    role: str
    of: str | None = None
    containment: float = 0.0
    date: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "cluster": self.cluster,
            "cluster_size": self.cluster_size,
            "role": self.role,
            "of": self.of,
            "containment": self.containment,
            "date": self.date,
        }


# --- dates ------------------------------------------------------------------------

_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")


def parse_date(value: Any) -> str | None:
    """A sortable ISO form (``YYYY-MM-DDTHH:MM:SS``, UTC) of a ``date`` value, or None.

    Accepts ISO 8601 dates and date-times (with or without a zone), ``YYYY`` and
    ``YYYY-MM`` strings, and integer years; anything else counts as undated.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 1 <= value <= 9999:
        return f"{value:04d}-01-01T00:00:00"
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _YEAR.match(text):
        text += "-01-01"
    elif _YEAR_MONTH.match(text):
        text += "-01"
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed.isoformat(timespec="seconds")


def _dates(doc_ids: Sequence[str], meta: Mapping[str, dict[str, Any]]) -> list[str | None]:
    return [parse_date((meta.get(d) or {}).get("date")) for d in doc_ids]


def _order_key(date: str | None, doc: str, start: int = 0) -> tuple[int, str, str, int]:
    """Dated documents first, by date; then by id; then by position."""
    return (0, date, doc, start) if date is not None else (1, "", doc, start)


# --- passage clusters -------------------------------------------------------------


def _occurrences(
    pairs: Sequence[Pair], doc_index: Mapping[str, int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(doc, start, end) of every passage occurrence: passage k is rows 2k and 2k+1."""
    rows: list[tuple[int, int, int]] = []
    for pair in pairs:
        a, b = doc_index[pair.a], doc_index[pair.b]
        for p in pair.passages:
            rows.append((a, p.a_start, p.a_end))
            rows.append((b, p.b_start, p.b_end))
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return table[:, 0], table[:, 1], table[:, 2]


def seed_regions(
    docs: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    min_overlap: float,
) -> npt.NDArray[np.int64]:
    """Region id of each distinct span: greedy seeds per document, longest first.

    Input spans are distinct and sorted by (doc, -length, start). A seed can take a
    span only if it is at most ``1 / min_overlap`` times as long (seeds come longest
    first) and starts within the span or at most that much before its end, so only
    the seeds starting in that window (found by bisection in the document's seeds
    sorted by start) are checked: no quadratic scan for documents sharing thousands
    of passages.
    """
    region = np.empty(docs.shape[0], dtype=np.int64)
    seed_starts: list[int] = []  # starts of the current document's seeds, sorted
    seeds: list[tuple[int, int]] = []  # (end, region) of those seeds, same order
    current_doc = -1
    next_region = 0
    for i, (doc, start, end) in enumerate(
        zip(docs.tolist(), starts.tolist(), ends.tolist(), strict=True)
    ):
        if doc != current_doc:
            current_doc, seed_starts, seeds = doc, [], []
        length = max(end - start, 1)
        lo = bisect.bisect_left(seed_starts, end - int(length / min_overlap) - 1)
        hi = bisect.bisect_left(seed_starts, end)
        for k in range(lo, hi):
            s_start, (s_end, s_region) = seed_starts[k], seeds[k]
            overlap = min(end, s_end) - max(start, s_start)
            if overlap >= min_overlap * length and overlap >= min_overlap * max(s_end - s_start, 1):
                region[i] = s_region
                break
        else:
            region[i] = next_region
            k = bisect.bisect_right(seed_starts, start)
            seed_starts.insert(k, start)
            seeds.insert(k, (end, next_region))
            next_region += 1
    return region


def check_min_overlap(min_overlap: float) -> None:
    """Refuse a ``min_overlap`` outside (0, 1] (ValueError): no share of a span could
    join it to a region."""
    if not 0.0 < min_overlap <= 1.0:
        raise ValueError(f"min_overlap must be in (0, 1], not {min_overlap}")


def passage_clusters(
    pairs: list[Pair],
    meta: Mapping[str, dict[str, Any]],
    texts: Mapping[str, str],
    min_overlap: float = MIN_OVERLAP,
) -> list[PassageCluster]:
    """Clusters of the same passage across documents (see the module docstring).

    Clusters are numbered largest first (ties: the most text, then by their first
    member); members are ordered by their document's ``date`` metadata when present,
    else by id, then position. A member's span is the extent of the occurrences joined
    in its region.
    """
    check_min_overlap(min_overlap)
    doc_ids = sorted({d for pair in pairs for d in (pair.a, pair.b)})
    if not doc_ids or not any(pair.passages for pair in pairs):
        return []
    doc_index = {d: i for i, d in enumerate(doc_ids)}
    occ_doc, occ_start, occ_end = _occurrences(pairs, doc_index)

    # Distinct spans, ordered for the greedy seeding: by doc, longest first, by start.
    by_span = np.lexsort((occ_end, occ_start, occ_doc))
    sd, ss, se = occ_doc[by_span], occ_start[by_span], occ_end[by_span]
    fresh = np.ones(by_span.shape[0], dtype=bool)
    fresh[1:] = (sd[1:] != sd[:-1]) | (ss[1:] != ss[:-1]) | (se[1:] != se[:-1])
    distinct = np.stack([sd[fresh], ss[fresh], se[fresh]], axis=1)
    inverse = np.empty(by_span.shape[0], dtype=np.int64)
    inverse[by_span] = np.cumsum(fresh) - 1
    order = np.lexsort((distinct[:, 1], distinct[:, 1] - distinct[:, 2], distinct[:, 0]))
    region_sorted = seed_regions(
        distinct[order, 0], distinct[order, 1], distinct[order, 2], min_overlap
    )
    span_region = np.empty_like(region_sorted)
    span_region[order] = region_sorted
    occ_region = span_region[inverse]

    # Each region's document and extent.
    n_regions = int(region_sorted.max()) + 1
    region_doc = np.zeros(n_regions, dtype=np.int64)
    region_doc[span_region] = distinct[:, 0]
    region_start = np.full(n_regions, np.iinfo(np.int64).max, dtype=np.int64)
    region_end = np.zeros(n_regions, dtype=np.int64)
    np.minimum.at(region_start, span_region, distinct[:, 1])
    np.maximum.at(region_end, span_region, distinct[:, 2])

    labels = connected_components(n_regions, occ_region.reshape(-1, 2))
    dates = dict(zip(doc_ids, _dates(doc_ids, meta), strict=True))

    # Regions in (doc, start) order; overlapping regions of one document that ended
    # up in the same cluster (a paragraph shared as 1-3 with one partner and as 1-4
    # with another) are one member: a cluster counts stretches of text, not edges.
    grouped: dict[int, list[Member]] = {}
    for r in np.lexsort((region_start, region_doc)).tolist():
        doc = doc_ids[int(region_doc[r])]
        start, end = int(region_start[r]), int(region_end[r])
        members = grouped.setdefault(int(labels[r]), [])
        last = members[-1] if members else None
        if last is not None and last.doc == doc and start < last.end:
            members[-1] = Member(doc, last.start, max(last.end, end))
        else:
            members.append(Member(doc, start, end))
    ordered = [
        sorted(members, key=lambda m: _order_key(dates[m.doc], m.doc, m.start))
        for members in grouped.values()
    ]
    ordered.sort(
        key=lambda ms: (-len(ms), -sum(m.end - m.start for m in ms), ms[0].doc, ms[0].start)
    )

    parents = _parents(ordered, min_overlap)
    clusters = []
    for cid, members in enumerate(ordered):
        first = members[0]
        text = (texts.get(first.doc) or "")[first.start : first.end]  # "" if unreadable
        truncated = len(text) > REPRESENTATIVE_CHARS
        clusters.append(
            PassageCluster(
                cid, tuple(members), text[:REPRESENTATIVE_CHARS], truncated, parents[cid]
            )
        )
    return clusters


def _parents(clusters: Sequence[Sequence[Member]], min_overlap: float) -> list[int | None]:
    """For each cluster, the larger cluster it is a fragment of, or None.

    A cluster is a fragment of cluster P when every one of its members lies (by at
    least ``min_overlap`` of its length) inside a member of P on the same document:
    an edit that broke some copies of a passage into halves gives clusters of the
    halves whose documents all hold the whole passage too. Only marked, never merged,
    so the rule adds no chaining. ``clusters`` are ordered largest first and a parent
    always comes before its fragments (no cycles).
    """
    by_doc: dict[str, list[tuple[int, int, int]]] = {}
    for cid, members in enumerate(clusters):
        for m in members:
            by_doc.setdefault(m.doc, []).append((m.start, m.end, cid))
    parents: list[int | None] = []
    for cid, members in enumerate(clusters):
        candidates: set[int] | None = None
        for m in members:
            need = min_overlap * max(m.end - m.start, 1)
            inside = {
                other
                for start, end, other in by_doc[m.doc]
                if other < cid and min(end, m.end) - max(start, m.start) >= need
            }
            candidates = inside if candidates is None else candidates & inside
            if not candidates:
                break
        parents.append(min(candidates) if candidates else None)
    return parents


# --- document clusters ------------------------------------------------------------


def document_clusters(
    pairs: list[Pair],
    doc_ids: list[str],
    meta: Mapping[str, dict[str, Any]],
    min_containment: float = MIN_CONTAINMENT,
    copy_containment: float = COPY_CONTAINMENT,
) -> list[DocumentRole]:
    """Every document's cluster and role (see the module docstring), in id order.

    Clusters are numbered largest first, ties by their smallest document id;
    unique documents come last, each a cluster of its own.
    """
    ids = sorted(doc_ids)
    index = {d: i for i, d in enumerate(ids)}
    strong = [
        p
        for p in pairs
        if max(p.containment_a, p.containment_b) >= min_containment
        and p.a in index
        and p.b in index
    ]
    left = np.array([index[p.a] for p in strong], dtype=np.int64)
    right = np.array([index[p.b] for p in strong], dtype=np.int64)
    labels = connected_components(len(ids), np.stack((left, right), axis=1))
    sizes = np.bincount(labels, minlength=int(labels.max()) + 1 if len(ids) else 0)
    # Cluster numbers: largest first, then by smallest member (labels already are).
    cluster_order = np.lexsort((np.arange(sizes.shape[0]), -sizes))
    cluster_id = np.empty_like(cluster_order)
    cluster_id[cluster_order] = np.arange(cluster_order.shape[0])

    dates = _dates(ids, meta)
    n = len(ids)
    cont_a = np.array([p.containment_a for p in strong], dtype=np.float64)
    cont_b = np.array([p.containment_b for p in strong], dtype=np.float64)
    # How much of its partners' text each document explains, in millionths: integer
    # sums are exact whatever the order of the pairs, so ties break by id, stably.
    micro_a, micro_b = explained_micro(cont_a), explained_micro(cont_b)
    score = np.bincount(left, weights=micro_b, minlength=n) + np.bincount(
        right, weights=micro_a, minlength=n
    )
    # Each document's best cover: the partner covering most of it (ties: smallest id,
    # and indices follow id order).
    me, other = np.concatenate([left, right]), np.concatenate([right, left])
    cont = np.concatenate([cont_a, cont_b])
    order = np.lexsort((other, -cont, me))
    first = order[np.flatnonzero(np.diff(me[order], prepend=-1))]
    best_of = np.full(n, -1, dtype=np.int64)
    best_cont = np.zeros(n, dtype=np.float64)
    best_of[me[first]], best_cont[me[first]] = other[first], cont[first]
    # Each cluster's original: earliest dated, then the most explaining, then by id.
    dated = sorted({d for d in dates if d is not None})
    rank = {d: i for i, d in enumerate(dated)}
    date_key = np.array([rank.get(d, len(dated)) if d else len(dated) for d in dates])
    by_cluster = np.lexsort((np.arange(n), -score, date_key, labels)) if n else labels
    heads = by_cluster[np.flatnonzero(np.diff(labels[by_cluster], prepend=-1))]
    is_original = np.zeros(n, dtype=bool)
    is_original[heads] = True

    roles = []
    for i, doc in enumerate(ids):
        label = int(labels[i])
        size = int(sizes[label])
        best = ids[int(best_of[i])] if best_of[i] >= 0 else None
        roles.append(
            document_role(
                doc,
                int(cluster_id[label]),
                size,
                bool(is_original[i]),
                (best, float(best_cont[i])),
                dates[i],
                copy_containment,
            )
        )
    return roles


def explained_micro(containment: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Containments in millionths, whole numbers: their sums are exact in any order
    (the document-cluster score that picks an original)."""
    return np.round(containment * 1e6)


def document_role(
    doc: str,
    cluster: int,
    size: int,
    original: bool,
    best_cover: tuple[str | None, float],
    date: str | None,
    copy_containment: float = COPY_CONTAINMENT,
) -> DocumentRole:
    """A document's role from its cluster (number and size), whether it is the
    cluster's original, and its best cover (the member covering most of it, and how
    much): the one rule of the local grouping and Spark's."""
    if size == 1:
        return DocumentRole(doc, cluster, size, UNIQUE, None, 0.0, date)
    if original:
        return DocumentRole(doc, cluster, size, ORIGINAL, None, 0.0, date)
    of, covered = best_cover
    role = COPY if covered >= copy_containment else PARTIAL_COPY
    return DocumentRole(doc, cluster, size, role, of, covered, date)


# --- output -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Groups:
    """Both kinds of cluster and the summary figures written with them."""

    passages: list[PassageCluster]
    documents: list[DocumentRole]
    summary: dict[str, Any]


def build_groups(
    pairs: list[Pair],
    doc_ids: list[str],
    meta: Mapping[str, dict[str, Any]],
    texts: Mapping[str, str],
) -> Groups:
    """Passage clusters, document roles and their summary figures."""
    clusters = passage_clusters(pairs, meta, texts)
    roles = document_clusters(pairs, doc_ids, meta)
    summary = grouping_summary(PassageFigures.of(clusters), RoleFigures.of(roles))
    return Groups(clusters, roles, summary)


@dataclass(frozen=True, slots=True)
class RoleFigures:
    """What the summary says of the document clusters."""

    roles: dict[str, int]  # documents per role, in the order of ROLES
    clusters: int  # clusters of two documents or more
    documents_in_clusters: int
    largest: int

    @classmethod
    def of(cls, roles: Sequence[DocumentRole]) -> RoleFigures:
        counts = {r: 0 for r in ROLES}
        for r in roles:
            counts[r.role] += 1
        clustered = [r for r in roles if r.cluster_size > 1]
        return cls(
            counts,
            len({r.cluster for r in clustered}),
            len(clustered),
            max((r.cluster_size for r in clustered), default=0),
        )


@dataclass(frozen=True, slots=True)
class PassageFigures:
    """What the summary says of the passage clusters."""

    clusters: int
    members: int
    largest: int  # members of the largest cluster
    fragments: int  # clusters that are ``part_of`` another

    @classmethod
    def of(cls, clusters: Sequence[PassageCluster]) -> PassageFigures:
        return cls(
            len(clusters),
            sum(c.size for c in clusters),
            max((c.size for c in clusters), default=0),
            sum(c.part_of is not None for c in clusters),
        )


def grouping_summary(passages: PassageFigures, roles: RoleFigures) -> dict[str, Any]:
    """The grouping's figures merged into summary.json."""
    return {
        "passage_clusters": passages.clusters,
        "passage_cluster_members": passages.members,
        "largest_passage_cluster": passages.largest,
        "passage_cluster_fragments": passages.fragments,
        "document_clusters": roles.clusters,
        "documents_in_clusters": roles.documents_in_clusters,
        "largest_document_cluster": roles.largest,
        "roles": {r: roles.roles.get(r, 0) for r in ROLES},
        "grouping": {
            "min_overlap": MIN_OVERLAP,
            "min_containment": MIN_CONTAINMENT,
            "copy_containment": COPY_CONTAINMENT,
        },
    }


def write_groups(
    out_dir: Path,
    pairs: list[Pair],
    doc_ids: list[str],
    meta: Mapping[str, dict[str, Any]],
    texts: Mapping[str, str],
) -> dict[str, Any]:
    """Write clusters.jsonl and documents.jsonl (each atomically); return the summary."""
    groups = build_groups(pairs, doc_ids, meta, texts)
    save_groups(Path(out_dir), groups)
    return groups.summary


def save_groups(out_dir: Path, groups: Groups) -> None:
    """Write already built groups: clusters.jsonl and documents.jsonl."""
    write_jsonl(out_dir / "clusters.jsonl", (c.to_json() for c in groups.passages))
    write_jsonl(out_dir / "documents.jsonl", (r.to_json() for r in groups.documents))
