"""The non-empty lines of a whole batch of texts, found in numpy passes.

Boilerplate marking looks at every line of every page: where it starts and ends
(surrounding spaces excluded), how many words it has, and a hash of its normalised
text (:func:`line_key`). Doing that line by line in Python was half the time of `find`;
here the texts of a batch are joined (by newlines, so no line spans two texts) into
one array of code points, and a lookup table of character properties gives line
boundaries, word counts and the other per-line figures of the line rules for the whole
batch at once. Only what needs a string stays in Python, once per line: its slice of
the batch and, for the site rule, the hash of its normalised form, which for ASCII
lines is normalised in numpy too (case, spacing and digits) and then only hashed.

Every figure equals what the per-line definitions give (``str.strip``, ``\\w+`` runs,
``\\d``, :func:`line_key`): the property table is read from Python's own ``str``
predicates, for each code point the first time a batch holds it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xxhash

I64 = npt.NDArray[np.int64]

_DIGIT = re.compile(r"\d")

# Character properties, one bit each, as Python's re and str define them.
_SPACE = 1  # str.isspace: what str.strip and str.split remove
_WORD = 2  # \w: str.isalnum or "_"
_DECIMAL = 4  # \d: str.isdecimal
_LETTER = 8  # [^\W\d_]: \w, neither \d nor "_"
_DIGITISH = 16  # \d or "_": what makes a word without letters
_WIDE = 32  # not ASCII
_UNKNOWN = 128  # not looked up yet

_NEWLINE = 10
_UNDERSCORE = 95


def line_key(site: str, text: str) -> int:
    """Hash of a line as the site rule compares it: case, spacing and digits ignored."""
    if not text.isascii():  # NFKC leaves ASCII as it is; most lines are ASCII
        text = unicodedata.normalize("NFKC", text)
    norm = _DIGIT.sub("0", " ".join(text.casefold().split()))
    return xxhash.xxh3_64_intdigest(f"{site}\x00{norm}".encode("utf-8", "surrogatepass"))


def _properties(cp: int) -> int:
    ch = chr(cp)
    word = ch.isalnum() or ch == "_"
    decimal = ch.isdecimal()
    return (
        (_SPACE if ch.isspace() else 0)
        | (_WORD if word else 0)
        | (_DECIMAL if decimal else 0)
        | (_LETTER if word and not decimal and ch != "_" else 0)
        | (_DIGITISH if decimal or ch == "_" else 0)
        | (_WIDE if cp >= 128 else 0)
    )


class _CharTable:
    """Properties of every code point, looked up the first time a batch holds it."""

    def __init__(self) -> None:
        self.table = np.full(0x110000, _UNKNOWN, dtype=np.uint8)
        self.table[:128] = [_properties(cp) for cp in range(128)]

    def of(self, codepoints: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint8]:
        props = self.table[codepoints]
        unknown = props == _UNKNOWN
        if unknown.any():
            new = np.unique(codepoints[unknown])
            self.table[new] = [_properties(cp) for cp in new.tolist()]
            props = self.table[codepoints]
        return props


_CHARS: _CharTable | None = None


def _char_table() -> _CharTable:
    global _CHARS
    if _CHARS is None:
        _CHARS = _CharTable()
    return _CHARS


# ASCII normalisation of the site rule's key: lower case, every space a " ", digits "0".
_ASCII_NORM = np.arange(256, dtype=np.uint8)
_ASCII_NORM[ord("A") : ord("Z") + 1] += 32
_ASCII_NORM[ord("0") : ord("9") + 1] = ord("0")
_ASCII_NORM[[cp for cp in range(128) if chr(cp).isspace()]] = ord(" ")


def _runs(mask: npt.NDArray[np.bool_]) -> I64:
    """Where each run of True in ``mask`` starts."""
    starts = mask.copy()
    starts[1:] &= ~mask[:-1]
    return np.flatnonzero(starts)


def _lettered_runs(
    props: npt.NDArray[np.uint8],
    word: npt.NDArray[np.bool_],
    runs: I64,
    starts: I64,
    ends: I64,
) -> I64:
    """How many ``\\w+`` runs of each line ``starts[i]:ends[i]`` hold a letter."""
    lo, hi = np.searchsorted(runs, starts), np.searchsorted(runs, ends)
    owner = np.repeat(np.arange(starts.shape[0]), hi - lo)
    if owner.size == 0:
        return np.zeros(starts.shape[0], dtype=np.int64)
    at = np.arange(owner.shape[0]) - np.repeat(np.cumsum(hi - lo) - (hi - lo), hi - lo)
    run_starts = runs[lo[owner] + at]
    # A run ends at the first character after its start that is not a word character.
    stops = np.append(np.flatnonzero(~word), word.shape[0])
    run_ends = stops[np.searchsorted(stops, run_starts)]
    letter = np.append((props & _LETTER) != 0, False)
    bounds = np.stack((run_starts, run_ends), axis=1).reshape(-1)
    lettered = np.logical_or.reduceat(letter, bounds)[::2]
    return np.bincount(owner, weights=lettered, minlength=starts.shape[0]).astype(np.int64)


def _count_in(points: I64, starts: I64, ends: I64) -> I64:
    """How many of the sorted ``points`` fall in each ``[start, end)``."""
    return (np.searchsorted(points, ends) - np.searchsorted(points, starts)).astype(np.int64)


@dataclass(frozen=True, slots=True)
class LineBatch:
    """The non-empty lines of a batch of texts, in order, as parallel arrays.

    ``joined`` is the texts joined by newlines; text ``k`` starts at
    ``text_starts[k]`` in it and its lines are ``first[k]`` to ``first[k + 1]``
    (exclusive). ``starts`` and ``ends`` are in ``joined``, surrounding spaces
    excluded; ``tokens`` counts ``\\w+`` runs, ``digits`` flags lines with a ``\\d`` or ``_``,
    ``letter_words`` counts the runs holding a letter in those lines (0 in the others:
    the line rules read it only where there are digits), ``ascii`` flags ASCII lines.
    """

    joined: str
    codepoints: npt.NDArray[np.uint32]
    text_starts: I64
    first: I64
    starts: I64
    ends: I64
    tokens: I64
    letter_words: I64
    digits: npt.NDArray[np.bool_]
    ascii: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    @property
    def doc(self) -> I64:
        """The text of every line."""
        return np.repeat(np.arange(self.first.shape[0] - 1, dtype=np.int64), np.diff(self.first))

    def texts(self, which: I64 | None = None) -> list[str]:
        """The lines (all, or those at ``which``) as strings."""
        starts, ends = self.starts, self.ends
        if which is not None:
            starts, ends = starts[which], ends[which]
        joined = self.joined
        return [joined[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]

    @classmethod
    def of(cls, texts: Sequence[str]) -> LineBatch:
        joined = "\n".join(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        text_starts = np.concatenate(([0], np.cumsum(lengths + 1))).astype(np.int64)
        codepoints = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        props = _char_table().of(codepoints)
        # Lines are the stretches between newlines; each, stripped, runs from its first
        # to its last character that is not a space (and is empty if it has none).
        solid = np.flatnonzero((props & _SPACE) == 0)
        newlines = np.flatnonzero(codepoints == _NEWLINE)
        first_solid = np.searchsorted(solid, np.concatenate(([0], newlines + 1)))
        end_solid = np.searchsorted(solid, np.append(newlines, codepoints.shape[0]))
        full = first_solid < end_solid
        starts = solid[first_solid[full]].astype(np.int64)
        ends = solid[end_solid[full] - 1].astype(np.int64) + 1
        word = (props & _WORD) != 0
        runs = _runs(word)
        tokens = _count_in(runs, starts, ends)
        digits = _count_in(np.flatnonzero(props & _DIGITISH), starts, ends) > 0
        letter_words = np.zeros(starts.shape[0], dtype=np.int64)
        if digits.any():
            letter_words[digits] = _lettered_runs(props, word, runs, starts[digits], ends[digits])
        first = np.searchsorted(starts, text_starts).astype(np.int64)
        first[-1] = starts.shape[0]
        return cls(
            joined,
            codepoints,
            text_starts,
            first,
            starts,
            ends,
            tokens,
            letter_words,
            digits,
            _count_in(np.flatnonzero(props & _WIDE), starts, ends) == 0,
        )

    def keys(self, which: I64, sites: Sequence[str]) -> npt.NDArray[np.uint64]:
        """:func:`line_key` of the lines at ``which``, each with its text's site."""
        if which.shape[0] == 0:
            return np.zeros(0, dtype=np.uint64)
        doc = np.searchsorted(self.first, which, side="right") - 1
        prefixes = {site: f"{site}\x00".encode("utf-8", "surrogatepass") for site in set(sites)}
        norm, moved = self._ascii_norm()
        starts, ends = self.starts[which], self.ends[which]
        joined, digest = self.joined, xxhash.xxh3_64_intdigest
        keys = [
            digest(prefixes[sites[d]] + norm[a:b]) if plain else line_key(sites[d], joined[s:e])
            for d, a, b, s, e, plain in zip(
                doc.tolist(),
                moved(starts).tolist(),
                moved(ends).tolist(),
                starts.tolist(),
                ends.tolist(),
                self.ascii[which].tolist(),
                strict=True,
            )
        ]
        return np.array(keys, dtype=np.uint64)

    def _ascii_norm(self) -> tuple[bytes, Callable[[I64], I64]]:
        """The batch normalised as :func:`line_key` does for ASCII (runs of spaces made
        one space), and where a position of the batch went in it."""
        # Only ASCII lines are read from it: any other code point may map to anything,
        # so its low byte (a view of the little-endian array) will do as an index.
        norm = _ASCII_NORM[self.codepoints.view(np.uint8)[::4]]
        space = norm == ord(" ")
        dropped = space.copy()
        dropped[1:] &= space[:-1]  # a space after a space
        dropped[0] = False
        gone = np.flatnonzero(dropped)
        return norm[~dropped].tobytes(), lambda at: at - np.searchsorted(gone, at)
