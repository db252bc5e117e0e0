"""The dedup stages as functions on arrays: every input explicit, nothing about who
runs them (one process, a pool, a Spark task) or where the data lives.

Documents are numbered 0..n-1 in input order; a pair is a row ``(a, b)`` of an
``(m, 2)`` int64 array. Ties are always broken by document number (the input order)
or by the keep rank, which itself falls back to it, so results depend on the data
and the order of the input, never on batching or the number of workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import xxhash

from reprints.boilerplate import MarkedSpan
from reprints.documents import Repeat
from reprints.minhash import (
    MinHasher,
    Shingles,
    band_keys,
    batch_shingles,
    candidate_pairs,
    sorted_jaccard,
)
from reprints.text import Tokenizer

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
F64 = npt.NDArray[np.float64]
Status = npt.NDArray[np.int8]

EXACT, NEAR, CONTAINED = "exact", "near-duplicate", "contained"
KEPT, REMOVED, SKIPPED = 0, 1, 2
NO_WORDS = "no words"
DIGITS = 4  # scores are rounded so that output bytes do not depend on float noise


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a document is removed: the kept document ``kept`` stands for it."""

    kept: int
    reason: str
    score: float


# --- sketch ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sketch:
    """What dedup needs of a batch of documents, in batch order."""

    tokens: I64  # tokens per document (0: no words, the document is skipped)
    exact: U64  # shape (k, 2): 128-bit hash of the normalised token stream
    shingles: Shingles  # each document's n-gram hashes, sorted, without repeats
    signatures: U32  # shape (k, num_perm): MinHash of the shingles


def sketch(texts: Sequence[str], tokenizer: Tokenizer, hasher: MinHasher, ngram: int) -> Sketch:
    """Token counts, exact-copy hashes, shingles and MinHash signatures of ``texts``.

    Every figure of a document depends on its text alone (n-grams that would straddle
    two documents are dropped), so any batching of a collection gives the same arrays.
    """
    flat, offsets = tokenizer.hashes_batch(list(texts))
    bounds = offsets.tolist()
    hashes = [flat[bounds[k] : bounds[k + 1]] for k in range(len(texts))]
    shingles = batch_shingles(hashes, ngram).sorted_unique()
    # Whitespace, case, quotes and dashes are gone from the token hashes: documents
    # with the same stream are copies whatever their spacing or typography.
    exact = np.array(
        [divmod(xxhash.xxh3_128_intdigest(h.tobytes()), 1 << 64) for h in hashes],
        dtype=np.uint64,
    ).reshape(-1, 2)
    return Sketch(
        tokens=np.fromiter((h.shape[0] for h in hashes), dtype=np.int64, count=len(hashes)),
        exact=exact,
        shingles=shingles,
        signatures=hasher.signatures(shingles),
    )


# --- exact copies ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExactGroups:
    """Documents with the same token stream (exact copies of each other)."""

    exact_of: I64  # each document's group's first member (itself when alone or skipped)
    edges: I64  # (m, 2): every other member to its group's first member
    representatives: I64  # the first member of each group, the only ones LSH sees


def exact_groups(exact: U64, has_words: npt.NDArray[np.bool_]) -> ExactGroups:
    """Group the documents with words by their 128-bit token-stream hash."""
    n = exact.shape[0]
    valid = np.flatnonzero(has_words)
    order = valid[np.lexsort((valid, exact[valid, 1], exact[valid, 0]))]
    exact_of = np.arange(n, dtype=np.int64)
    if not order.size:
        return ExactGroups(exact_of, np.zeros((0, 2), np.int64), order)
    same = np.all(exact[order][1:] == exact[order][:-1], axis=1)
    group_start = np.concatenate(([True], ~same))
    group_first = order[np.maximum.accumulate(np.where(group_start, np.arange(order.size), 0))]
    exact_of[order] = group_first
    edges = np.stack((order[~group_start], group_first[~group_start]), axis=1)
    return ExactGroups(exact_of, edges, order[group_start])


# --- near-duplicates -------------------------------------------------------------------


def lsh_candidates(signatures: U32, representatives: I64, bands: int, rows: int) -> I64:
    """Pairs of representatives that share an LSH band key, as document numbers
    (unique, ``a < b``, sorted)."""
    if not representatives.size:
        return np.zeros((0, 2), np.int64)
    keys = band_keys(signatures[representatives], bands, rows)
    return representatives[candidate_pairs(keys)]


def pair_jaccards(shingle_pairs: Iterable[tuple[U64, U64]], count: int) -> F64:
    """Exact n-gram Jaccard of each pair of shingle sets (sorted, without repeats):
    the verification of LSH candidates, wherever the shingles are read from."""
    return np.fromiter(
        (sorted_jaccard(a, b) for a, b in shingle_pairs), dtype=np.float64, count=count
    )


def known_scores(queries: I64, pairs: I64, scores: F64, n: int) -> F64:
    """The score of each queried pair among the scored ``pairs`` (either order), NaN
    where it was not scored; ``n`` bounds the document numbers."""
    out = np.full(queries.shape[0], np.nan)
    if pairs.shape[0] == 0 or queries.shape[0] == 0:
        return out
    codes = pairs.min(axis=1) * n + pairs.max(axis=1)
    order = np.argsort(codes)
    codes = codes[order]
    wanted = queries.min(axis=1) * n + queries.max(axis=1)
    at = np.minimum(np.searchsorted(codes, wanted), codes.shape[0] - 1)
    hit = codes[at] == wanted
    out[hit] = scores[order[at[hit]]]
    return out


# --- keep ------------------------------------------------------------------------------


def keep_rank(
    keep: str, tokens: I64, ids: Sequence[str], values: Sequence[Any] | None = None
) -> I64:
    """Rank of every document under the keep policy (lower is kept first): ``first``
    (the smallest id), ``longest`` (most tokens), or any other name: the smallest of
    the documents' ``values`` of that field, documents without one last.

    Ties go to the smaller id (code-point order), never to the read order: the same
    collection read in any order keeps the same documents.
    """
    n = tokens.shape[0]
    if len(ids) != n:
        raise ValueError("keep_rank needs one id per document")
    by_id = np.empty(n, dtype=np.int64)
    by_id[np.array(sorted(range(n), key=ids.__getitem__), dtype=np.int64)] = np.arange(n)
    if keep == "first":
        return by_id
    if keep == "longest":
        order = np.lexsort((by_id, -tokens))
    else:
        if values is None or len(values) != n:
            raise ValueError(f"keep by field {keep!r} needs one value per document")
        keys = [_field_key(values[k], int(by_id[k])) for k in range(n)]
        order = np.array(sorted(range(n), key=keys.__getitem__), np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    return rank


def _field_key(value: Any, tie: int) -> tuple[int, str, Any, int]:
    # Values of different types are ordered by type name first, so that a stray
    # number among dates never breaks the sort.
    if value is None:
        return (1, "", 0, tie)
    if isinstance(value, bool | int | float):
        return (0, "number", float(value), tie)
    return (0, type(value).__name__, value if isinstance(value, str) else str(value), tie)


def kept_of_cluster(labels: I64, rank: I64) -> I64:
    """For every document, the member its cluster keeps: the best under ``rank``."""
    n = labels.shape[0]
    by_cluster = np.lexsort((rank, labels))
    kept_of = np.empty(n, dtype=np.int64)
    if not n:
        return kept_of
    first = np.concatenate(([True], labels[by_cluster][1:] != labels[by_cluster][:-1]))
    kept_of[by_cluster] = by_cluster[np.maximum.accumulate(np.where(first, np.arange(n), 0))]
    return kept_of


@dataclass(frozen=True, slots=True)
class ClusterKeep:
    """One cluster's decisions: which member stays and why each other one goes.

    Members are indices into the arrays the cluster was decided from; ``near_pairs``
    are document numbers (rows of ``exact_of``), the pairs whose Jaccard scores the
    near losers, as :func:`near_removal_pairs` gives them."""

    kept: int
    exact_losers: I64
    near_losers: I64
    near_pairs: I64


def keep_in_cluster(
    keep: str, ids: Sequence[str], tokens: I64, exact_of: I64, values: Sequence[Any] | None = None
) -> ClusterKeep:
    """The keep rule on one cluster's members alone (``ids``, ``tokens``, keep field
    ``values`` and ``exact_of``, each member's exact group's first document number):
    what :func:`kept_of_cluster` and :func:`near_removal_pairs` decide for that
    cluster over the whole collection.

    :func:`keep_rank` of a subset orders it as the collection's rank does (ids are
    unique, and every tie falls back to them), so a runner holding one cluster at a
    time (a Spark task) keeps the same member as one holding every document.
    """
    m = tokens.shape[0]
    rank = keep_rank(keep, tokens, ids, values)
    kept_of = kept_of_cluster(np.zeros(m, dtype=np.int64), rank)
    losers = np.flatnonzero(kept_of != np.arange(m))
    exact_losers, near_losers, near_pairs = near_removal_pairs(losers, kept_of, exact_of)
    return ClusterKeep(int(kept_of[0]) if m else -1, exact_losers, near_losers, near_pairs)


# --- removal reasons -------------------------------------------------------------------


def near_removal_pairs(losers: I64, kept_of: I64, exact_of: I64) -> tuple[I64, I64, I64]:
    """Split the removed documents into exact copies of their kept document and
    near-duplicates of it; for the latter, the pair whose Jaccard is their score.

    Exact copies share their shingles, so a removed document scores as its exact
    group's representative does against the kept one's (most such pairs were scored
    as LSH candidates already). Returns (exact losers, near losers, their pairs).
    """
    is_exact = exact_of[losers] == exact_of[kept_of[losers]]
    near = losers[~is_exact]
    pairs = np.stack((exact_of[near], exact_of[kept_of[near]]), axis=1)
    return losers[is_exact], near, pairs


def removal_reasons(
    kept_of: I64, exact_losers: I64, near_losers: I64, near_scores: F64
) -> dict[int, Reason]:
    """Why each removed document goes: an exact copy (score 1) or a near-duplicate
    with its Jaccard, naming the kept document."""
    reasons: dict[int, Reason] = {}
    for k in exact_losers.tolist():
        reasons[k] = Reason(int(kept_of[k]), EXACT, 1.0)
    for k, score in zip(near_losers.tolist(), near_scores.tolist(), strict=True):
        reasons[k] = Reason(int(kept_of[k]), NEAR, round(float(score), DIGITS))
    return reasons


# --- containment -----------------------------------------------------------------------


# (document a, document b, share of a covered by b, share of b covered by a)
Containment = tuple[int, int, float, float]


def containers_of(
    pairs: Iterable[Containment], at_least: float
) -> dict[int, list[tuple[int, float]]]:
    """For each document, the documents covering at least ``at_least`` of it, with
    that share."""
    containers: dict[int, list[tuple[int, float]]] = {}
    for a, b, share_a, share_b in pairs:
        if share_a >= at_least:
            containers.setdefault(a, []).append((b, share_a))
        if share_b >= at_least:
            containers.setdefault(b, []).append((a, share_b))
    return containers


def contained_removals(
    containers: Mapping[int, Sequence[tuple[int, float]]], tokens: I64, rank: I64
) -> dict[int, Reason]:
    """The documents contained in a kept one, deciding the longest first.

    A container is at least about as long as what it contains, so deciding documents
    by decreasing length means a document's container has been decided (and kept)
    before the document itself; between two documents that contain each other the
    keep policy decides. Every document named must be kept so far.
    """
    involved = sorted(
        set(containers) | {c for found in containers.values() for c, _ in found},
        key=lambda k: (-int(tokens[k]), int(rank[k])),
    )
    decided: set[int] = set()
    removed: dict[int, Reason] = {}
    for k in involved:
        options = [
            (score, -int(rank[c]), c)
            for c, score in containers.get(k, [])
            if c in decided and c not in removed
        ]
        decided.add(k)
        if options:
            score, _, container = max(options)
            removed[k] = Reason(container, CONTAINED, round(score, DIGITS))
    return removed


# --- repeats ---------------------------------------------------------------------------


def _line_edges(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span widened to the edges of its lines, or None when it does not cover
    them: only punctuation and spaces may lie between the span and its line edges
    (passages begin and end on tokens, so a paragraph's closing ``.)`` or opening
    quote is not part of them)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if any(c.isalnum() for c in text[line_start:start]) or any(
        c.isalnum() for c in text[end:line_end]
    ):
        return None
    return line_start, line_end


def repeat_cuts(text: str, repeats: Iterable[Repeat]) -> list[MarkedSpan]:
    """The repeats of a document worth cutting: whole lines that repeat whole lines.

    A document pasted twice repeats whole paragraphs, and the second copy goes. A
    passage that only partly repeats a line (a teaser or summary that quotes an
    article's first sentence, a pull quote) is kept: cutting it would leave broken
    paragraphs, and which copy is the "real" one is no longer clear.
    """
    cuts = []
    for r in repeats:
        first = _line_edges(text, r.first_start, r.first_end)
        again = _line_edges(text, r.repeat_start, r.repeat_end)
        if first is not None and again is not None and first[1] <= again[0]:
            cuts.append(MarkedSpan(again[0], again[1], "repeat"))
    return cuts
