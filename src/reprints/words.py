"""Word classes for bag-of-words seeds: stems of content words; stop words dropped.

Dense edits (words replaced, shuffled, a passage put through machine translation and
back) leave few word n-grams intact but most content words, often in another form
("uses" for "used"). The sentence seeds of :mod:`reprints.seeds` therefore compare
sentences as sets of *word classes*: the Snowball stem of the normalised word
(PyStemmer, the Snowball project's C stemmers), with function words mapped to class 0
and ignored, as the best PAN text-alignment systems do (Sanchez-Perez, Sidorov and
Gelbukh, CLEF 2014).
"""

from __future__ import annotations

from collections.abc import Callable

import Stemmer
import xxhash

# The Snowball project's English stop word list (function words: articles, pronouns,
# auxiliaries, prepositions, conjunctions), with contractions split as the tokeniser
# splits them.
STOPWORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing would should could ought a an the and but if or because as
    until while of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don shouldn now d ll m o re ve y
    ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan wasn weren
    won wouldn also may might must shall upon us
    """.split()  # noqa: SIM905 - a word list reads best as text
)


class WordClasses:
    """Maps normalised words to class hashes (0 for a stop word), caching each word.

    One instance per tokeniser: the stemmer and the cache are private to it.
    ``normalize`` is the tokeniser's normal form of a token (NFKC, case folding).
    """

    def __init__(self, normalize: Callable[[str], str], language: str = "english") -> None:
        self._normalize = normalize
        self._stemmer = Stemmer.Stemmer(language)
        self._cache: dict[str, int] = {}

    def of(self, token: str) -> int:
        """The class of one token as it stands in a text: never 0 unless a stop word."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        normalized = self._normalize(token)
        if normalized in STOPWORDS:
            value = 0
        else:
            stem = self._stemmer.stemWord(normalized)
            value = xxhash.xxh3_64_intdigest(stem.encode("utf-8", "surrogatepass")) or 1
        if len(self._cache) > 1_000_000:
            self._cache.clear()
        self._cache[token] = value
        return value
