"""Which candidates of a query can have sentence seeds, decided for all of them at once.

Aligning a pair runs sentence fragments (:func:`reprints.seeds.fragments`) beside the
n-gram chains. A fragment is built from *seed* sentence pairs, whose Dice coefficient
and tf-isf cosine both pass their thresholds (:func:`reprints.seeds.seed_pairs`):
without a seed there is no fragment. Most candidates of a query are stored documents
that share a stock phrase with it and nothing else; for them the fragments' bags of
words, weights and joins cost about half of the alignment, to find nothing.

:func:`may_seed` computes the same Dice coefficients and cosines as ``seed_pairs`` for
the query against every candidate in one set of numpy passes (one join of the query's
(sentence, word) entries with all candidates' entries), and says which candidates
have a sentence pair passing both thresholds, with a margin of :data:`SLACK` that
covers the float rounding of summing in another order. A candidate it clears has no
seed, hence no fragment, as long as the fragments are computed on all of both texts'
content words: that is, when the pair has no n-gram chain passage (the chains'
near-verbatim passages are left out of the bags). The caller therefore still aligns
such a candidate's n-gram chains, and only if there are none skips it: it would give
no passage. Candidates it does not clear are aligned as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from reprints.seeds import SentenceParams, sentence_bounds
from reprints.text import Tokens

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

SLACK = 1e-9  # far above the rounding of a few hundred float additions, far below 1/600


def _entries(tokens: Tokens, params: SentenceParams) -> tuple[int, I64, U64]:
    """The text's sentence count and, for each content word (a stem, not boilerplate),
    its sentence and stem, as :func:`reprints.seeds.units` reads them."""
    bounds = sentence_bounds(tokens, params)
    assert tokens.stems is not None
    content = tokens.stems != 0
    if tokens.boilerplate is not None:
        content &= ~tokens.boilerplate
    pos = np.flatnonzero(content)
    rows = (np.searchsorted(bounds, pos, side="right") - 1).astype(np.int64)
    return int(bounds.shape[0] - 1), rows, tokens.stems[pos]


def _counted(codes: I64) -> tuple[I64, I64]:
    """Distinct codes (sorted) and how often each occurs."""
    codes = np.sort(codes)
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if codes.shape[0] else codes
    return codes[first], np.diff(np.r_[first, codes.shape[0]]).astype(np.int64)


def may_seed(
    query: Tokens, others: Sequence[Tokens], params: SentenceParams
) -> npt.NDArray[np.bool_]:
    """For each of ``others``: whether it may have a seed sentence pair with ``query``
    (False: it has none, computed without leaving any token out of the bags)."""
    out = np.zeros(len(others), dtype=bool)
    if not others or query.stems is None or any(t.stems is None for t in others):
        return ~out  # nothing to judge by: every one may
    nq, q_rows, q_stems = _entries(query, params)
    sides = [_entries(t, params) for t in others]
    if nq == 0 or q_rows.shape[0] == 0:
        return out  # the query has no content word: no seed anywhere
    counts = np.fromiter((s[0] for s in sides), dtype=np.int64, count=len(sides))
    starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)  # global sentences
    lengths = np.fromiter((s[1].shape[0] for s in sides), dtype=np.int64, count=len(sides))
    d_rows = np.concatenate([s[1] for s in sides]) + np.repeat(starts[:-1], lengths)
    d_stems = np.concatenate([s[2] for s in sides]).astype(np.uint64)
    if d_rows.shape[0] == 0:
        return out
    # One vocabulary over the query's and every candidate's content words.
    _, vocab = np.unique(np.concatenate((q_stems, d_stems)), return_inverse=True)
    vocab = vocab.reshape(-1).astype(np.int64)
    size = int(vocab.max()) + 1
    # Entries: distinct (sentence, word), with the word's count in the sentence.
    q_codes, q_counts = _counted(q_rows * size + vocab[: q_rows.shape[0]])
    q_row, q_word = q_codes // size, q_codes % size
    d_codes, d_counts = _counted(d_rows * size + vocab[q_rows.shape[0] :])
    d_row, d_word = d_codes // size, d_codes % size
    d_owner = np.searchsorted(starts, d_row, side="right") - 1
    # Sentence frequencies: in the query (per word) and in each candidate (per owner, word).
    df_query = np.bincount(q_word, minlength=size)
    owned, owned_df = _counted(d_owner * size + d_word)
    total = (nq + counts).astype(np.float64)

    def df_other(owner: I64, word: I64) -> I64:
        keys = owner * size + word
        at = np.minimum(np.searchsorted(owned, keys), owned.shape[0] - 1)
        return np.where(owned[at] == keys, owned_df[at], 0)

    # The candidates' weights and norms.
    d_df = df_query[d_word] + df_other(d_owner, d_word)
    wb = d_counts * np.log(total[d_owner] / np.maximum(d_df, 1))
    sentences = int(starts[-1])
    norm_d = np.maximum(np.sqrt(np.bincount(d_row, wb * wb, minlength=sentences)), 1e-12)
    size_d = np.bincount(d_row, minlength=sentences).astype(np.float64)
    # The query's weights and norms against each candidate (its isf depends on both).
    k = len(others)
    entries = q_row.shape[0]
    qc = np.repeat(np.arange(k, dtype=np.int64), entries)
    qw = np.tile(q_word, k)
    q_df = df_query[qw] + df_other(qc, qw)
    wa = np.tile(q_counts, k) * np.log(total[qc] / np.maximum(q_df, 1))
    norm_q = np.sqrt(np.bincount(qc * nq + np.tile(q_row, k), wa * wa, minlength=k * nq))
    norm_q = np.maximum(norm_q, 1e-12)
    size_q = np.bincount(q_row, minlength=nq).astype(np.float64)
    # Every candidate entry meets the query's entries of its word.
    by_word = np.argsort(q_word, kind="stable")
    words = q_word[by_word]
    lo = np.searchsorted(words, d_word, side="left")
    meets = np.searchsorted(words, d_word, side="right") - lo
    total_meets = int(meets.sum())
    if total_meets == 0:
        return out
    d_at = np.repeat(np.arange(d_word.shape[0]), meets)
    step = np.arange(total_meets) - np.repeat(np.cumsum(meets) - meets, meets)
    q_at = by_word[np.repeat(lo, meets) + step]
    owner = d_owner[d_at]
    codes, inverse, shared = np.unique(
        q_row[q_at] * sentences + d_row[d_at], return_inverse=True, return_counts=True
    )
    dot = np.bincount(inverse.reshape(-1), wa[owner * entries + q_at] * wb[d_at])
    i, j = codes // sentences, codes % sentences
    pair_owner = np.searchsorted(starts, j, side="right") - 1
    dice = 2 * shared / np.maximum(size_q[i] + size_d[j], 1)
    cosine = dot / (norm_q[pair_owner * nq + i] * norm_d[j])
    passing = (dice > params.dice - SLACK) & (cosine > params.cosine - SLACK)
    out[pair_owner[passing]] = True
    return out
