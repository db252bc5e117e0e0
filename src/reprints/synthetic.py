"""Seeded synthetic news-like text, for tests, benchmarks and the bundled example.

Words are drawn from a made-up Zipfian vocabulary (so the frequency profile looks
like prose: a few very common words, a long tail), sentences end with punctuation
and paragraphs with blank lines. The same seed always gives the same text.
"""

from __future__ import annotations

import string

import numpy as np

_ALPHABET = np.array(list(string.ascii_lowercase))


class TextGenerator:
    """Generates prose-like text from a Zipfian vocabulary of made-up words."""

    def __init__(self, seed: int, vocabulary: int = 30_000) -> None:
        self.rng = np.random.default_rng(seed)
        lengths = self.rng.integers(2, 11, size=vocabulary)
        letters = self.rng.choice(_ALPHABET, size=int(lengths.sum()))
        cuts = np.cumsum(lengths)[:-1]
        self.words = ["".join(w) for w in np.split(letters, cuts)]
        ranks = np.arange(1, vocabulary + 1, dtype=np.float64)
        weights = 1.0 / ranks
        self._cdf = np.cumsum(weights) / weights.sum()

    def words_list(self, count: int) -> list[str]:
        picks = np.searchsorted(self._cdf, self.rng.random(count), side="right")
        last = len(self.words) - 1
        return [self.words[min(i, last)] for i in picks.tolist()]

    def sentence(self, words: int) -> str:
        return self._sentences(self.words_list(max(words, 1)), [max(words, 1)])

    def _sentences(self, words: list[str], lengths: list[int]) -> str:
        out, at = [], 0
        for size in lengths:
            chosen = words[at : at + size]
            at += size
            out.append(" ".join([chosen[0].capitalize(), *chosen[1:]]) + ".")
        return " ".join(out)

    def paragraph(self, words: int) -> str:
        """``words`` words in sentences of 8 to 24 words (drawn in one go: fast)."""
        lengths = self.rng.integers(8, 25, size=words // 8 + 1)
        ends = np.cumsum(lengths)
        cut = int(np.searchsorted(ends, words))
        sizes = [*lengths[:cut].tolist(), words - int(ends[cut - 1]) if cut else words]
        return self._sentences(self.words_list(words), [n for n in sizes if n > 0])

    def article(self, words: int, paragraph_words: int = 60) -> str:
        paragraphs = []
        left = words
        while left > 0:
            size = min(left, paragraph_words)
            paragraphs.append(self.paragraph(size))
            left -= size
        return "\n\n".join(paragraphs)

    def edit(self, text: str, rate: float) -> str:
        """Change, drop or insert a word at about ``rate`` of the word positions."""
        out: list[str] = []
        for word in text.split(" "):
            roll = self.rng.random()
            if roll < rate / 3:
                continue  # dropped
            if roll < 2 * rate / 3:
                out.append(self.words_list(1)[0])  # changed
                continue
            out.append(word)
            if roll < rate:
                out.append(self.words_list(1)[0])  # inserted after
        return " ".join(out)
