"""Alignment: from the n-grams two token streams share to passages with offsets.

The method is the one of passim and BLAST-style aligners, on token hashes:

1. *Seeds*: every position pair (i, j) where the ``seed_ngram``-gram at i in A
   equals the one at j in B (shorter than the anchors' n-grams: the index only has to
   bring the pair together, the alignment has to see between edits). n-grams
   touching boilerplate never seed; an n-gram repeated more than ``max_repeat``
   times in either text is too common to place and is skipped.
2. *Diagonal runs*: seeds on one diagonal (j - i) whose n-grams touch, or are
   separated by at most ``max_gap`` tokens (a changed word breaks the n-grams around
   it), merge into one run. Numpy does this for all seeds at once.
3. *Chains*: runs follow each other when the gap on both sides is at most
   ``max_gap`` tokens and the diagonal drifts by no more (a word inserted or
   dropped). The gaps inside a chain are aligned token by token with difflib, which
   stays cheap because gaps are short.
4. *Extension*: past each end of a chain, an ungapped X-drop extension takes in the
   few matching tokens left after a final edit, and stops where the texts part.

A chain becomes a passage when both sides span at least ``min_tokens`` tokens, its
similarity (matching tokens / longer side) is at least ``min_similarity``, it holds
an anchor that the candidate index admitted (``Admission.anchors``), and at most half
of its tokens in A are stock text (``Admission.stock``: stretches made of anchors
capped as too common), so that text shared only through stock phrases or a common
footer never becomes a passage, even when a rare word beside it let the pair in.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reprints.arrays import distinct, range_rows
from reprints.documents import Pair, Passage, Repeat, SelfRepeats
from reprints.fingerprint import ngram_hashes, usable_ngrams
from reprints.seeds import SentenceIndex, SentenceParams, fragments
from reprints.text import Tokens

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


_SENTENCES = SentenceParams()  # frozen: one shared default is safe


@dataclass(frozen=True, slots=True)
class AlignParams:
    """Alignment settings; defaults suit prose with light editing or OCR noise."""

    ngram: int = 5  # the anchors' n-gram (the candidate index)
    seed_ngram: int = 3  # the seeds' n-gram inside one pair: shorter, to see past edits
    min_tokens: int = 20
    max_gap: int = 12
    min_similarity: float = 0.5
    max_repeat: int = 16
    sentences: SentenceParams | None = _SENTENCES  # None: n-gram seeds only
    merge_gap: int = 100  # passages this close on both sides are one passage
    cross_gap: int = 12  # ...or this close, when they come in opposite orders in A and B
    # Between long documents a passage needs more than min_tokens: the chance of a
    # chance match grows with the search space. Documents whose lengths' geometric
    # mean is ``long_docs`` tokens or less need min_tokens; each doubling beyond adds
    # ``length_growth`` times min_tokens. Exact copies need min_tokens only.
    long_docs: int = 400
    length_growth: float = 0.3


@dataclass(frozen=True, slots=True)
class Admission:
    """What the candidate index allows of document A in one alignment.

    ``anchors[i]``: A's n-gram i is an anchor shared with B and not capped.
    ``stock[t]``: A's token t lies in text the index found too common to pair on.
    """

    anchors: npt.NDArray[np.bool_]
    stock: npt.NDArray[np.bool_] | None = None

    @classmethod
    def everything(cls, tokens: Tokens, ngram: int) -> Admission:
        """No collection to judge by (two documents compared on their own)."""
        return cls(np.ones(max(len(tokens) - ngram + 1, 0), dtype=bool))


@dataclass(frozen=True, slots=True)
class TokenPassage:
    """A passage in token coordinates: A's tokens [a0, a1) align with B's [b0, b1)."""

    a0: int
    a1: int
    b0: int
    b1: int
    matches: int

    @property
    def similarity(self) -> float:
        return self.matches / max(self.a1 - self.a0, self.b1 - self.b0, 1)


@dataclass(slots=True)
class _Run:
    a0: int
    a1: int
    b0: int
    b1: int
    covered: int  # tokens of A inside the run covered by matching n-grams


@dataclass(slots=True)
class _Chain:
    runs: list[_Run]
    a1: int
    b1: int


@dataclass(frozen=True, slots=True)
class SeedIndex:
    """A document's usable seed n-grams sorted by hash, built once per document.

    Finding the seeds of a pair then costs a binary search per n-gram of the shorter
    side, so a long document aligned with many short ones (a book quoted by a
    thousand reviews) is sorted once, not once per pair.
    """

    positions: I64  # usable n-gram positions, ordered by (hash, position)
    hashes: U64  # their hashes, ascending

    @classmethod
    def of(cls, tokens: Tokens, n: int) -> SeedIndex:
        grams = ngram_hashes(tokens.hashes, n)
        usable = np.flatnonzero(usable_ngrams(tokens, n))
        order = usable[np.argsort(grams[usable], kind="stable")].astype(np.int64)
        return cls(order, grams[order])

    def __len__(self) -> int:
        return int(self.positions.shape[0])

    def find(self, hashes: U64) -> tuple[I64, I64]:
        """Where each hash's run starts and ends in :attr:`hashes`."""
        lo = np.searchsorted(self.hashes, hashes, side="left").astype(np.int64)
        return lo, np.searchsorted(self.hashes, hashes, side="right").astype(np.int64)


def seeds(a: SeedIndex, b: SeedIndex, max_repeat: int) -> tuple[I64, I64]:
    """Every (i, j) where A's usable n-gram i equals B's usable n-gram j, neither
    repeated more than ``max_repeat`` times in its text; the work is a binary search
    per n-gram of the shorter text."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    lo, hi = long.find(short.hashes)
    counts = hi - lo
    own_lo, own_hi = short.find(short.hashes)
    # An n-gram found too often in either text is too common to place.
    counts[(counts > max_repeat) | (own_hi - own_lo > max_repeat)] = 0
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    at_short = np.repeat(short.positions, counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    at_long = long.positions[np.repeat(lo, counts) + offsets]
    return (at_short, at_long) if short is a else (at_long, at_short)


def seeds_against(
    a: SeedIndex, others: Sequence[Tokens], n: int, max_repeat: int
) -> list[tuple[I64, I64]]:
    """:func:`seeds` of A with each of ``others`` (``(i, j)``: A's position, the other's),
    the same pairs in another order, in numpy passes over all of them at once: a query
    beside its candidates costs a few array operations, not a few per candidate."""
    if not others:
        return []
    grams, owner, at = _joined_usable_ngrams(others, n)
    # Each n-gram's repeats inside its own text: the size of its (text, hash) group.
    order = np.lexsort((grams, owner))
    grams, owner, at = grams[order], owner[order], at[order]
    new_group = np.ones(grams.shape[0], dtype=bool)
    new_group[1:] = (grams[1:] != grams[:-1]) | (owner[1:] != owner[:-1])
    starts = np.flatnonzero(new_group)
    own = np.diff(np.append(starts, grams.shape[0]))
    own = np.repeat(own, own)
    lo, hi = a.find(grams)
    counts = hi - lo
    counts[(counts > max_repeat) | (own > max_repeat)] = 0
    rows, source = range_rows(lo, lo + counts)
    i, j, pair_owner = a.positions[rows], at[source], owner[source]
    bounds = np.searchsorted(pair_owner, np.arange(len(others) + 1))
    return [(i[x:y], j[x:y]) for x, y in itertools.pairwise(bounds)]


def _joined_usable_ngrams(docs: Sequence[Tokens], n: int) -> tuple[U64, I64, I64]:
    """The usable n-grams of all ``docs`` (:func:`usable_ngrams`): hash, document and
    position of each, in document then position order."""
    sizes = np.fromiter((len(t) for t in docs), dtype=np.int64, count=len(docs))
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    counts = np.maximum(sizes - n + 1, 0)
    starts, owner = range_rows(offsets[:-1], offsets[:-1] + counts)
    hashes = np.concatenate([t.hashes for t in docs]).astype(np.uint64, copy=False)
    grams = ngram_hashes(hashes, n)[starts] if starts.shape[0] else np.zeros(0, np.uint64)
    if any(t.boilerplate is not None for t in docs):
        marks = [np.zeros(len(t), bool) if t.boilerplate is None else t.boilerplate for t in docs]
        marked = np.concatenate(([0], np.cumsum(np.concatenate(marks), dtype=np.int64)))
        usable = (marked[starts + n] - marked[starts]) == 0
        grams, owner, starts = grams[usable], owner[usable], starts[usable]
    return grams, owner, starts - offsets[owner]


def diagonal_runs(i: I64, j: I64, n: int, max_gap: int) -> list[_Run]:
    """Merge seeds on the same diagonal into runs (vectorised), sorted by (a0, b0)."""
    if i.shape[0] == 0:
        return []
    diag = j - i
    order = np.lexsort((i, diag))
    i, diag = i[order], diag[order]
    step = np.diff(i)
    new_run = np.ones(i.shape[0], dtype=bool)
    new_run[1:] = (diag[1:] != diag[:-1]) | (step > n + max_gap)
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], i.shape[0]) - 1
    # Tokens covered by the run's n-grams: each seed adds min(step to next seed, n).
    cover = np.minimum(np.append(step, n), n)
    cover[ends] = n
    covered = np.add.reduceat(cover, starts)
    a0, a1 = i[starts], i[ends] + n
    b0 = a0 + diag[starts]
    runs = [
        _Run(int(x0), int(x1), int(y0), int(y0 + (x1 - x0)), int(c))
        for x0, x1, y0, c in zip(a0, a1, b0, covered, strict=True)
    ]
    runs.sort(key=lambda r: (r.a0, r.b0))
    return runs


def chain_runs(runs: list[_Run], n: int, max_gap: int) -> list[_Chain]:
    """Greedy co-linear chaining: each run extends the chain it follows most closely."""
    open_chains: list[_Chain] = []
    done: list[_Chain] = []
    for run in runs:
        still_open: list[_Chain] = []
        for chain in open_chains:
            (still_open if chain.a1 >= run.a0 - max_gap else done).append(chain)
        open_chains = still_open
        best, best_gap = None, None
        for chain in open_chains:
            gap_a, gap_b = run.a0 - chain.a1, run.b0 - chain.b1
            if not (-n <= gap_a <= max_gap and -n <= gap_b <= max_gap):
                continue
            if abs(gap_a - gap_b) > max_gap or run.a1 <= chain.a1 or run.b1 <= chain.b1:
                continue
            gap = max(gap_a, gap_b)
            if best_gap is None or gap < best_gap:
                best, best_gap = chain, gap
        if best is None:
            open_chains.append(_Chain([run], run.a1, run.b1))
        else:
            best.runs.append(run)
            best.a1, best.b1 = max(best.a1, run.a1), max(best.b1, run.b1)
    return done + open_chains


def _gap_matches(a: U64, b: U64) -> int:
    """Matching tokens in a short unaligned stretch (difflib: longest matching blocks)."""
    if a.shape[0] == 0 or b.shape[0] == 0:
        return 0
    matcher = difflib.SequenceMatcher(None, a.tolist(), b.tolist(), autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def _extend(a: U64, b: U64, limit: int) -> tuple[int, int]:
    """Ungapped X-drop extension: how far the texts go on matching (length, matches)."""
    size = min(a.shape[0], b.shape[0], limit)
    if size == 0:
        return 0, 0
    equal = a[:size] == b[:size]
    score = np.cumsum(np.where(equal, 1, -1))
    best = int(np.argmax(score))
    if score[best] <= 0:
        return 0, 0
    return best + 1, int(equal[: best + 1].sum())


def _unmarked(marks: npt.NDArray[np.bool_] | None, limit: int) -> int:
    """How many of the first ``limit`` tokens of ``marks`` come before boilerplate."""
    if marks is None:
        return limit
    hit = np.flatnonzero(marks[:limit])
    return int(hit[0]) if hit.size else limit


def _chain_passage(chain: _Chain, a: Tokens, b: Tokens, params: AlignParams) -> TokenPassage:
    ha, hb, ma, mb = a.hashes, b.hashes, a.boilerplate, b.boilerplate
    runs = chain.runs
    a0, b0 = runs[0].a0, runs[0].b0
    a1, b1 = chain.a1, chain.b1
    matches = runs[0].covered
    reach_a, reach_b = runs[0].a1, runs[0].b1
    for run in runs[1:]:
        if run.a0 > reach_a and run.b0 > reach_b:
            matches += _gap_matches(ha[reach_a : run.a0], hb[reach_b : run.b0])
        # Overlapping runs (a drifting diagonal) count their overlap once.
        overlap = max(0, reach_a - run.a0, reach_b - run.b0)
        matches += max(0, run.covered - overlap)
        reach_a, reach_b = max(reach_a, run.a1), max(reach_b, run.b1)
    # Extend forward past a final edit, then backward past a first one; never into
    # boilerplate, which a site repeats word for word beside every article.
    limit = min(
        _unmarked(None if ma is None else ma[a1:], params.max_gap),
        _unmarked(None if mb is None else mb[b1:], params.max_gap),
    )
    step, hits = _extend(ha[a1:], hb[b1:], limit)
    a1, b1, matches = a1 + step, b1 + step, matches + hits
    if a0 > 0 and b0 > 0:
        limit = min(
            _unmarked(None if ma is None else ma[a0 - 1 :: -1], params.max_gap),
            _unmarked(None if mb is None else mb[b0 - 1 :: -1], params.max_gap),
        )
        step, hits = _extend(ha[a0 - 1 :: -1], hb[b0 - 1 :: -1], limit)
        a0, b0, matches = a0 - step, b0 - step, matches + hits
    return TokenPassage(a0, a1, b0, b1, min(matches, a1 - a0, b1 - b0))


def _keep(
    p: TokenPassage, admitted: Admission, params: AlignParams, whole: tuple[int, int] = (-1, -1)
) -> bool:
    """Whether a chain is a passage. ``whole``: the two documents' lengths (pairs only).

    A passage that is all of both documents is kept however short: two identical short
    documents are a duplicate, not a shared stock phrase.
    """
    entire = (p.a0, p.a1 - p.a0, p.b0, p.b1 - p.b0) == (0, whole[0], 0, whole[1])
    if min(p.a1 - p.a0, p.b1 - p.b0) < params.min_tokens and not entire:
        return False
    if p.similarity < params.min_similarity:
        return False
    if admitted.stock is not None and 2 * int(admitted.stock[p.a0 : p.a1].sum()) >= p.a1 - p.a0:
        return False
    return bool(admitted.anchors[p.a0 : max(p.a0 + 1, p.a1 - params.ngram + 1)].any())


@dataclass(frozen=True, slots=True)
class Alignment:
    """The passages two texts share, and which of their tokens match inside them."""

    passages: list[TokenPassage]
    matched_a: npt.NDArray[np.bool_]
    matched_b: npt.NDArray[np.bool_]

    def containment_a(self) -> float:
        """Share of A's tokens that match B's inside a shared passage."""
        return float(self.matched_a.mean()) if self.matched_a.size else 0.0

    def containment_b(self) -> float:
        return float(self.matched_b.mean()) if self.matched_b.size else 0.0


def _seed_cover(
    positions: I64, n: int, spans: list[tuple[int, int]], length: int
) -> npt.NDArray[np.bool_]:
    """Tokens inside the spans that a seed n-gram covers (they match the other text)."""
    if not spans:  # most candidate pairs: no passage, nothing to cover
        return np.zeros(length, dtype=bool)
    marks = np.zeros(length + 1, dtype=np.int32)
    np.add.at(marks, positions, 1)
    np.add.at(marks, np.minimum(positions + n, length), -1)
    covered = np.cumsum(marks[:length]) > 0
    inside = np.zeros(length + 1, dtype=np.int32)
    for start, end in spans:
        inside[start] += 1
        inside[end] -= 1
    return covered & (np.cumsum(inside[:length]) > 0)


def _ngram_seeds(
    a: Tokens,
    b: Tokens,
    params: AlignParams,
    indexes: tuple[SeedIndex, SeedIndex] | None,
    found: tuple[I64, I64] | None,
) -> tuple[I64, I64]:
    if found is not None:
        return found
    n = params.seed_ngram
    ia, ib = indexes or (SeedIndex.of(a, n), SeedIndex.of(b, n))
    return seeds(ia, ib, params.max_repeat)


def align(
    a: Tokens,
    b: Tokens,
    admitted: Admission,
    params: AlignParams,
    indexes: tuple[SeedIndex, SeedIndex] | None = None,
    sentence_indexes: tuple[SentenceIndex, SentenceIndex] | None = None,
    unseeded: bool = False,
    pair_seeds: tuple[I64, I64] | None = None,
) -> Alignment:
    """Passages shared by two different documents, sorted by position in A.

    ``admitted`` says which of A's anchors let the candidate index pair these
    documents and which of A's tokens are stock text. ``indexes`` and
    ``sentence_indexes``: the two documents' :class:`SeedIndex` (of
    ``params.seed_ngram``) and :class:`~reprints.seeds.SentenceIndex` (of
    ``params.sentences``), when kept from an earlier alignment. ``unseeded``: the
    two texts, all their words in the bags, have no seed sentence pair
    (:func:`reprints.screen.may_seed` said so), so that the sentence fragments need
    not be sought unless near-verbatim passages take words out of the bags.
    ``pair_seeds``: the pair's n-gram seeds (:func:`seeds`), when already found with
    other pairs' (:func:`seeds_against`).
    """
    n = params.seed_ngram
    # Without an admitted anchor no chain is a passage (only sentence fragments can be):
    # the n-gram seeds are then needed only for the containment of what is found.
    anchored = bool(admitted.anchors.any())
    if unseeded and not anchored and params.sentences is not None:
        # No chain can be a passage and no sentence pair seeds a fragment: nothing.
        return Alignment([], np.zeros(len(a), dtype=bool), np.zeros(len(b), dtype=bool))
    i, j = (
        _ngram_seeds(a, b, params, indexes, pair_seeds)
        if anchored
        else (np.zeros(0, np.int64),) * 2
    )
    passages = _passages(i, j, a, b, admitted, params) if anchored else []
    if params.sentences is not None:
        explained = (_inside(passages, len(a), 0), _inside(passages, len(b), 2))
        sought = not unseeded or bool(explained[0].any() or explained[1].any())
        spans = fragments(a, b, params.sentences, explained, sentence_indexes) if sought else []
        found = [TokenPassage(a0, a1, b0, b1, 0) for a0, a1, b0, b1, _ in spans]
        found = [p for p in found if _keep_fragment(p, admitted, params)]
        passages = merge_passages(passages + _unexplained(found, passages), a, b, params)
    passages = _significant(passages, len(a), len(b), params)
    if passages and not anchored:
        i, j = _ngram_seeds(a, b, params, indexes, pair_seeds)
    return Alignment(
        passages,
        _seed_cover(i, n, [(p.a0, p.a1) for p in passages], len(a)),
        _seed_cover(j, n, [(p.b0, p.b1) for p in passages], len(b)),
    )


def min_length(length_a: int, length_b: int, params: AlignParams) -> float:
    """The fewest tokens a passage between documents of these lengths must span
    (unless it is an exact copy): ``min_tokens``, more between long documents."""
    mean = math.sqrt(max(length_a, 1) * max(length_b, 1))
    doublings = max(0.0, math.log2(mean / max(params.long_docs, 1)))
    return params.min_tokens * (1.0 + params.length_growth * doublings)


def _significant(
    passages: list[TokenPassage], length_a: int, length_b: int, params: AlignParams
) -> list[TokenPassage]:
    """The passages long enough for documents of these lengths (:func:`min_length`):
    two long documents share a sentence or two about the same thing by chance (a
    reworded sentence seed, a short chain through common words); an exact copy, or a
    passage that is all of one document, stands at ``min_tokens``."""
    floor = min_length(length_a, length_b, params)
    return [
        p
        for p in passages
        if min(p.a1 - p.a0, p.b1 - p.b0) >= floor
        or p.matches >= max(p.a1 - p.a0, p.b1 - p.b0)
        or p.a1 - p.a0 == length_a
        or p.b1 - p.b0 == length_b
    ]


def align_self(a: Tokens, admitted: Admission, params: AlignParams) -> list[TokenPassage]:
    """Passages of a document that repeat an earlier passage of its own.

    In each passage [a0, a1) is the first occurrence and [b0, b1) the repeat; the two
    never overlap (a periodic text is cut where its repeat begins).
    """
    n = params.seed_ngram
    index = SeedIndex.of(a, n)
    i, j = seeds(index, index, params.max_repeat)
    later = j >= i + n  # the trivial diagonal and overlapping self-matches say nothing
    found = _passages(i[later], j[later], a, a, admitted, params)
    trimmed = []
    for p in found:
        if p.a1 > p.b0:
            # Cut the first occurrence where the repeat begins, and the repeat to as
            # long (never past its own end: a drifting chain can be shorter in B).
            length = p.b0 - p.a0
            b1 = min(p.b1, p.b0 + length)
            p = TokenPassage(p.a0, p.b0, p.b0, b1, min(p.matches, length, b1 - p.b0))
        if _keep(p, admitted, params):
            trimmed.append(p)
    return trimmed


# A chain this similar has exact ends, found token by token: sentence seeds add nothing
# inside it.
_EXACT = 0.8


def _inside(passages: list[TokenPassage], length: int, side: int) -> npt.NDArray[np.bool_]:
    """Tokens of one side (0: A, 2: B) inside the near-verbatim passages."""
    marks = np.zeros(length + 1, dtype=np.int32)
    for p in passages:
        if p.similarity >= _EXACT:
            span = (p.a0, p.a1, p.b0, p.b1)
            marks[span[side]] += 1
            marks[span[side + 1]] -= 1
    return np.cumsum(marks[:length]) > 0


def _keep_fragment(p: TokenPassage, admitted: Admission, params: AlignParams) -> bool:
    """A sentence fragment stands on its own seeds (no anchor needed: dense edits leave
    none), but must be long enough and mostly not stock text."""
    if min(p.a1 - p.a0, p.b1 - p.b0) < params.min_tokens:
        return False
    return admitted.stock is None or 2 * int(admitted.stock[p.a0 : p.a1].sum()) < p.a1 - p.a0


def _unexplained(found: list[TokenPassage], chains: list[TokenPassage]) -> list[TokenPassage]:
    """Sentence fragments that the near-verbatim chains do not already explain.

    A chain of similarity 0.8 or more has exact ends, found token by token; a sentence
    fragment over it has sentence-grain ends and would only widen it by the
    neighbouring sentences. A fragment is dropped when such chains cover at least half
    of it on both sides; beside a reworded copy's verbatim stretch it stays.
    """
    exact = [c for c in chains if c.similarity >= _EXACT]
    kept = []
    for f in found:
        cover_a = sum(max(0, min(f.a1, c.a1) - max(f.a0, c.a0)) for c in exact)
        cover_b = sum(max(0, min(f.b1, c.b1) - max(f.b0, c.b0)) for c in exact)
        if 2 * cover_a < f.a1 - f.a0 or 2 * cover_b < f.b1 - f.b0:
            kept.append(f)
    return kept


def _bag_matches(a: Tokens, b: Tokens, a0: int, a1: int, b0: int, b1: int) -> int:
    """Tokens of the shorter count that find their word on the other side (either way)."""
    ha, hb = a.hashes[a0:a1], b.hashes[b0:b1]
    return min(int(np.isin(ha, hb).sum()), int(np.isin(hb, ha).sum()))


def _mergeable(x: list[int], y: list[int], gap: int, cross_gap: int) -> bool:
    """Whether spans x and y (a0, a1, b0, b1) are pieces of one copy: within ``gap``
    tokens of each other on both sides (``cross_gap`` when they come in opposite orders
    in A and B: a page quoting two stretches of a text, the later one first, is not
    one copy), and overlapping about as much on each side.

    A text that pastes a passage twice gives two spans side by side in A over the same
    stretch of B: close on both sides, but overlapping in B only; they stay two.
    """
    gap_a, gap_b = max(x[0], y[0]) - min(x[1], y[1]), max(x[2], y[2]) - min(x[3], y[3])
    if gap_a > gap or gap_b > gap:
        return False
    crossed = (x[0] < y[0]) != (x[2] < y[2]) and x[0] != y[0] and x[2] != y[2]
    if crossed and (gap_a > cross_gap or gap_b > cross_gap):
        return False
    shorter_a = max(min(x[1] - x[0], y[1] - y[0]), 1)
    shorter_b = max(min(x[3] - x[2], y[3] - y[2]), 1)
    overlap_a, overlap_b = max(0, -gap_a) / shorter_a, max(0, -gap_b) / shorter_b
    return abs(overlap_a - overlap_b) <= 0.5


def merge_passages(
    passages: list[TokenPassage], a: Tokens, b: Tokens, params: AlignParams
) -> list[TokenPassage]:
    """One passage for each copied stretch: passages that overlap, or lie within
    ``merge_gap`` tokens of each other on both sides, become their union.

    A copy with dense edits comes out of the seeds as pieces (n-gram chains broken at
    edits, sentence fragments beside them); reporting the pieces would count one copy
    several times (PAN's granularity). A merged passage's similarity is the share of
    its tokens whose word occurs on the other side (bag of words: word order inside a
    reworded passage says little).
    """
    spans = sorted({(p.a0, p.a1, p.b0, p.b1): p for p in passages}.items())
    current = [list(key) for key, _ in spans]
    merged: list[list[int]] = []
    changed = True
    while changed:
        changed, merged = False, []
        for span in sorted(current):
            for m in merged:
                if _mergeable(m, span, params.merge_gap, params.cross_gap):
                    m[0], m[1] = min(m[0], span[0]), max(m[1], span[1])
                    m[2], m[3] = min(m[2], span[2]), max(m[3], span[3])
                    changed = True
                    break
            else:
                merged.append(list(span))
        current = merged
    untouched = {key: p for key, p in spans if p.matches > 0}
    out = []
    for a0, a1, b0, b1 in merged:
        kept = untouched.get((a0, a1, b0, b1))
        out.append(kept or TokenPassage(a0, a1, b0, b1, _bag_matches(a, b, a0, a1, b0, b1)))
    out.sort(key=lambda p: (p.a0, p.b0, p.a1, p.b1))
    return out


def _passages(
    i: I64, j: I64, a: Tokens, b: Tokens, admitted: Admission, params: AlignParams
) -> list[TokenPassage]:
    runs = diagonal_runs(i, j, params.seed_ngram, params.max_gap)
    chains = _near_anchors(chain_runs(runs, params.seed_ngram, params.max_gap), admitted, params)
    passages = [_chain_passage(c, a, b, params) for c in chains]
    whole = (len(a), len(b)) if a is not b else (-1, -1)
    kept = [p for p in passages if _keep(p, admitted, params, whole)]
    kept.sort(key=lambda p: (p.a0, p.b0, p.a1, p.b1))
    return kept


def _near_anchors(chains: list[_Chain], admitted: Admission, params: AlignParams) -> list[_Chain]:
    """The chains whose passage can hold an admitted anchor, which :func:`_keep`
    requires: the passage extends a chain by at most ``max_gap`` tokens each way, so a
    chain with no admitted anchor within ``max_gap`` of it is never kept. Most chains
    of a chance candidate are such (a few seeds of common words, the pair's one shared
    anchor elsewhere): they are dropped before their passage is made."""
    at = np.flatnonzero(admitted.anchors)
    if not chains or not at.shape[0]:
        return []
    lo = np.array([c.runs[0].a0 for c in chains], dtype=np.int64) - params.max_gap
    hi = np.array([c.a1 for c in chains], dtype=np.int64) + params.max_gap
    first = np.searchsorted(at, lo)  # the first anchor at or after lo: before hi?
    near = (first < at.shape[0]) & (at[np.minimum(first, at.shape[0] - 1)] < hi)
    return [c for c, keep in zip(chains, near.tolist(), strict=True) if keep]


def ngram_jaccard(a: Tokens, b: Tokens, n: int) -> float:
    """Jaccard similarity of the two documents' sets of n-gram hashes."""
    return set_jaccard(distinct(ngram_hashes(a.hashes, n)), distinct(ngram_hashes(b.hashes, n)))


def set_jaccard(sa: U64, sb: U64) -> float:
    """Jaccard similarity of two sorted arrays of distinct values (a binary search per
    value of the smaller one)."""
    small, large = (sa, sb) if sa.shape[0] <= sb.shape[0] else (sb, sa)
    if small.shape[0] == 0:
        return 0.0
    at = np.minimum(np.searchsorted(large, small), max(large.shape[0] - 1, 0))
    shared = int((large[at] == small).sum()) if large.shape[0] else 0
    union = sa.shape[0] + sb.shape[0] - shared
    return shared / union


# --- alignments as records with character offsets ------------------------------------

_DIGITS = 4  # scores are rounded so that output bytes do not depend on float noise


def pair_of(
    a: str, b: str, ta: Tokens, tb: Tokens, admission: Admission, params: AlignParams
) -> Pair | None:
    """The passages documents ``a`` and ``b`` share, as a record with character offsets."""
    alignment = align(ta, tb, admission, params)
    if not alignment.passages:
        return None
    return pair_record(a, b, ta, tb, alignment, ngram_jaccard(ta, tb, params.ngram))


def pair_record(
    a: str, b: str, ta: Tokens, tb: Tokens, alignment: Alignment, jaccard: float
) -> Pair:
    """An alignment of ``ta`` with ``tb`` as the record of documents ``a`` and ``b``:
    the same alignment serves any documents with the same token streams, each with
    its own character offsets."""
    return Pair(
        a=a,
        b=b,
        containment_a=round(alignment.containment_a(), _DIGITS),
        containment_b=round(alignment.containment_b(), _DIGITS),
        jaccard=round(jaccard, _DIGITS),
        passages=tuple(_to_passage(p, ta, tb) for p in alignment.passages),
    )


def repeats_of(
    doc: str, tokens: Tokens, admission: Admission, params: AlignParams
) -> SelfRepeats | None:
    """The passages of a document that repeat an earlier passage of its own."""
    return repeats_record(doc, tokens, align_self(tokens, admission, params))


def repeats_record(doc: str, tokens: Tokens, found: list[TokenPassage]) -> SelfRepeats | None:
    """Passages found by :func:`align_self` as the record of document ``doc``."""
    if not found:
        return None
    repeats = []
    for p in found:
        span = _to_passage(p, tokens, tokens)
        repeats.append(Repeat(span.a_start, span.a_end, span.b_start, span.b_end, p.a1 - p.a0))
    return SelfRepeats(doc, tuple(repeats))


def _to_passage(p: TokenPassage, ta: Tokens, tb: Tokens) -> Passage:
    a_start, a_end = ta.char_span(p.a0, p.a1)
    b_start, b_end = tb.char_span(p.b0, p.b1)
    return Passage(a_start, a_end, b_start, b_end, p.a1 - p.a0, round(p.similarity, _DIGITS))
