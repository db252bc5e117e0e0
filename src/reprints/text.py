"""Normalise and tokenise text, keeping every token's span in the original text.

Tokens are maximal runs of letters, digits and combining marks of any script; each
CJK ideograph or kana is a token of its own (those scripts do not separate words with
spaces). Everything else (spaces, punctuation, quotes, dashes, symbols) separates
tokens and is ignored for matching, so curly and straight quotes or dashes can never
make two texts differ. Each token's *hash* is taken of its normalised form (Unicode
NFKC, then case folding); its span always refers to the original, unaltered text.

Tokenising is vectorised: the text becomes an array of code points, a lookup table
gives each code point its class, and token boundaries are where the class changes.
Only the hashing of *distinct* words runs in Python: one text at a time through a dict
cache, or a whole batch of texts at a time through a numpy table keyed by a hash of
each token's code points (:meth:`Tokenizer.tokenize_batch`, the pipelines' path). Word
frequencies are Zipfian, so nearly every token is a hit.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import xxhash

from reprints.words import WordClasses

SEPARATOR, WORD, SINGLE = 0, 1, 2

# Scripts written without spaces between words: each character is one token.
_SINGLE_CHAR_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width Katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)


_UNKNOWN = -1  # a code point whose class is not looked up yet


def _class_of(cp: int) -> int:
    ch = chr(cp)
    if not (ch.isalnum() or unicodedata.category(ch)[0] == "M"):
        return SEPARATOR
    if any(lo <= cp <= hi for lo, hi in _SINGLE_CHAR_RANGES):
        return SINGLE
    return WORD


@lru_cache(maxsize=1)
def _class_table() -> npt.NDArray[np.int8]:
    """Every code point's class, -1 until a text holds it (1.1 MB): looking up all
    1.1 million code points in Python took a second per process, and a process only
    ever meets a few thousand of them."""
    table = np.full(sys.maxunicode + 1, _UNKNOWN, dtype=np.int8)
    table[:128] = [_class_of(cp) for cp in range(128)]
    return table


def char_classes(codepoints: npt.NDArray[np.uint32]) -> npt.NDArray[np.int8]:
    """Class of each code point: SEPARATOR, WORD or SINGLE. The table fills as texts
    bring new code points; a class is a pure function of its code point, so when it
    is looked up changes nothing."""
    table = _class_table()
    cls = table[codepoints]
    unknown = cls == _UNKNOWN
    if unknown.any():
        new = np.unique(codepoints[unknown])
        table[new] = [_class_of(cp) for cp in new.tolist()]
        cls = table[codepoints]
    return cls


def normalize_token(token: str) -> str:
    """The form of a token that is hashed: NFKC, then Unicode case folding."""
    return unicodedata.normalize("NFKC", token).casefold()


def hash_token(token: str) -> int:
    """64-bit hash of a token's normalised form."""
    return xxhash.xxh3_64_intdigest(normalize_token(token).encode("utf-8", "surrogatepass"))


@dataclass(frozen=True, slots=True)
class Tokens:
    """A document's tokens as parallel arrays.

    ``hashes[i]`` is the hash of token i's normalised form and
    ``text[starts[i]:ends[i]]`` is token i as it stands in the original text.
    ``boilerplate``, when not None, marks tokens that must never pair documents
    (site chrome, navigation); they stay in the text and keep their offsets.
    ``stems[i]`` is token i's word class for bag-of-words seeds (its stem's hash, 0
    for a stop word: :mod:`reprints.words`) and ``breaks[i]`` says that token i begins
    a sentence; both are None for tokens made without them (then no sentence seeds).
    """

    hashes: npt.NDArray[np.uint64]
    starts: npt.NDArray[np.int32]
    ends: npt.NDArray[np.int32]
    boilerplate: npt.NDArray[np.bool_] | None = None
    stems: npt.NDArray[np.uint64] | None = None
    breaks: npt.NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        return int(self.hashes.shape[0])

    def char_span(self, first: int, last: int) -> tuple[int, int]:
        """Character span of tokens ``first`` to ``last`` (exclusive)."""
        return int(self.starts[first]), int(self.ends[last - 1])


def word_fields(tokens: Tokens) -> dict[str, npt.NDArray[np.generic]]:
    """``stems`` and ``breaks`` of ``tokens`` as arrays, for the token stores: tokens
    made without them get stems 0 (all stop words: no sentence seeds) and a break at
    every token."""
    length = len(tokens)
    return {
        "stems": tokens.stems if tokens.stems is not None else np.zeros(length, np.uint64),
        "breaks": tokens.breaks if tokens.breaks is not None else np.ones(length, np.bool_),
    }


@dataclass(frozen=True, slots=True)
class TokenBatch:
    """The tokens of a batch of texts joined by newlines, as one set of arrays:
    :class:`Tokens`' fields over the whole batch (``starts`` and ``ends`` in the joined
    string), text ``k``'s tokens being ``offsets[k]`` to ``offsets[k + 1]`` and its
    text starting at ``text_starts[k]`` in the joined string."""

    hashes: npt.NDArray[np.uint64]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    offsets: npt.NDArray[np.int64]
    text_starts: npt.NDArray[np.int64]
    stems: npt.NDArray[np.uint64]
    breaks: npt.NDArray[np.bool_]

    def split(self, boilerplate: npt.NDArray[np.bool_] | None = None) -> list[Tokens]:
        """Each text's :class:`Tokens` (offsets in its own text), with its slice of
        ``boilerplate`` (one flag per token of the batch) when given."""
        out = []
        offsets, bases = self.offsets.tolist(), self.text_starts.tolist()
        for k in range(len(offsets) - 1):
            lo, hi, base = offsets[k], offsets[k + 1], bases[k]
            out.append(
                Tokens(
                    hashes=self.hashes[lo:hi].copy(),
                    starts=(self.starts[lo:hi] - base).astype(np.int32),
                    ends=(self.ends[lo:hi] - base).astype(np.int32),
                    boilerplate=None if boilerplate is None else boilerplate[lo:hi].copy(),
                    stems=self.stems[lo:hi].copy(),
                    breaks=self.breaks[lo:hi].copy(),
                )
            )
        return out


def token_spans(text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start and end (exclusive) character offsets of every token of ``text``."""
    if not text:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return _boundaries(_codepoints(text))


# Sentence ends: a separator holding one of these, or a blank line (two line breaks).
_TERMINAL = np.array([ord(c) for c in ".!?;…。！？"], dtype=np.uint32)
_NEWLINE = 10


def sentence_starts(
    codepoints: npt.NDArray[np.uint32], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Which tokens begin a sentence: the first, and each one whose preceding separator
    holds terminal punctuation or a blank line (a single line break is line wrapping).

    One running count of terminal marks and line breaks over the code points gives
    each gap between tokens its counts by two lookups."""
    breaks = np.ones(starts.shape[0], dtype=bool)
    if starts.shape[0] > 1:
        # One running count of both: terminal marks in the low 32 bits, line breaks
        # in the high ones; a gap's counts are the difference at its two ends.
        marks = _marks_table()[codepoints]
        running = np.zeros(codepoints.shape[0] + 1, dtype=np.int64)
        np.cumsum(marks, out=running[1:])
        between = running[starts[1:]] - running[ends[:-1]]
        breaks[1:] = ((between & 0xFFFFFFFF) > 0) | ((between >> 32) > 1)
    return breaks


@lru_cache(maxsize=1)
def _marks_table() -> npt.NDArray[np.int64]:
    """1 for a terminal mark, 2**32 for a line break, 0 for any other code point (9 MB,
    built once)."""
    table = np.zeros(sys.maxunicode + 1, dtype=np.int64)
    table[_TERMINAL] = 1
    table[_NEWLINE] = 1 << 32
    return table


def _codepoints(text: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _boundaries(
    codepoints: npt.NDArray[np.uint32],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Token starts and ends (exclusive) in an array of code points."""
    cls = char_classes(codepoints)
    prev = np.empty_like(cls)
    prev[0] = SEPARATOR
    prev[1:] = cls[:-1]
    nxt = np.empty_like(cls)
    nxt[-1] = SEPARATOR
    nxt[:-1] = cls[1:]
    in_token = cls != SEPARATOR
    # A token starts where a word character follows a separator, and at every
    # single-character token or right after one; symmetrically for ends.
    starts = np.flatnonzero(in_token & ((prev == SEPARATOR) | (cls == SINGLE) | (prev == SINGLE)))
    ends = np.flatnonzero(in_token & ((nxt == SEPARATOR) | (cls == SINGLE) | (nxt == SINGLE))) + 1
    return starts, ends


class _TokenHashTable:
    """Token hashes of whole batches of texts in numpy passes: no Python string and no
    dict lookup per token, only per word not seen recently.

    Each token gets a 64-bit *key* from its code points (a polynomial hash over a
    prefix sum of the batch, with the token's length in the top byte); a two-way table
    of ``2**bits`` slots maps keys to token hashes, probed for all tokens in two
    gathers. Misses are sliced out of the text once per distinct key and hashed with
    :func:`hash_token`. The result equals :meth:`Tokenizer.hashes` unless two distinct
    tokens of at most ``_MAX_KEYED`` characters share a 64-bit key; longer tokens are
    always hashed from their text.
    """

    _BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64
    _SLOT_MULTIPLIER = np.uint64(0xD6E8FEB86659FD93)
    _MAX_KEYED = 48

    def __init__(self, bits: int = 20, classes: WordClasses | None = None) -> None:
        self.bits = bits
        self.classes = classes or WordClasses(normalize_token)
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.values = np.zeros(1 << bits, dtype=np.uint64)
        self.stem_values = np.zeros(1 << bits, dtype=np.uint64)
        self.filled = np.zeros(1 << bits, dtype=bool)
        self._powers = np.zeros(0, dtype=np.uint64)
        self._inverse_powers = np.zeros(0, dtype=np.uint64)

    def _ensure_powers(self, size: int) -> None:
        """BASE**i and BASE**-i modulo 2**64 for i < size, by repeated doubling."""
        if size <= self._powers.shape[0]:
            return
        size = max(size, 2 * self._powers.shape[0], 1 << 16)
        powers = np.empty(size, dtype=np.uint64)
        inverse = np.empty(size, dtype=np.uint64)
        powers[0] = inverse[0] = 1
        base = np.uint64(self._BASE)
        inv_base = np.uint64(pow(self._BASE, -1, 1 << 64))
        step = 1
        with np.errstate(over="ignore"):
            while step < size:
                end = min(2 * step, size)
                powers[step:end] = powers[: end - step] * base
                inverse[step:end] = inverse[: end - step] * inv_base
                base, inv_base, step = base * base, inv_base * inv_base, end
        self._powers, self._inverse_powers = powers, inverse

    def hashes(self, texts: list[str]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        """Token hashes of all texts, and ``offsets``: text k's are ``[offsets[k],
        offsets[k + 1])``."""
        batch = self.tokens(texts)
        return batch.hashes, batch.offsets

    def tokens(self, texts: list[str]) -> TokenBatch:
        """The tokens of the texts joined by newlines: hashes, spans, word classes
        (:mod:`reprints.words`) and sentence starts."""
        joined = "\n".join(texts)  # a separator: no token spans two texts
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        text_starts = np.concatenate(([0], np.cumsum(lengths + 1))).astype(np.int64)
        if not joined:
            empty = np.zeros(0, dtype=np.int64)
            offsets = np.zeros(len(texts) + 1, dtype=np.int64)
            none = np.zeros(0, dtype=np.uint64)
            return TokenBatch(none, empty, empty, offsets, text_starts, none, np.zeros(0, bool))
        codepoints = _codepoints(joined)
        starts, ends = _boundaries(codepoints)
        self._ensure_powers(codepoints.shape[0])
        powers = self._powers[: codepoints.shape[0]]
        with np.errstate(over="ignore"):
            prefix = np.zeros(codepoints.shape[0] + 1, dtype=np.uint64)
            np.cumsum(codepoints.astype(np.uint64) * powers, out=prefix[1:])
            sizes = (ends - starts).astype(np.uint64)
            keys = (prefix[ends] - prefix[starts]) * self._inverse_powers[starts]
            keys += sizes << np.uint64(56)
            slots = ((keys * self._SLOT_MULTIPLIER) >> np.uint64(64 - self.bits)).astype(np.int64)
        # Two slots per key (an even one and the next): a direct-mapped table let two
        # common words that share a slot evict each other batch after batch.
        slots &= ~1
        second = self.filled[slots + 1] & (self.keys[slots + 1] == keys)
        slots += second
        long = sizes > self._MAX_KEYED
        hit = self.filled[slots] & (self.keys[slots] == keys) & ~long
        out = self.values[slots]
        stems = self.stem_values[slots]
        missed = np.flatnonzero(~hit)
        if missed.size:
            self._fill(joined, starts, ends, keys, slots, long, missed, out, stems)
        offsets = np.searchsorted(starts, text_starts).astype(np.int64)
        offsets[-1] = starts.shape[0]
        breaks = sentence_starts(codepoints, starts, ends)
        breaks[offsets[:-1][offsets[:-1] < starts.shape[0]]] = True  # each text's first token
        return TokenBatch(out, starts, ends, offsets, text_starts, stems, breaks)

    def _fill(
        self,
        joined: str,
        starts: npt.NDArray[np.int64],
        ends: npt.NDArray[np.int64],
        keys: npt.NDArray[np.uint64],
        slots: npt.NDArray[np.int64],
        long: npt.NDArray[np.bool_],
        missed: npt.NDArray[np.int64],
        out: npt.NDArray[np.uint64],
        stems: npt.NDArray[np.uint64],
    ) -> None:
        """Hash the missed tokens (once per distinct key) and remember the short ones."""
        distinct, first, inverse = np.unique(keys[missed], return_index=True, return_inverse=True)
        at = missed[first]
        words = [joined[s:e] for s, e in zip(starts[at].tolist(), ends[at].tolist(), strict=True)]
        values = np.fromiter(map(hash_token, words), dtype=np.uint64, count=len(words))
        classes = np.fromiter(map(self.classes.of, words), dtype=np.uint64, count=len(words))
        out[missed] = values[inverse.reshape(-1)]
        stems[missed] = classes[inverse.reshape(-1)]
        for i in np.flatnonzero(long).tolist():  # keys of long tokens are not trusted
            word = joined[int(starts[i]) : int(ends[i])]
            out[i], stems[i] = hash_token(word), self.classes.of(word)
        short = ~long[at]
        # A new key goes to its first slot when free, else to its second.
        slots = slots & ~1
        slots[at] += self.filled[slots[at]]
        self.keys[slots[at][short]] = distinct[short]
        self.values[slots[at][short]] = values[short]
        self.stem_values[slots[at][short]] = classes[short]
        self.filled[slots[at][short]] = True


class Tokenizer:
    """Tokenises texts into :class:`Tokens`, caching the hash of every distinct word.

    One instance per process or worker; the cache is bounded by ``cache_size``
    distinct words and simply restarts when full.
    """

    def __init__(self, cache_size: int = 2_000_000) -> None:
        self._cache: dict[str, int] = {}
        self._cache_size = cache_size
        self._table: _TokenHashTable | None = None
        self._classes = WordClasses(normalize_token)

    def _hashes(self, words: list[str]) -> npt.NDArray[np.uint64]:
        cache = self._cache
        if len(cache) > self._cache_size:
            cache.clear()
        get = cache.get
        out = np.empty(len(words), dtype=np.uint64)
        for i, word in enumerate(words):
            h = get(word)
            if h is None:
                h = cache[word] = hash_token(word)
            out[i] = h
        return out

    def tokenize(self, text: str) -> Tokens:
        """Tokens of ``text`` with their spans in ``text``."""
        if not text:
            none = np.zeros(0, dtype=np.int32)
            no_words = np.zeros(0, dtype=np.uint64)
            return Tokens(no_words, none, none, stems=no_words, breaks=np.zeros(0, dtype=bool))
        codepoints = _codepoints(text)
        starts, ends = _boundaries(codepoints)
        words = [text[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
        return Tokens(
            hashes=self._hashes(words),
            starts=starts.astype(np.int32),
            ends=ends.astype(np.int32),
            stems=np.fromiter(map(self._classes.of, words), dtype=np.uint64, count=len(words)),
            breaks=sentence_starts(codepoints, starts, ends),
        )

    def hashes(self, text: str) -> npt.NDArray[np.uint64]:
        """Token hashes only: the fast path for jobs that need no offsets (dedup)."""
        starts, ends = token_spans(text)
        return self._hashes(
            [text[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
        )

    def _batch_table(self) -> _TokenHashTable:
        """The batch paths' table (17 MB), made on first use: per-text users never pay."""
        if self._table is None:
            self._table = _TokenHashTable(classes=self._classes)
        return self._table

    def hashes_batch(
        self, texts: list[str]
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        """Token hashes of many texts at once, about 3x faster than :meth:`hashes`
        per text: text k's hashes are ``hashes[offsets[k] : offsets[k + 1]]``."""
        return self._batch_table().hashes(texts)

    def tokenize_batch(self, texts: list[str]) -> list[Tokens]:
        """:meth:`tokenize` of each text, computed for the whole batch at once."""
        return self.tokenize_joined(texts).split()

    def tokenize_joined(self, texts: list[str]) -> TokenBatch:
        """The tokens of a batch as one set of arrays (:meth:`tokenize_batch` before
        it is cut into texts)."""
        return self._batch_table().tokens(texts)
