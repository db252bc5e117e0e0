"""Sentence seeds: passages that survive dense word edits, translation and summary.

Word n-grams break under dense edits (with one word in four replaced, few 5-grams
survive) but most content words stay. Following the PAN 2014 text-alignment winner
(Sanchez-Perez, Sidorov and Gelbukh, CLEF 2014), each text is cut into sentences,
each sentence read as a bag of word classes (stems of content words, stop words
dropped: :mod:`reprints.words`), and:

1. *Seeds*: sentence pairs whose tf-isf cosine and whose Dice coefficient both pass a
   threshold (isf: inverse frequency over the sentences of both texts, so that the
   words the two texts use everywhere weigh nothing). Sparse matrix products find all
   of them at once.
2. *Clusters*: seeds are grouped along A (a new group where the gap between consecutive
   seeds' sentences exceeds ``gap``), then each group along B, alternately until stable.
   A cluster spans sentences [a0, a1] of A and [b0, b1] of B.
3. *Validation*: a cluster whose two spans, each as one bag, are less similar than
   ``validation`` is clustered again with a gap one smaller (it joined unrelated seeds).
4. *Summaries*: a summary condenses a long region into a few sentences whose words come
   from it, so its seeds lie far apart on the long side. Clusters made with the wider
   ``summary_gap`` are kept where one side is at least ``summary_ratio`` times longer
   than the other (and they validate); elsewhere the narrow clusters stand.
5. *Conflicts*: of two fragments that overlap on one side but not on the other (one
   sentence cannot be the copy of two places), the less similar one goes.

Everything is in sentence units; :func:`fragments` returns token spans.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from reprints.fingerprint import mix64
from reprints.text import Tokens

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
_PAIR_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class SentenceParams:
    """Settings of the sentence seeds (the published values of Sanchez-Perez et al.)."""

    min_words: int = 4  # a sentence with fewer content words joins the one before it
    max_tokens: int = 60  # longer "sentences" (lists, unpunctuated text) are cut
    cosine: float = 0.33
    dice: float = 0.33
    gap: int = 4  # sentences between seeds of one cluster
    validation: float = 0.34
    summary_gap: int = 24
    summary_ratio: float = 2.0


@dataclass(frozen=True, slots=True)
class Units:
    """A text's sentences as a sparse bag-of-words matrix.

    Sentence k spans tokens ``[bounds[k], bounds[k + 1])``; row k of ``counts`` holds
    its content words' counts over a vocabulary shared with the other text.
    """

    bounds: I64
    counts: sp.csr_matrix

    def __len__(self) -> int:
        return int(self.bounds.shape[0] - 1)


@dataclass(frozen=True, slots=True)
class Fragment:
    """Sentences [a0, a1) of A match sentences [b0, b1) of B, with this cosine."""

    a0: int
    a1: int
    b0: int
    b1: int
    similarity: float


def _content(tokens: Tokens) -> npt.NDArray[np.bool_]:
    assert tokens.stems is not None
    content = tokens.stems != 0
    if tokens.boilerplate is not None:
        content &= ~tokens.boilerplate
    return content


def sentence_bounds(tokens: Tokens, params: SentenceParams) -> I64:
    """Token index where each sentence begins, and the text's length at the end.

    A sentence with fewer than ``min_words`` content words is glued to the one before
    (a heading, "Yes."), and a sentence longer than ``max_tokens`` tokens is cut.
    """
    length = len(tokens)
    assert tokens.breaks is not None
    starts = np.flatnonzero(tokens.breaks)
    if starts.shape[0] == 0 or starts[0] != 0:
        starts = np.concatenate(([0], starts))
    ends = np.append(starts[1:], length)
    words = np.concatenate(([0], np.cumsum(_content(tokens), dtype=np.int64)))
    enough = (words[ends] - words[starts]) >= params.min_words
    keep = np.ones(starts.shape[0], dtype=bool)
    keep[1:] = enough[:-1]
    starts = starts[keep]
    # Cut long sentences every max_tokens tokens from their start.
    owner = np.maximum.accumulate(
        np.where(np.isin(np.arange(length), starts), np.arange(length), 0)
    )
    offset = np.arange(length) - owner
    cuts = np.flatnonzero(offset % params.max_tokens == 0)
    return np.append(cuts, length).astype(np.int64)


def units(a: Tokens, b: Tokens, params: SentenceParams) -> tuple[Units, Units]:
    """Both texts' sentences over one vocabulary (their word classes)."""
    bounds_a, bounds_b = sentence_bounds(a, params), sentence_bounds(b, params)
    pos_a, pos_b = np.flatnonzero(_content(a)), np.flatnonzero(_content(b))
    assert a.stems is not None and b.stems is not None
    _, vocab = np.unique(np.concatenate((a.stems[pos_a], b.stems[pos_b])), return_inverse=True)
    vocab = vocab.reshape(-1)
    size = int(vocab.max()) + 1 if vocab.shape[0] else 0

    def matrix(bounds: I64, pos: I64, words: I64) -> sp.csr_matrix:
        rows = np.searchsorted(bounds, pos, side="right") - 1
        shape = (bounds.shape[0] - 1, size)
        data = np.ones(pos.shape[0], dtype=np.float64)
        return sp.csr_matrix((data, (rows, words)), shape=shape)  # duplicates add up

    cut = pos_a.shape[0]
    return Units(bounds_a, matrix(bounds_a, pos_a, vocab[:cut])), Units(
        bounds_b, matrix(bounds_b, pos_b, vocab[cut:])
    )


def _weights(ua: Units, ub: Units) -> F64:
    """Inverse sentence frequency of every word over the sentences of both texts."""
    df = np.asarray((ua.counts > 0).sum(axis=0) + (ub.counts > 0).sum(axis=0)).reshape(-1)
    total = len(ua) + len(ub)
    return np.log(total / np.maximum(df, 1)).astype(np.float64)


def _normalized(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).reshape(-1))
    return sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ m)


def seed_pairs(ua: Units, ub: Units, idf: F64, params: SentenceParams) -> tuple[I64, I64]:
    """Sentence pairs (i, j) with cosine and Dice both above their thresholds."""
    if len(ua) == 0 or len(ub) == 0 or idf.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    binary_a, binary_b = (ua.counts > 0).astype(np.float64), (ub.counts > 0).astype(np.float64)
    shared = (binary_a @ binary_b.T).tocoo()
    sizes_a = np.asarray(binary_a.sum(axis=1)).reshape(-1)
    sizes_b = np.asarray(binary_b.sum(axis=1)).reshape(-1)
    i, j = shared.row.astype(np.int64), shared.col.astype(np.int64)
    dice = 2 * shared.data / np.maximum(sizes_a[i] + sizes_b[j], 1)
    ok = dice > params.dice
    i, j = i[ok], j[ok]
    weights = sp.diags(idf)
    wa = _normalized(sp.csr_matrix(ua.counts @ weights))
    wb = _normalized(sp.csr_matrix(ub.counts @ weights))
    # Cosine of only the pairs that passed Dice: row-wise dot products.
    cosine = np.asarray(wa[i].multiply(wb[j]).sum(axis=1)).reshape(-1)
    ok = cosine > params.cosine
    return i[ok], j[ok]


def _split(values: I64, gap: int) -> list[I64]:
    """Indices of ``values`` grouped where sorted consecutive values differ by > gap."""
    order = np.argsort(values, kind="stable")
    cuts = np.flatnonzero(np.diff(values[order]) > gap) + 1
    return np.split(order, cuts)


def cluster(i: I64, j: I64, gap: int) -> list[I64]:
    """Seeds grouped along A, then each group along B, alternately until stable."""
    groups = [np.arange(i.shape[0])]
    axis = 0
    stable_passes = 0
    while stable_passes < 2:
        values = i if axis == 0 else j
        out: list[I64] = []
        for g in groups:
            out.extend(g[part] for part in _split(values[g], gap))
        stable_passes = stable_passes + 1 if len(out) == len(groups) else 0
        groups, axis = out, 1 - axis
    return groups


def _span_cosine(ua: Units, ub: Units, idf: F64, f: tuple[int, int, int, int]) -> float:
    a0, a1, b0, b1 = f
    va = np.asarray(ua.counts[a0:a1].sum(axis=0)).reshape(-1) * idf
    vb = np.asarray(ub.counts[b0:b1].sum(axis=0)).reshape(-1) * idf
    norm = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb) / norm if norm else 0.0


def _clusters(
    i: I64, j: I64, ua: Units, ub: Units, idf: F64, gap: int, validation: float
) -> list[Fragment]:
    """Validated fragments: a cluster that fails validation is split with a smaller gap."""
    found: list[Fragment] = []
    for group in cluster(i, j, gap):
        if group.shape[0] == 0:
            continue
        gi, gj = i[group], j[group]
        span = (int(gi.min()), int(gi.max()) + 1, int(gj.min()), int(gj.max()) + 1)
        similarity = _span_cosine(ua, ub, idf, span)
        if similarity >= validation:
            found.append(Fragment(*span, similarity))
        elif gap > 0 and group.shape[0] > 1:
            found += _clusters(gi, gj, ua, ub, idf, gap - 1, validation)
    return found


def _overlaps(x0: int, x1: int, y0: int, y1: int) -> bool:
    return x0 < y1 and y0 < x1


def _resolve(found: list[Fragment]) -> list[Fragment]:
    """Drop the weaker of two fragments overlapping on exactly one side."""
    ranked = sorted(found, key=lambda f: (-f.similarity, f.a0, f.b0))
    kept: list[Fragment] = []
    for f in ranked:
        clash = any(
            _overlaps(f.a0, f.a1, k.a0, k.a1) != _overlaps(f.b0, f.b1, k.b0, k.b1) for k in kept
        )
        if not clash:
            kept.append(f)
    return sorted(kept, key=lambda f: (f.a0, f.b0))


def _is_summary(f: Fragment, ua: Units, ub: Units, ratio: float) -> bool:
    la = int(ua.bounds[f.a1] - ua.bounds[f.a0])
    lb = int(ub.bounds[f.b1] - ub.bounds[f.b0])
    return max(la, lb) >= ratio * max(min(la, lb), 1)


def _with_summaries(
    narrow: list[Fragment], wide: list[Fragment], ua: Units, ub: Units, ratio: float
) -> list[Fragment]:
    """The narrow fragments, with each wide summary-shaped fragment in place of the
    narrow ones inside it when those look like the pieces of a summary.

    A summary's sentences each match their own sentence of the source, so the narrow
    clusters cut it into pieces that follow each other on the summary's side and lie
    far apart on the long side: several pieces, none dominant, covering most of the
    summary. Around a real copy, a wide cluster instead adds stray seeds to one piece
    that covers most of it, and is not taken.
    """
    out = list(narrow)
    for w in wide:
        if not _is_summary(w, ua, ub, ratio):
            continue
        short_a = ua.bounds[w.a1] - ua.bounds[w.a0] <= ub.bounds[w.b1] - ub.bounds[w.b0]
        bounds, lo, hi = (ua.bounds, w.a0, w.a1) if short_a else (ub.bounds, w.b0, w.b1)
        inside = [f for f in out if w.a0 <= f.a0 and f.a1 <= w.a1 and w.b0 <= f.b0 and f.b1 <= w.b1]
        pieces = [(f.a0, f.a1) if short_a else (f.b0, f.b1) for f in inside]
        size = int(bounds[hi] - bounds[lo])
        lengths = [int(bounds[y] - bounds[x]) for x, y in pieces]
        covered = sum(int(bounds[y] - bounds[x]) for x, y in _union(pieces))
        if len(pieces) >= 2 and 2 * max(lengths) < size and 2 * covered >= size:
            out = [f for f in out if f not in inside] + [w]
    return out


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for x, y in sorted(spans):
        if merged and x <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], y))
        else:
            merged.append((x, y))
    return merged


def fragments(
    a: Tokens, b: Tokens, params: SentenceParams
) -> list[tuple[int, int, int, int, float]]:
    """Token spans ``(a0, a1, b0, b1, cosine)`` of the sentence fragments two texts share."""
    if a.stems is None or b.stems is None or a.breaks is None or b.breaks is None:
        return []
    if len(a) == 0 or len(b) == 0:
        return []
    ua, ub = units(a, b, params)
    idf = _weights(ua, ub)
    i, j = seed_pairs(ua, ub, idf, params)
    if i.shape[0] == 0:
        return []
    found = _clusters(i, j, ua, ub, idf, params.gap, params.validation)
    wide = _clusters(i, j, ua, ub, idf, params.summary_gap, params.validation)
    found = _with_summaries(found, wide, ua, ub, params.summary_ratio)
    return [
        (
            int(ua.bounds[f.a0]),
            int(ua.bounds[f.a1]),
            int(ub.bounds[f.b0]),
            int(ub.bounds[f.b1]),
            f.similarity,
        )
        for f in _resolve(found)
    ]


def sentence_keys(tokens: Tokens, params: SentenceParams, ngram: int) -> tuple[I64, U64]:
    """Anchors for the candidate index that survive rewording: positions and hashes.

    Word n-grams of a reworded copy rarely survive, so the index would never pair it
    with its source. Each sentence here gives a key for every pair of its three
    smallest word-class hashes (a bottom-k sketch: two sentences share a key when two
    of the words they have in common are among the smallest of both, likely for a
    reworded copy, rare between unrelated sentences). Keys go at the sentence's first
    n-gram position; the index's document-frequency cap drops the common ones.
    """
    empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    if tokens.stems is None or tokens.breaks is None or len(tokens) < ngram:
        return empty
    bounds = sentence_bounds(tokens, params)
    pos = np.flatnonzero(_content(tokens))
    if pos.shape[0] < 2:
        return empty
    sentence = np.searchsorted(bounds, pos, side="right") - 1
    words = tokens.stems[pos]
    order = np.lexsort((words, sentence))
    sentence, words = sentence[order], words[order]
    fresh = np.ones(words.shape[0], dtype=bool)
    fresh[1:] = (words[1:] != words[:-1]) | (sentence[1:] != sentence[:-1])
    sentence, words = sentence[fresh], words[fresh]
    first = np.flatnonzero(np.r_[True, sentence[1:] != sentence[:-1]])
    rank = np.arange(sentence.shape[0]) - np.repeat(first, np.diff(np.r_[first, sentence.shape[0]]))
    keys, where = [], []
    for x, y in ((0, 1), (0, 2), (1, 2)):
        lo = np.flatnonzero(rank == x)
        hi = lo + (y - x)
        ok = hi < sentence.shape[0]
        lo, hi = lo[ok], hi[ok]
        ok = sentence[hi] == sentence[lo]
        lo, hi = lo[ok], hi[ok]
        with np.errstate(over="ignore"):
            keys.append(mix64(words[lo] * _PAIR_MULTIPLIER + words[hi]))
        where.append(np.minimum(bounds[sentence[lo]], len(tokens) - ngram))
    return np.concatenate(where).astype(np.int64), np.concatenate(keys).astype(np.uint64)
