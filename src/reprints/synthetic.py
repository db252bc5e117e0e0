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
        self.probabilities = (1.0 / ranks) / (1.0 / ranks).sum()

    def words_list(self, count: int) -> list[str]:
        picks = self.rng.choice(len(self.words), size=count, p=self.probabilities)
        return [self.words[i] for i in picks]

    def sentence(self, words: int) -> str:
        chosen = self.words_list(max(words, 1))
        chosen[0] = chosen[0].capitalize()
        return " ".join(chosen) + "."

    def paragraph(self, words: int) -> str:
        sentences = []
        left = words
        while left > 0:
            size = min(left, int(self.rng.integers(8, 25)))
            sentences.append(self.sentence(size))
            left -= size
        return " ".join(sentences)

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
