"""Sentence seeds: passages that survive dense word edits, translation and summary.

Word n-grams break under dense edits (with one word in four replaced, few 5-grams
survive) but most content words stay. Following the PAN 2014 text-alignment winner
(Sanchez-Perez, Sidorov and Gelbukh, CLEF 2014), each text is cut into sentences,
each sentence read as a bag of word classes (stems of content words, stop words
dropped: :mod:`reprints.words`), and:

1. *Seeds*: sentence pairs whose tf-isf cosine and whose Dice coefficient both pass a
   threshold (isf: inverse frequency over the sentences of both texts, so that the
   words the two texts use everywhere weigh nothing). One numpy join of the two texts'
   (sentence, word) entries on their words finds all of them at once.
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

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from reprints.arrays import Positions, distinct
from reprints.fingerprint import Anchors, mix64
from reprints.text import Tokens, word_fields

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
_PAIR_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_NO_WORD = np.uint64(np.iinfo(np.uint64).max)  # above every word class but an equal one


@dataclass(frozen=True, slots=True)
class SentenceParams:
    """Settings of the sentence seeds (the published values of Sanchez-Perez et al.,
    but for ``gap``, and the summary widening added here)."""

    min_words: int = 4  # a sentence with fewer content words joins the one before it
    max_tokens: int = 60  # longer "sentences" (lists, unpunctuated text) are cut
    cosine: float = 0.33
    dice: float = 0.33
    gap: int = 6  # sentences between seeds of one cluster (4 in the paper)
    validation: float = 0.34
    summary_gap: int = 24
    summary_ratio: float = 2.0
    summary_seeds: float = 0.25  # cosine and Dice of the weaker seeds that widen a summary
    key_words: int = 4  # a sentence's candidate keys: every pair of its this many smallest words


@dataclass(frozen=True, slots=True)
class Units:
    """A text's sentences as bags of words, one entry per distinct (sentence, word).

    Sentence k spans tokens ``[bounds[k], bounds[k + 1])``. Entry e says that sentence
    ``rows[e]`` holds word ``words[e]`` (of a vocabulary shared with the other text)
    ``counts[e]`` times; entries are sorted by sentence, then word. An entry whose
    count is 0 is not there (its words were taken out: ``explained``). ``by_word``
    orders the entries by word (stably).
    """

    bounds: I64
    rows: I64
    words: I64
    counts: F64
    by_word: I64

    def __len__(self) -> int:
        return int(self.bounds.shape[0] - 1)

    def present(self) -> Mask:
        """Which entries are there (count above 0)."""
        return self.counts > 0

    def entries(self) -> int:
        return int(np.count_nonzero(self.counts))

    def bag(self, lo: int, hi: int, idf: F64) -> F64:
        """Sentences [lo, hi) as one tf-isf vector over the vocabulary."""
        first, last = np.searchsorted(self.rows, (lo, hi), side="left").tolist()
        words = self.words[first:last]
        weights = self.counts[first:last] * idf[words]
        return np.bincount(words, weights, minlength=idf.shape[0]).astype(np.float64)


@dataclass(frozen=True, slots=True)
class SentenceIndex:
    """A text's sentences as bags of its own word classes, built once per document, so
    that a long document aligned with many others is cut and counted once, and a pair
    costs a few passes over arrays instead of sorts (:func:`units`)."""

    bounds: I64  # :func:`sentence_bounds`
    vocab: U64  # the text's distinct content word classes, sorted
    rows: I64  # entry e: its sentence (entries sorted by sentence, then word)
    words: I64  # entry e: its word, an index into ``vocab``
    counts: F64  # entry e: how often the sentence holds the word
    by_word: I64  # the entries ordered by word, stably
    token_entry: I64  # each token's entry, -1 for a token that is no content word

    @classmethod
    def of(cls, tokens: Tokens, params: SentenceParams) -> SentenceIndex:
        """One text's index: :class:`SentenceBatch` of this text alone, so that the
        index of a text is the same arrays whether it was built alone or in a batch."""
        return SentenceBatch.of([tokens], params).index(0)

    def units(self, mapping: I64, explained: Mask | None) -> Units:
        """The bags over a shared vocabulary (``mapping``: where this text's words are
        in it), the ``explained`` tokens taken out."""
        counts = self.counts
        if explained is not None and explained.any():
            taken = self.token_entry[explained]
            taken = taken[taken >= 0]
            if taken.shape[0]:
                counts = counts - np.bincount(taken, minlength=counts.shape[0])
        return Units(self.bounds, self.rows, mapping[self.words], counts, self.by_word)


@dataclass(frozen=True, slots=True)
class SentenceBatch:
    """The :class:`SentenceIndex` of many texts built at once, from their tokens joined
    end to end: one sort of the batch's (sentence, word) entries in place of a sort,
    a unique and an argsort per text, which for the few hundred short texts of an
    alignment batch cost more than the screen that uses them
    (:func:`reprints.screen.may_seed_batch`).

    Arrays are the batch's: sentence ``s`` spans joined tokens ``[bounds[s],
    bounds[s + 1])``; text ``k`` holds sentences ``[sentence_offsets[k],
    sentence_offsets[k + 1])``, vocabulary ``[vocab_offsets[k], vocab_offsets[k + 1])``
    (its own distinct word classes, sorted) and entries ``[entry_offsets[k],
    entry_offsets[k + 1])``, sorted by sentence, then word. ``words`` are indices
    into ``vocab`` (text by text, so sorted within a sentence), ``ranks`` the same
    words' places among the batch's distinct word classes (one vocabulary for every
    pair of texts of the batch). :meth:`index` gives one text's :class:`SentenceIndex`.
    """

    token_offsets: I64
    bounds: I64  # the batch's sentence starts, its length at the end
    sentence_offsets: I64
    vocab: U64
    vocab_offsets: I64
    rows: I64  # entry e: its sentence (of the batch)
    words: I64  # entry e: its word, an index into ``vocab``
    ranks: I64  # entry e: its word among the batch's distinct word classes
    counts: F64
    entry_offsets: I64
    by_word: I64  # entries ordered by word (text by text: the words are), stably
    token_entry: I64  # each token's entry (of the batch), -1 for no content word

    @classmethod
    def of(cls, tokens: Sequence[Tokens], params: SentenceParams) -> SentenceBatch:
        """The batch of ``tokens`` (each with stems and sentence starts)."""
        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        stems = _joined([t.stems for t in tokens], lengths, np.uint64)
        content = stems != 0
        if any(t.boilerplate is not None for t in tokens):
            content &= ~_joined([t.boilerplate for t in tokens], lengths, np.bool_)
        breaks = _joined([t.breaks for t in tokens], lengths, np.bool_)
        firsts = offsets[:-1][lengths > 0]
        breaks[firsts] = True  # no sentence runs from one text into the next
        bounds = _bounds(breaks, content, params, firsts)
        sentence_offsets = np.searchsorted(bounds, offsets).astype(np.int64)
        pos = np.flatnonzero(content)
        # Each content word's sentence and text, by running counts (linear, no search).
        sentence = _sentence_of(bounds)[pos]
        doc = np.repeat(np.arange(len(tokens), dtype=np.int64), lengths)[pos]
        # Entries: distinct (sentence, word class), the word classes by their rank in
        # the batch (sentences follow their texts, so each text's entries are together
        # and sorted as its own word classes would sort them).
        classes, rank = np.unique(stems[pos], return_inverse=True)
        size = max(int(classes.shape[0]), 1)
        codes = sentence * size + rank.reshape(-1)
        order = np.argsort(codes)  # ties are one entry: any order will do
        ordered = codes[order]
        new = np.ones(ordered.shape[0], dtype=bool)
        new[1:] = ordered[1:] != ordered[:-1]
        starts = np.flatnonzero(new)
        token_entry = np.full(stems.shape[0], -1, dtype=np.int64)
        token_entry[pos[order]] = np.cumsum(new) - 1
        kept = ordered[starts]
        rows, ranks = kept // size, kept % size
        # Each text's vocabulary: the distinct (text, word class) of its entries. Their
        # stable order is each text's entries ordered by word (texts in order).
        owned = doc[order][starts] * size + ranks
        by_word = np.argsort(owned, kind="stable")
        owned = owned[by_word]
        fresh = np.ones(owned.shape[0], dtype=bool)
        fresh[1:] = owned[1:] != owned[:-1]
        entry_words = np.empty(owned.shape[0], dtype=np.int64)
        entry_words[by_word] = np.cumsum(fresh) - 1
        owned = owned[fresh]
        vocab_counts = np.bincount(owned // size, minlength=len(tokens))
        return cls(
            token_offsets=offsets,
            bounds=bounds,
            sentence_offsets=sentence_offsets,
            vocab=classes[owned % size].astype(np.uint64),
            vocab_offsets=np.concatenate(([0], np.cumsum(vocab_counts))).astype(np.int64),
            rows=rows.astype(np.int64),
            words=entry_words,
            ranks=ranks.astype(np.int64),
            counts=np.diff(np.append(starts, ordered.shape[0])).astype(np.float64),
            entry_offsets=np.searchsorted(rows, sentence_offsets).astype(np.int64),
            by_word=by_word,
            token_entry=token_entry,
        )

    def __len__(self) -> int:
        return int(self.token_offsets.shape[0] - 1)

    def sentences(self) -> I64:
        """How many sentences each text has."""
        return np.diff(self.sentence_offsets)

    def entries(self) -> I64:
        """How many entries each text has."""
        return np.diff(self.entry_offsets)

    def index(self, k: int) -> SentenceIndex:
        """Text ``k``'s :class:`SentenceIndex`, in its own numbering."""
        t0, t1 = self.token_offsets[k : k + 2].tolist()
        s0, s1 = self.sentence_offsets[k : k + 2].tolist()
        v0, v1 = self.vocab_offsets[k : k + 2].tolist()
        e0, e1 = self.entry_offsets[k : k + 2].tolist()
        bounds = self.bounds[s0 : s1 + 1] - t0
        if s1 == s0:  # no sentence: the text is empty
            bounds = np.zeros(1, dtype=np.int64)
        token_entry = self.token_entry[t0:t1]
        return SentenceIndex(
            bounds,
            self.vocab[v0:v1],
            self.rows[e0:e1] - s0,
            self.words[e0:e1] - v0,
            self.counts[e0:e1],
            self.by_word[e0:e1] - e0,
            np.where(token_entry >= 0, token_entry - e0, -1),
        )


def _joined(
    parts: Sequence[npt.NDArray[Any] | None], lengths: I64, dtype: type[np.generic]
) -> npt.NDArray[Any]:
    """Per-text arrays joined end to end (a text's None: zeros of its length)."""
    if not parts:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(
        [
            np.zeros(n, dtype) if x is None else x
            for x, n in zip(parts, lengths.tolist(), strict=True)
        ]
    ).astype(dtype, copy=False)


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


def _bounds(
    breaks: npt.NDArray[np.bool_],
    content: npt.NDArray[np.bool_],
    params: SentenceParams,
    firsts: I64 | None = None,
) -> I64:
    """:func:`sentence_bounds` from the sentence starts and content words of a text,
    or of texts joined end to end: ``firsts``, each text's first token, is a start
    that ``breaks`` marks and that is never glued to the text before."""
    length = breaks.shape[0]
    if length == 0:
        return np.zeros(1, dtype=np.int64)  # no sentence
    starts = np.flatnonzero(breaks)
    if starts.shape[0] == 0 or starts[0] != 0:
        starts = np.concatenate(([0], starts)).astype(np.int64)
    ends = np.append(starts[1:], length)
    words = np.concatenate(([0], np.cumsum(content, dtype=np.int64)))
    enough = (words[ends] - words[starts]) >= params.min_words
    keep = np.ones(starts.shape[0], dtype=bool)
    keep[1:] = enough[:-1]
    if firsts is not None:
        keep[np.searchsorted(starts, firsts)] = True
    starts = starts[keep]
    # Cut long sentences every max_tokens tokens from their start: each sentence's cuts
    # laid out in order, one pass over the sentences instead of over the tokens.
    pieces = (np.diff(np.append(starts, length)) - 1) // params.max_tokens + 1
    first = np.cumsum(pieces) - pieces
    step = np.arange(int(pieces.sum()), dtype=np.int64) - np.repeat(first, pieces)
    cuts = np.repeat(starts, pieces) + step * params.max_tokens
    return np.append(cuts, length).astype(np.int64)


def _sentence_of(bounds: I64) -> I64:
    """Each token's sentence (``bounds``: :func:`_bounds`), by a running count of the
    sentence starts: one pass, where a binary search per token costs several."""
    opens = np.zeros(int(bounds[-1]), dtype=np.int64)
    opens[bounds[:-1]] = 1
    return np.cumsum(opens) - 1


def sentence_bounds(tokens: Tokens, params: SentenceParams) -> I64:
    """Token index where each sentence begins, and the text's length at the end.

    A sentence with fewer than ``min_words`` content words is glued to the one after
    (a heading, "Yes."), and a sentence longer than ``max_tokens`` tokens is cut.
    """
    assert tokens.breaks is not None
    return _bounds(tokens.breaks, _content(tokens), params)


def units(
    a: SentenceIndex, b: SentenceIndex, explained: tuple[Mask, Mask] | None = None
) -> tuple[Units, Units, int]:
    """Both texts' sentences over one vocabulary (their word classes), and its size.
    ``explained``: tokens of A and of B left out of the bags (the sentences stay)."""
    vocab = distinct(np.concatenate((a.vocab, b.vocab)))
    map_a = np.searchsorted(vocab, a.vocab).astype(np.int64)
    map_b = np.searchsorted(vocab, b.vocab).astype(np.int64)
    ex_a, ex_b = explained if explained is not None else (None, None)
    return a.units(map_a, ex_a), b.units(map_b, ex_b), int(vocab.shape[0])


def _weights(ua: Units, ub: Units, size: int) -> F64:
    """Inverse sentence frequency of every word over the sentences of both texts."""
    df = np.bincount(ua.words, ua.present(), minlength=size)
    df += np.bincount(ub.words, ub.present(), minlength=size)
    return isf(len(ua) + len(ub), df)


def isf(total: int | F64, df: I64) -> F64:
    """The inverse sentence frequency of words found in ``df`` of ``total`` sentences."""
    return np.log(total / np.maximum(df, 1)).astype(np.float64)


def meetings(lo: I64, count: I64) -> tuple[I64, I64]:
    """A join's meetings: left entry k meets the ``count[k]`` right entries from ``lo[k]``
    on (in the right side's sorted order). Each meeting's left entry and right place."""
    total = int(count.sum())
    left = np.repeat(np.arange(count.shape[0]), count)
    step = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    return left, np.repeat(lo, count) + step


def passing(
    shared: npt.NDArray[np.integer[Any]],
    sizes: F64,
    dot: npt.NDArray[np.number[Any]],
    norms: F64,
    params: SentenceParams,
    slack: float = 0.0,
) -> Mask:
    """Which sentence pairs are seeds: Dice (``shared`` words of the two sentences'
    ``sizes`` together) and cosine (``dot`` over the ``norms`` multiplied) both above
    their thresholds, less ``slack``."""
    dice = 2 * shared / np.maximum(sizes, 1)
    return (dice > params.dice - slack) & (dot / norms > params.cosine - slack)


# Word matches (an entry of A against one of B) joined at once: bounds the memory of a
# long pair, whose common words meet in many sentences of both texts.
_JOIN_CHUNK = 1 << 21


def chunk_edges(rows: I64, meets: I64) -> list[int]:
    """Entry indices that cut A's entries into runs of whole sentences of about
    ``_JOIN_CHUNK`` meetings each."""
    if int(meets.sum()) <= _JOIN_CHUNK:
        return [0, rows.shape[0]]
    firsts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    before = np.concatenate(([0], np.cumsum(meets)))[firsts]
    chunk = before // _JOIN_CHUNK
    inner = firsts[np.flatnonzero(np.diff(chunk) > 0) + 1]
    return [0, *inner.tolist(), rows.shape[0]]


def seed_pairs(ua: Units, ub: Units, idf: F64, params: SentenceParams) -> tuple[I64, I64]:
    """Sentence pairs (i, j) with cosine and Dice both above their thresholds, sorted.

    Every entry of the text with fewer entries meets the entries of the other with its
    word (sorted by word); the meetings of one sentence pair add up to its shared
    words (Dice) and its dot product (cosine). Norms and sizes are taken only for the
    sentences that meet, so a short text against a long one costs little more than
    its own length and what the two share.
    """
    if ua.rows.shape[0] <= ub.rows.shape[0]:
        return _seed_pairs(ua, ub, idf, params)
    j, i = _seed_pairs(ub, ua, idf, params)
    order = np.lexsort((j, i))
    return i[order], j[order]


def _sentence_sums(u: Units, rows: I64, idf: F64) -> tuple[F64, F64]:
    """The tf-isf norm and the distinct words of each of the sentences ``rows``."""
    first = np.searchsorted(u.rows, rows, side="left")
    count = np.searchsorted(u.rows, rows, side="right") - first
    at = np.repeat(first - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
    owner = np.repeat(np.arange(rows.shape[0]), count)
    weights = u.counts[at] * idf[u.words[at]]
    norms = np.sqrt(np.bincount(owner, weights * weights, minlength=rows.shape[0]))
    sizes = np.bincount(owner, u.counts[at] > 0, minlength=rows.shape[0])
    return np.maximum(norms, 1e-12), sizes.astype(np.float64)


def _seed_pairs(ua: Units, ub: Units, idf: F64, params: SentenceParams) -> tuple[I64, I64]:
    empty = np.zeros(0, dtype=np.int64)
    if len(ua) == 0 or len(ub) == 0 or idf.shape[0] == 0:
        return empty, empty
    by_word = ub.by_word
    b_words = ub.words[by_word]
    lo = np.searchsorted(b_words, ua.words, side="left")
    meets = np.searchsorted(b_words, ua.words, side="right") - lo
    meets[~ua.present()] = 0
    edges = chunk_edges(ua.rows, meets)
    found_i, found_j = [empty], [empty]
    for start, stop in itertools.pairwise(edges):
        count = meets[start:stop]
        total = int(count.sum())
        if total == 0:
            continue
        entry, place = meetings(lo[start:stop], count)
        entry, other = entry + start, by_word[place]
        there = ub.counts[other] > 0  # B's entries taken out meet nothing
        entry, other = entry[there], other[there]
        if entry.shape[0] == 0:
            continue
        codes = ua.rows[entry] * len(ub) + ub.rows[other]
        pairs, inverse, shared = np.unique(codes, return_inverse=True, return_counts=True)
        wa = ua.counts[entry] * idf[ua.words[entry]]
        wb = ub.counts[other] * idf[ub.words[other]]
        dot = np.bincount(inverse.reshape(-1), wa * wb, minlength=pairs.shape[0])
        i, j = pairs // len(ub), pairs % len(ub)
        rows_a, at_a = np.unique(i, return_inverse=True)
        rows_b, at_b = np.unique(j, return_inverse=True)
        (norm_a, size_a), (norm_b, size_b) = (
            _sentence_sums(ua, rows_a, idf),
            _sentence_sums(ub, rows_b, idf),
        )
        at_a, at_b = at_a.reshape(-1), at_b.reshape(-1)
        ok = passing(shared, size_a[at_a] + size_b[at_b], dot, norm_a[at_a] * norm_b[at_b], params)
        found_i.append(i[ok])
        found_j.append(j[ok])
    return np.concatenate(found_i).astype(np.int64), np.concatenate(found_j).astype(np.int64)


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
    va, vb = ua.bag(a0, a1, idf), ub.bag(b0, b1, idf)
    # Sums, not BLAS dot products: a multi-threaded BLAS on a busy machine took
    # milliseconds for each of these vocabulary-long vectors.
    norm = float(np.sqrt((va * va).sum() * (vb * vb).sum()))
    return float((va * vb).sum()) / norm if norm else 0.0


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


def _widened(
    found: list[Fragment], ua: Units, ub: Units, idf: F64, params: SentenceParams
) -> list[Fragment]:
    """Fragments with their long side widened to the weaker seeds of their short side.

    A summary's sentence condenses several sentences of the source, so it rarely
    passes the seed thresholds with more than one or two of them: the seeds cover the
    start of the summarised region, not all of it. Seeds at the lower ``summary_seeds``
    thresholds, from the short side's sentences only, that chain within ``summary_gap``
    sentences of the long side's span widen it, and the wider fragment is taken when it
    is summary-shaped (``summary_ratio``) and its two spans still validate. Around a
    copy of equal length on both sides the weaker seeds stray little and the wider
    fragment is rarely summary-shaped, so it stays as it was.
    """
    if not any(_is_summary(f, ua, ub, params.summary_ratio) for f in found):
        return found  # the weaker seeds' join is made only when some fragment needs it
    weak = dataclasses.replace(params, cosine=params.summary_seeds, dice=params.summary_seeds)
    wi, wj = seed_pairs(ua, ub, idf, weak)
    out = []
    for f in found:
        if not _is_summary(f, ua, ub, params.summary_ratio):
            out.append(f)
            continue
        short_a = ua.bounds[f.a1] - ua.bounds[f.a0] <= ub.bounds[f.b1] - ub.bounds[f.b0]
        lo, hi = (f.b0, f.b1) if short_a else (f.a0, f.a1)
        mine, other = (wi, wj) if short_a else (wj, wi)
        start, stop = (f.a0, f.a1) if short_a else (f.b0, f.b1)
        near = np.unique(other[(mine >= start) & (mine < stop)])
        for x in near[near >= hi].tolist():  # outward past the end, then the start
            if x > hi - 1 + params.summary_gap:
                break
            hi = x + 1
        for x in near[near < lo][::-1].tolist():
            if x < lo - params.summary_gap:
                break
            lo = x
        span = (f.a0, f.a1, lo, hi) if short_a else (lo, hi, f.b0, f.b1)
        if span != (f.a0, f.a1, f.b0, f.b1):
            similarity = _span_cosine(ua, ub, idf, span)
            if similarity >= params.validation:
                f = Fragment(*span, similarity)
        out.append(f)
    return out


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for x, y in sorted(spans):
        if merged and x <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], y))
        else:
            merged.append((x, y))
    return merged


def has_sentences(tokens: Tokens) -> bool:
    """Whether the tokens carry what sentence seeds need (stems, sentence starts)."""
    return tokens.stems is not None and tokens.breaks is not None and len(tokens) > 0


def fragments(
    a: Tokens,
    b: Tokens,
    params: SentenceParams,
    explained: tuple[Mask, Mask] | None = None,
    indexes: tuple[SentenceIndex, SentenceIndex] | None = None,
) -> list[tuple[int, int, int, int, float]]:
    """Token spans ``(a0, a1, b0, b1, cosine)`` of the sentence fragments two texts share.

    ``explained``: tokens of A and of B that are already accounted for (inside
    near-verbatim passages); their words seed nothing, so a verbatim copy costs
    next to nothing here. ``indexes``: the two texts' :class:`SentenceIndex` (of
    ``params``), when kept from an earlier alignment.
    """
    if not has_sentences(a) or not has_sentences(b):
        return []
    ia, ib = indexes or (SentenceIndex.of(a, params), SentenceIndex.of(b, params))
    ua, ub, size = units(ia, ib, explained)
    if ua.entries() < params.min_words or ub.entries() < params.min_words:
        return []
    idf = _weights(ua, ub, size)
    i, j = seed_pairs(ua, ub, idf, params)
    if i.shape[0] == 0:
        return []
    found = _clusters(i, j, ua, ub, idf, params.gap, params.validation)
    wide = _clusters(i, j, ua, ub, idf, params.summary_gap, params.validation)
    found = _with_summaries(found, wide, ua, ub, params.summary_ratio)
    found = _widened(found, ua, ub, idf, params)
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


def sentence_keys(tokens: Tokens, params: SentenceParams, ngram: int) -> tuple[Positions, U64]:
    """Anchors for the candidate index that survive rewording: positions and hashes.

    Word n-grams of a reworded copy rarely survive, so the index would never pair it
    with its source. Each sentence here gives a key for every pair of its three
    smallest word-class hashes (a bottom-k sketch: two sentences share a key when two
    of the words they have in common are among the smallest of both, likely for a
    reworded copy, rare between unrelated sentences). Keys go at the sentence's first
    n-gram position; the index's document-frequency cap drops the common ones.
    """
    return sentence_keys_batch([tokens], params, ngram).of(0)


def sentence_keys_batch(tokens: Sequence[Tokens], params: SentenceParams, ngram: int) -> Anchors:
    """:func:`sentence_keys` of every document of a batch, computed on the batch at once
    (the documents' tokens joined end to end, no sentence crossing from one to the
    next); document ``k``'s keys are ``.of(k)``. Tokens without stems have none."""
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    if int(offsets[-1]) == 0:
        return Anchors.empty(len(tokens))
    # Tokens without stems have stems 0 here (word_fields): no content word, no key.
    fields = [word_fields(t) for t in tokens]
    boilerplate = None
    if any(t.boilerplate is not None for t in tokens):
        boilerplate = np.concatenate(
            [np.zeros(len(t), bool) if t.boilerplate is None else t.boilerplate for t in tokens]
        )
    return sentence_keys_joined(
        np.concatenate([f["stems"] for f in fields]).astype(np.uint64),
        np.concatenate([f["breaks"] for f in fields]).astype(bool),
        boilerplate,
        offsets,
        params,
        ngram,
    )


def sentence_keys_joined(
    stems: U64,
    breaks: Mask,
    boilerplate: Mask | None,
    offsets: I64,
    params: SentenceParams,
    ngram: int,
) -> Anchors:
    """:func:`sentence_keys_batch` of documents given as one token array (document
    ``d``'s tokens are ``offsets[d]`` to ``offsets[d + 1]``)."""
    lengths = np.diff(offsets)
    none = Anchors.empty(lengths.shape[0])
    content = stems != 0
    if boilerplate is not None:
        content &= ~boilerplate
    content &= np.repeat(lengths >= ngram, lengths)  # too short for an n-gram: no keys
    breaks = breaks.copy()
    firsts = offsets[:-1][lengths > 0]
    breaks[firsts] = True
    bounds = _bounds(breaks, content, params, firsts)
    pos = np.flatnonzero(content)
    if pos.shape[0] == 0:
        return none
    sentence = _sentence_of(bounds)[pos]
    # Each sentence's key_words smallest distinct word classes, by as many minima over
    # the sentences' (contiguous) runs of content words, each taking out the one before:
    # linear passes where sorting every sentence's words cost more than the rest.
    heads = np.flatnonzero(np.r_[True, sentence[1:] != sentence[:-1]])
    owner = np.repeat(np.arange(heads.shape[0]), np.diff(np.r_[heads, sentence.shape[0]]))
    words = stems[pos]
    left = np.ones(words.shape[0], dtype=bool)
    smallest, present = [], []
    for _ in range(params.key_words):
        present.append(np.logical_or.reduceat(left, heads))
        least = np.minimum.reduceat(np.where(left, words, _NO_WORD), heads)
        smallest.append(least)
        left &= words != least[owner]
    where_of = bounds[sentence[heads]]
    keys, where = [], []
    for x, y in itertools.combinations(range(params.key_words), 2):
        ok = present[y]
        with np.errstate(over="ignore"):
            keys.append(mix64(smallest[x][ok] * _PAIR_MULTIPLIER + smallest[y][ok]))
        where.append(where_of[ok])
    at = np.concatenate(where).astype(np.int64)
    doc = np.searchsorted(offsets, at, side="right") - 1
    by_doc = np.argsort(doc, kind="stable")
    at, doc = at[by_doc], doc[by_doc]
    hashes = np.concatenate(keys).astype(np.uint64)[by_doc]
    positions = np.minimum(at - offsets[doc], lengths[doc] - ngram)
    counts = np.bincount(doc, minlength=lengths.shape[0])
    return Anchors(np.concatenate(([0], np.cumsum(counts))).astype(np.int64), positions, hashes)
