"""Boilerplate: the lines of a page that belong to the site, not to the document.

Two mechanisms mark lines; neither ever changes a document's text. Marked lines keep
their offsets, their tokens are flagged in :attr:`reprints.text.Tokens.boilerplate`
so that they never pair two documents, and ``--drop-boilerplate`` can remove them
from written output with :func:`drop_spans`.

**Site boilerplate.** Documents are grouped by site: the host of their ``url``
metadata, else the folder of their ``source`` file when it is a saved web page
(documents with neither belong to no site: a folder of text files is as often an
archive of many papers, whose shared lines are reprints). A line that occurs in at
least ``min_docs`` documents of one site is site chrome (headers, footers, "Share
this" rows) and is marked ``site-repeat``, except a sentence-length line found on
fewer than half of the site's pages: that is an article the site ran again. Counting
is one hash per distinct line per document, kept in numpy arrays and compacted as
they grow, so a first pass over millions of documents stays cheap. One guard: a
document whose lines are *all* repeated on its site is a copy of another page of that
site, not chrome around an article, so its sentence-length lines are left unmarked
(otherwise a story published three times on one site could never be found as a copy).

**Line rules**, for text with no HTML or too few pages of a site to count lines, in
the spirit of the C4 and Gopher line filters (Raffel et al. 2020; Rae et al. 2021)
and of jusText's context rules (Pomikálek 2011). Each non-empty line is first judged
on its own:

- ``widget``: share, comment and navigation widgets ("Post a Comment", "<< Home",
  "(More here.)", "0 Comments:", "Click here to ...", "Sign up for our newsletter",
  "Follow us on Twitter", copyright and cookie notices, "Related: ...", "Read more: ...");
- ``crumbs``: navigation glued to a title ("News On Iran & Its NeighboursIraqBeleaguered
  ..."): at least two words glued lower-to-upper case, in a short line;
- ``teaser``: a headline or teaser cut off with an ellipsis glued to its last word
  ("... of the..."), or ending in a bracketed tag ("[VIDEO]"), when it has a teaser
  neighbour (a run of teasers is a list of links; a lone one is an author's style);
- ``non-text``: a URL, a time stamp or other line that is mostly not words;
- *good*: a line of at least four words ending in sentence punctuation, or a long
  line (a paragraph that lost its final period);
- *undecided*: everything else: short lines without sentence punctuation (headings,
  titles, bylines, "Latest news", "Must read").

Then, as in jusText, undecided lines take their class from their context: a heading
belongs to what follows it, so an undecided line takes the class of the next decided
line below it (or, at the end of the text, of the one above), and is marked
``short-in-boilerplate`` when that is boilerplate. A run of at least four undecided
lines of at most six tokens on average that does not sit between two good lines is a
menu or tag cloud (``menu``), even before content. A text with no decided line at all
keeps every line.

Measured on 181 real pages with gold article text (``benchmarks/extraction.py``): on
trafilatura's main text the rules raise token F1 from 0.969 to 0.971 and cost 0.3
points of recall; on every visible line of the pages, F1 0.704 → 0.814, recall −0.7.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from reprints.arrays import sum_by_key
from reprints.documents import Document
from reprints.line_batch import I64, LineBatch
from reprints.options import check
from reprints.text import Tokens

SITE_REPEAT = "site-repeat"
WIDGET = "widget"
CRUMBS = "crumbs"
TEASER = "teaser"
NON_TEXT = "non-text"
SHORT_IN_BOILERPLATE = "short-in-boilerplate"
MENU = "menu"

# Lines marked by the site rule are compacted into (key, count) arrays once this many
# (document, line) keys are pending, which bounds the memory of the first pass.
_COMPACT_EVERY = 4_000_000
# Documents are counted in batches of about this many characters (numpy passes over
# the batch; see reprints.line_batch).
_COUNT_BATCH_CHARS = 1 << 20
_TOP_LINES = 20
_TOP_KEPT = 100_000  # repeated lines whose text is kept for the summary's top lines
_ENTIRELY_REPEATED = 0.95  # share of a document's characters: a copy, not chrome
_SENTENCE_TOKENS = 12  # lines this long are kept in documents that are entirely repeated
# A sentence-length line is chrome only if most of its site's pages carry it (an "About
# us" footer); in fewer it is an article reprinted on the site, to be found, not hidden.
_CHROME_SHARE = 0.5

_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"\w+")
_WORD_WITH_LETTER = re.compile(r"\w*[^\W\d_]\w*")  # a \w+ run holding at least one letter
_DIGIT = re.compile(r"\d")

# Widgets recognised by the whole line (case-insensitive, surrounding spaces ignored).
_WIDGET_LINE = re.compile(
    r"""^(?:
        post\ a\ comment | leave\ a\ (?:comment|reply) | \d+\ comments?:? | comments?:?
      | <<\ ?home | home | newer\ posts? | older\ posts? | (?:previous|next)\ (?:post|article|story)
      | \(?more\ here\.?\)? | read\ more\.? | continue\ reading\.?
      | (?:print|email|share)(?:\ (?:this|article|story))*
      | tweet | advertisement | skip\ to\ (?:main\ )?content | explore\ further | back\ to\ top
      | (?:tags?|labels?|categories|category|filed\ under)\b.* | posted\ by\b.* | subscribe\ to:.*
      | (?:related|see\ also|read\ more|also\ read|read\ also|more|more\ on\ this|recommended)\s*:.*
      | you\ (?:may|might)\ also\ like\W* | (?:sorry|oops)\W* | also\ on\ \S+\.\w+\b.*
      | (?:last\ )?updated(?:\ at|\ on|:)\ [\w\s.,:]{0,30}\d[\w\s.,:]{0,20}
      | (?:last\ )?updated\ \d[\w\s.,:]{0,30} | most\ read\b[^.!?]{0,30}
      )$""",
    re.IGNORECASE | re.VERBOSE,
)
# Calls to action and notices recognised anywhere in a line that is not a long paragraph.
_WIDGET_PHRASE = re.compile(
    r"""(?:^(?:sign\ up|subscribe|register|log\ ?in)\b
      | \b(?:newsletters?|inbox)\b.*\b(?:sign\ up|subscribe)
      | \b(?:sign\ up|subscribe)\b.*\b(?:newsletters?|inbox)\b
      | \bfollow\ (?:us|him|her|them)\ (?:on|at)\ (?:\S+\ ){0,2}?(?:twitter|facebook|instagram
          |x|tiktok|youtube|linkedin|threads|mastodon|bluesky|social\ media)\b
      | \bfollow\ @\w+
      | \bfollow\ \S+(?:\ \S+){0,5}\ on\ (?:twitter|facebook|instagram)\b
      | \ball\ rights\ reserved\b | \bcopyright\ [©ⓒ] | [©ⓒ]\ ?\d{4}
      | \bcookie\ policy\b | \buse\ (?:of\ )?cookies\b
      | \bprivacy\ policy\b | \bterms\ of\ (?:use|service)\b | \bjavascript\b | \blorem\ ipsum\b
      | \bfor\ (?:your\ )?personal,?\ non-commercial\ use\b | \bget\ the\ \w+(?:\ \w+)?\ app\b
      | \bthanks?\ (?:you\ )?for\ (?:signing\ up|subscribing)\b | \byour\ inbox\b
      | \ban\ error\ (?:has\ )?occurred\b | \berror\ processing\ your\b | \bplease\ try\ again\b
      | ^write\ to\ .*\ at\ \S+@\S+ | \bif\ you\ (?:enjoyed|liked)\ this\ (?:article|story|post)\b
      | \bshare\ it\ with\ a\ friend\b
      )""",
    re.IGNORECASE | re.VERBOSE,
)
_WIDGET_PHRASE_MAX_TOKENS = 30
# "Click here" is a call to action in a short line ("Click here to subscribe"); in a
# longer one it is usually prose that reports one ("Click here to read the report, the
# mayor told reporters").
_CLICK_HERE = re.compile(r"\bclick\ here\b", re.IGNORECASE)
_CLICK_HERE_MAX_TOKENS = 10
# Every alternative of _WIDGET_PHRASE holds one of these (case-folded). Python's re
# tries a pattern of many alternatives at every position of a line, which made it the
# slowest step of the line rules; plain substring tests rule out nearly every line first.
_WIDGET_TRIGGERS = (
    "sign", "subscri", "regist", "log", "click", "newsletter", "inbox", "follow", "rights",
    "©", "ⓒ", "cookie", "privacy", "terms", "javascript", "lorem", "personal", "app", "thank",
    "error", "try again", "write to", "enjoyed", "liked", "share",
)  # fmt: skip
_GLUED = re.compile(r"[a-z]{2}[A-Z][a-z]")
_HANDLE = re.compile(r"(?<!\S)[#@]\S*")  # hashtags and handles: glued on purpose
_CRUMBS_HEAD = 60  # navigation is glued to the start of a line
_CRUMBS_MAX_TOKENS = 30
_TEASER_END = re.compile(r"""(?:[\w'"’”)](?:\.{3}|…)|\[[A-Z ]{2,}\]\s*\|?)$""")
_TEASER_MAX_TOKENS = 45
_TEASER_RUN = 4  # a teaser needs another teaser this many lines away or closer
_SENTENCE_END = re.compile(r"""[.!?:;]["'”’»)\]]*$""")  # what _sentence_end tells
_SENTENCE_PUNCTUATION = ".!?:;"
_CLOSERS = "\"'”’»)]"
# How any _TEASER_END match in a stripped line ends ("...", "…", "]" or "|").
_TEASER_ENDINGS = ("...", "…", "]", "|")
_TAIL = 80  # characters at the end of a line that the two patterns above can match
_URL_ONLY = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_GOOD_MIN_WORDS = 4
_MIN_WORDS_WITH_LETTERS = 0.3
_HEADING_RUN = 2  # undecided lines between content and boilerplate that join the latter
_LONG_LINE_WORDS = 25
_MENU_MIN_LINES = 4  # a run of at least this many undecided lines ...
_MENU_MEAN_TOKENS = 6  # ... this short on average, not between two paragraphs: a menu


@dataclass(frozen=True, slots=True)
class MarkedSpan:
    """A marked stretch of a document: character offsets (end exclusive) and why."""

    start: int
    end: int
    reason: str


@dataclass(frozen=True, slots=True)
class _Line:
    start: int
    end: int
    text: str
    tokens: int


def _lines(text: str) -> list[_Line]:
    """The non-empty lines of a text with their spans, surrounding spaces excluded."""
    out = []
    for m in _LINE.finditer(text):
        raw = m.group()
        stripped = raw.strip()
        if not stripped:
            continue
        start = m.start() + (len(raw) - len(raw.lstrip()))
        out.append(_Line(start, start + len(stripped), stripped, len(_WORD.findall(stripped))))
    return out


# Saved web pages: a folder of them is taken for one site. A folder of plain-text or
# JSON Lines files is not: it is as often an archive of many papers, where a story
# reprinted in a few of them is exactly the reuse to find, not chrome.
_PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")


def _is_saved_page(path: str) -> bool:
    suffixes = [s.lower() for s in PurePath(path).suffixes]
    return any(s in _PAGE_SUFFIXES for s in suffixes[-2:])


# An http(s) URL whose host is plain letters, digits, dots and hyphens, with no user,
# port or stray control character: its host is what urlsplit finds, lower-cased.
_PLAIN_URL = re.compile(r"(?i:https?)://([A-Za-z0-9.-]+)(?:[/?#]|\Z)")


def _host(url: str) -> str | None:
    """``urlsplit(url).hostname`` (None where urlsplit refuses the URL), without
    urlsplit for the plain URLs of nearly every page."""
    plain = _PLAIN_URL.match(url)
    if plain:
        return plain.group(1).lower()
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def site_of(doc: Document) -> str | None:
    """The site a document belongs to: its URL's host, else the folder of its source
    file when that is a saved web page, else None."""
    url = doc.meta.get("url")
    if isinstance(url, str) and url:
        host = _host(url.strip())
        if host:
            return host.removeprefix("www.")
    source = doc.meta.get("source")
    if isinstance(source, str) and source and source != "-" and _is_saved_page(source):
        return "folder:" + PurePath(source).parent.as_posix()
    return None


# --- line rules ---------------------------------------------------------------------


def _glued_words(text: str) -> int:
    """Places where one word runs into the next without a space ("NeighboursIraq"),
    not counting hashtags and handles, which are glued on purpose."""
    return len(_GLUED.findall(_HANDLE.sub(" ", text)))


def _widget_phrase(text: str) -> bool:
    folded = text.casefold()
    return any(t in folded for t in _WIDGET_TRIGGERS) and bool(_WIDGET_PHRASE.search(text))


def _sentence_end(tail: str) -> bool:
    """``_SENTENCE_END.search(tail)``: sentence punctuation, then only closing quotes
    and brackets (a right strip, instead of a search tried at every position)."""
    bare = tail.rstrip(_CLOSERS)
    return bool(bare) and bare[-1] in _SENTENCE_PUNCTUATION


def _judge(text: str, tokens: int, digits: bool, letter_words: int) -> str | None:
    """A line's class on its own: a boilerplate reason, "good", or None (undecided).

    ``tokens`` counts the line's ``\\w+`` runs and ``letter_words`` those holding a
    letter; ``digits`` says whether it holds a ``\\d`` or an underscore (what
    :class:`reprints.line_batch.LineBatch` counts for a whole batch; :func:`_figures`
    for one line).
    """
    if tokens == 0:
        return None  # punctuation only: no tokens, nothing to mark
    if text.startswith("|") and text.endswith("|"):
        return "good"  # a table row: the extractor keeps tables only inside content
    if _WIDGET_LINE.match(text):
        return WIDGET
    if tokens <= _WIDGET_PHRASE_MAX_TOKENS and _widget_phrase(text):
        return WIDGET
    if tokens <= _CLICK_HERE_MAX_TOKENS and _CLICK_HERE.search(text):
        return WIDGET
    if _URL_ONLY.match(text):
        return NON_TEXT
    # A word without letters is made of digits or underscores.
    if digits and letter_words < _MIN_WORDS_WITH_LETTERS * tokens:
        return NON_TEXT  # the Gopher rule on words without letters, for one line
    # Both patterns are anchored at the end: look at the tail, not the whole paragraph;
    # a teaser's tail ends in one of four ways (the line is stripped).
    tail = text[-_TAIL:]
    sentence = _sentence_end(tail)
    teaser = tail.endswith(_TEASER_ENDINGS) and bool(_TEASER_END.search(tail))
    if (
        tokens <= _CRUMBS_MAX_TOKENS
        and (teaser or not sentence)
        and _glued_words(text[:_CRUMBS_HEAD]) >= 2
    ):
        return CRUMBS
    if tokens <= _TEASER_MAX_TOKENS and teaser:
        return TEASER
    if tokens >= _GOOD_MIN_WORDS and sentence:
        return "good"
    if tokens >= _LONG_LINE_WORDS:
        return "good"
    return None


def _figures(text: str) -> tuple[int, bool, int]:
    """What :func:`_judge` needs besides the text, for one line, by the definitions."""
    digits = bool(_DIGIT.search(text)) or "_" in text
    return len(_WORD.findall(text)), digits, len(_WORD_WITH_LETTER.findall(text))


def classify_lines(lines: list[_Line]) -> list[str | None]:
    """Boilerplate reason of every line, or None for lines that are kept."""
    judged = [_judge(line.text, *_figures(line.text)) for line in lines]
    return _in_context(judged, [line.tokens for line in lines])


def _in_context(judged: list[str | None], tokens: list[int]) -> list[str | None]:
    """The reasons of a text's lines, from each line's class on its own (``judged``,
    changed in place) and the lines around it."""
    # A teaser counts only in a run of teasers (or beside crumbs): a single line
    # ending in "..." is as often an author's trailing-off sentence.
    teasers = [i for i, j in enumerate(judged) if j in (TEASER, CRUMBS)]
    for i in teasers:
        if judged[i] == TEASER and not any(0 < abs(i - k) <= _TEASER_RUN for k in teasers):
            judged[i] = None
    if all(j is None for j in judged):
        return [None] * len(judged)
    # Undecided lines take their class from the lines around them that were decided
    # on their content (URLs and numbers say nothing about their neighbours). A heading
    # belongs to what follows it; but a long run of undecided lines between content (or
    # the start of the text) and boilerplate is more likely a list in the content than
    # headings of the chrome.
    out: list[str | None] = [None if j == "good" else j for j in judged]
    sides = [None if j == NON_TEXT else j for j in judged]
    i = 0
    while i < len(sides):
        if sides[i] is not None:
            i += 1
            continue
        j = i
        while j < len(sides) and sides[j] is None:
            j += 1
        before = next((_side(s) for s in reversed(sides[:i]) if s is not None), None)
        after = _side(sides[j]) if j < len(sides) else None
        undecided = [k for k in range(i, j) if judged[k] is None]
        if after is None:
            bad = before == "bad"
        elif after == "good":
            bad = False
        elif before == "bad":
            bad = True
        else:  # content or the start of the text, then boilerplate
            bad = len(undecided) <= _HEADING_RUN
        if bad:
            for k in undecided:
                out[k] = SHORT_IN_BOILERPLATE
        elif not (before == "good" and after == "good") and _is_menu(tokens, undecided):
            for k in undecided:
                out[k] = MENU
        i = j
    return out


def _is_menu(tokens: list[int], run: list[int]) -> bool:
    """A run of many very short lines outside the text's content: a menu or tag cloud."""
    if len(run) < _MENU_MIN_LINES:
        return False
    return sum(tokens[k] for k in run) <= _MENU_MEAN_TOKENS * len(run)


def _side(judged: str | None) -> str | None:
    return None if judged is None else ("good" if judged == "good" else "bad")


# --- the site rule as stages: counts that merge, a marker without side effects -----


@dataclass(frozen=True, slots=True)
class BoilerplateSettings:
    """How boilerplate is marked: the site rule's threshold, the line rules, and whether
    documents of no site count as one site, the corpus.

    ``corpus_wide`` is for cleaning a corpus (``dedup --drop-boilerplate``): a line in
    ``min_docs`` documents is marked whatever its length, since a paragraph in hundreds
    of documents is boilerplate to cut there.
    """

    min_docs: int = 3
    line_rules: bool = True
    corpus_wide: bool = False

    def __post_init__(self) -> None:
        # One page's lines are not repeats. Named by the flag the CLI sets it with.
        check([("boilerplate_min_docs", self.min_docs, self.min_docs >= 2, "at least 2")])

    def site(self, doc: Document) -> str | None:
        """The site whose pages a document's lines are counted over, or None."""
        site = site_of(doc)
        return "corpus:" if site is None and self.corpus_wide else site

    @property
    def chrome_share(self) -> float:
        return 0.0 if self.corpus_wide else _CHROME_SHARE


@dataclass(frozen=True, slots=True)
class LineCounts:
    """How many documents hold each line of each site, as sorted ``keys`` and their
    ``counts``, with the documents of each site and of the whole collection.

    Counts of two parts of a collection :meth:`merge` into the counts of the whole, in
    any order and any grouping: what a Spark job (counts per partition) and an index
    (counts that grow with each addition) need.
    """

    keys: npt.NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, np.uint64))
    counts: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    site_docs: Mapping[str, int] = field(default_factory=dict)
    documents: int = 0

    def merge(self, other: LineCounts) -> LineCounts:
        keys, counts = sum_by_key(
            np.concatenate((self.keys, other.keys)), np.concatenate((self.counts, other.counts))
        )
        sites = Counter(self.site_docs)
        sites.update(other.site_docs)
        return LineCounts(keys, counts, dict(sites), self.documents + other.documents)


class LineCounter:
    """Counts lines as documents are added (the streaming form of :func:`count_lines`):
    the documents of a site wait until about a million characters of them can be
    counted as one batch (:class:`LineBatch`), and keys are held in arrays and compacted
    as they grow, so a first pass over millions of documents stays cheap. Its
    :meth:`counts` (which counts what waits) equal :func:`count_lines` on the same
    documents."""

    def __init__(self, settings: BoilerplateSettings) -> None:
        self.settings = settings
        self._counts = LineCounts()
        self._pending: list[npt.NDArray[np.uint64]] = []
        self._pending_size = 0
        self._documents = 0
        self._site_docs: Counter[str] = Counter()
        self._texts: list[str] = []  # documents of a site waiting to be counted together
        self._sites: list[str] = []
        self._chars = 0

    def add(self, doc: Document) -> None:
        self._documents += 1
        site = self.settings.site(doc)
        if site is None:
            return
        self._site_docs[site] += 1
        self._texts.append(doc.text)
        self._sites.append(site)
        self._chars += len(doc.text)
        if self._chars >= _COUNT_BATCH_CHARS:
            self._count_batch()

    def _count_batch(self) -> None:
        """Count the distinct lines of each waiting document, in one batch."""
        if not self._texts:
            return
        batch = LineBatch.of(self._texts)
        which = np.flatnonzero(batch.tokens > 0)  # lines with a word
        keys = batch.keys(which, self._sites)
        docs = batch.doc[which]
        order = np.lexsort((keys, docs))
        keys, docs = keys[order], docs[order]
        distinct = np.ones(keys.shape[0], dtype=bool)
        distinct[1:] = (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])
        self._texts, self._sites, self._chars = [], [], 0
        if distinct.any():
            self._pending.append(keys[distinct])
            self._pending_size += int(distinct.sum())
            if self._pending_size >= _COMPACT_EVERY:
                self._compact()

    def _compact(self) -> None:
        self._count_batch()
        if self._pending:
            keys = np.concatenate(self._pending)
            part = LineCounts(*sum_by_key(keys, np.ones(keys.size, dtype=np.int64)))
            self._counts = self._counts.merge(part)
            self._pending, self._pending_size = [], 0

    def counts(self) -> LineCounts:
        """The counts of every document added so far."""
        self._compact()
        counts = self._counts
        return LineCounts(counts.keys, counts.counts, dict(self._site_docs), self._documents)


def count_lines(documents: Iterable[Document], settings: BoilerplateSettings) -> LineCounts:
    """The line counts of a batch of documents (merge batches with :meth:`LineCounts.merge`)."""
    counter = LineCounter(settings)
    for doc in documents:
        counter.add(doc)
    return counter.counts()


@dataclass(frozen=True, slots=True)
class TopLine:
    """A repeated site line marked somewhere, with the documents holding it. Lines that
    differ only in case, spacing or digits share a key; the one shown is the first in
    the smallest document id, so that it comes from the data, not the marking order."""

    documents: int
    site: str
    line: str
    doc: str
    line_no: int


def _trim_top(top: dict[int, TopLine]) -> dict[int, TopLine]:
    """At most _TOP_KEPT top lines, chosen by an order that does not depend on which
    text shows a key: then trimming the parts of a collection and merging them keeps
    the same keys as trimming the whole (a key in the top of the whole is in the top of
    every part holding it)."""
    if len(top) <= _TOP_KEPT:
        return top
    ranked = sorted(top.items(), key=lambda kv: (-kv[1].documents, kv[1].site, kv[0]))
    return dict(ranked[:_TOP_KEPT])


@dataclass(frozen=True, slots=True)
class MarkCounts:
    """What marking a batch of documents marked, for the summary; the counts of two
    batches :meth:`merge` (in any order) into the counts of both."""

    lines: Mapping[str, int] = field(default_factory=dict)
    chars: Mapping[str, int] = field(default_factory=dict)
    documents: int = 0  # documents with at least one marked line
    copies_unmarked: int = 0  # documents entirely repeated on their site (kept)
    top: Mapping[int, TopLine] = field(default_factory=dict)  # line key -> its line

    def merge(self, other: MarkCounts) -> MarkCounts:
        return MarkCounts.total((self, other))

    @staticmethod
    def total(parts: Iterable[MarkCounts]) -> MarkCounts:
        """The counts of every part, merged at once."""
        tally = _Tally()
        for part in parts:
            tally.add(part)
        return tally.freeze()


class _Tally:
    """A MarkCounts being added up in place (one batch, or a detector's session)."""

    def __init__(self) -> None:
        self.lines: Counter[str] = Counter()
        self.chars: Counter[str] = Counter()
        self.documents = 0
        self.copies_unmarked = 0
        self.top: dict[int, TopLine] = {}

    def top_line(self, key: int, line: TopLine) -> None:
        known = self.top.get(key)
        if known is None or (line.doc, line.line_no) < (known.doc, known.line_no):
            self.top[key] = line

    def add(self, counts: MarkCounts) -> None:
        self.lines.update(counts.lines)
        self.chars.update(counts.chars)
        self.documents += counts.documents
        self.copies_unmarked += counts.copies_unmarked
        for key, line in counts.top.items():
            self.top_line(key, line)
        if len(self.top) > 2 * _TOP_KEPT:
            self.top = _trim_top(self.top)

    def freeze(self) -> MarkCounts:
        return MarkCounts(
            dict(self.lines),
            dict(self.chars),
            self.documents,
            self.copies_unmarked,
            _trim_top(self.top),
        )


@dataclass(frozen=True, slots=True)
class BoilerplateMarker:
    """Marks the boilerplate lines of documents, reading only what it was built from:
    the repeated line keys of the collection and the page counts of its sites. It has
    no state that marking changes, so it can be copied to worker processes (it pickles
    without the count of every line) and called any number of times."""

    settings: BoilerplateSettings
    repeated: npt.NDArray[np.uint64]  # sorted keys of lines in at least min_docs documents
    repeated_counts: npt.NDArray[np.int64]  # documents holding each repeated key
    site_pages: Mapping[str, int]  # documents of each site with at least min_docs

    @classmethod
    def from_counts(cls, settings: BoilerplateSettings, counts: LineCounts) -> BoilerplateMarker:
        repeated = counts.counts >= settings.min_docs
        pages = {s: n for s, n in counts.site_docs.items() if n >= settings.min_docs}
        return cls(settings, counts.keys[repeated], counts.counts[repeated], pages)

    def spans(self, doc: Document) -> list[MarkedSpan]:
        """Marked spans of one document, sorted and non-overlapping."""
        return self._mark([doc], _Tally())[0]

    def mark_batch(
        self, documents: Sequence[Document]
    ) -> tuple[list[list[MarkedSpan]], MarkCounts]:
        """Marked spans of each document, and what was marked, for the summary."""
        tally = _Tally()
        spans = self._mark(documents, tally)
        return spans, tally.freeze()

    def mark_joined(self, documents: Sequence[Document]) -> tuple[I64, I64, MarkCounts]:
        """The marked lines of a batch as two arrays, their starts and ends in the
        documents' texts joined by newlines (where a batch tokeniser's offsets are),
        and what was marked: :meth:`mark_batch` without a span object per line."""
        tally = _Tally()
        batch, reasons = self._reasons(documents, tally)
        marked = np.flatnonzero(reasons)
        return batch.starts[marked], batch.ends[marked], tally.freeze()

    def _mark(self, documents: Sequence[Document], tally: _Tally) -> list[list[MarkedSpan]]:
        batch, reasons = self._reasons(documents, tally)
        spans: list[list[MarkedSpan]] = [[] for _ in documents]
        marked = np.flatnonzero(reasons)
        doc = np.searchsorted(batch.first, marked, side="right") - 1
        base = batch.text_starts[doc]
        for d, start, end, code in zip(
            doc.tolist(),
            (batch.starts[marked] - base).tolist(),
            (batch.ends[marked] - base).tolist(),
            reasons[marked].tolist(),
            strict=True,
        ):
            spans[d].append(MarkedSpan(start, end, _REASONS[code]))
        return spans

    def _reasons(
        self, documents: Sequence[Document], tally: _Tally
    ) -> tuple[LineBatch, npt.NDArray[np.int8]]:
        """The lines of a batch and the reason of each (an index in _REASONS, 0 where
        kept), counted in ``tally``: the lines found together (:class:`LineBatch`), the
        site rule's keys looked up together, the line rules judged once per distinct
        line; only the texts that need the context rules go line by line."""
        batch = LineBatch.of([doc.text for doc in documents])
        reasons = np.zeros(len(batch), dtype=np.int8)
        if batch.starts.size:
            self._mark_site_repeats(documents, batch, reasons, tally)
            if self.settings.line_rules:
                _mark_by_rules(batch, reasons)
        marked = np.flatnonzero(reasons)
        codes = reasons[marked]
        lengths = batch.ends[marked] - batch.starts[marked]
        # Reasons in the order they first occur, as counting span by span adds them.
        seen, first = np.unique(codes, return_index=True)
        for code in seen[np.argsort(first)].tolist():
            these = codes == code
            tally.lines[_REASONS[code]] += int(these.sum())
            tally.chars[_REASONS[code]] += int(lengths[these].sum())
        owners = np.searchsorted(batch.first, marked, side="right") - 1
        tally.documents += int(np.unique(owners).shape[0])
        return batch, reasons

    def _mark_site_repeats(
        self,
        documents: Sequence[Document],
        batch: LineBatch,
        reasons: npt.NDArray[np.int8],
        tally: _Tally,
    ) -> None:
        repeated = self.repeated
        if repeated.size == 0:
            return
        sites = [self.settings.site(doc) for doc in documents]
        # A site with fewer than min_docs documents cannot repeat a line that often:
        # its lines are not even hashed; nor are lines without a word.
        pages = np.array([self.site_pages.get(s, 0) if s is not None else 0 for s in sites])
        doc = batch.doc
        which = np.flatnonzero((pages[doc] > 0) & (batch.tokens > 0))
        if which.size == 0:
            return
        keys = batch.keys(which, [s or "" for s in sites])
        # ``repeated`` is sorted (it comes from the compacted keys): a binary search.
        at = np.minimum(np.searchsorted(repeated, keys), repeated.size - 1)
        hit = repeated[at] == keys
        if not hit.any():
            return
        owner = doc[which]
        lengths = (batch.ends - batch.starts)[which]
        held = np.bincount(owner[hit], minlength=len(documents)) > 0
        hit_chars = np.bincount(owner[hit], weights=lengths[hit], minlength=len(documents))
        all_chars = np.bincount(owner, weights=lengths, minlength=len(documents))
        entirely = held & (hit_chars >= _ENTIRELY_REPEATED * all_chars)
        tally.copies_unmarked += int(entirely.sum())
        lines, owner, keys = which[hit], owner[hit], keys[hit]
        counts = self.repeated_counts[at[hit]]
        kept = (batch.tokens[lines] >= _SENTENCE_TOKENS) & (
            entirely[owner] | (counts < self.settings.chrome_share * pages[owner])
        )
        lines, owner, keys, counts = lines[~kept], owner[~kept], keys[~kept], counts[~kept]
        reasons[lines] = _CODES[SITE_REPEAT]
        # Each key's top line: the first in the smallest document id (ties: the first
        # marked), as marking line by line would keep it.
        ids = {doc_id: r for r, doc_id in enumerate(sorted({doc.id for doc in documents}))}
        rank = np.array([ids[doc.id] for doc in documents], dtype=np.int64)
        line_no = lines - batch.first[owner]
        order = np.lexsort((lines, line_no, rank[owner]))
        _, first = np.unique(keys[order], return_index=True)
        best = order[first]
        for i, text in zip(best.tolist(), batch.texts(lines[best]), strict=True):
            d = int(owner[i])
            site = sites[d]
            assert site is not None
            line = TopLine(int(counts[i]), site, text, documents[d].id, int(line_no[i]))
            tally.top_line(int(keys[i]), line)


# Boilerplate reasons by their index in the reason arrays of a batch (0: kept).
_REASONS: tuple[str | None, ...] = (
    None, SITE_REPEAT, WIDGET, CRUMBS, TEASER, NON_TEXT, SHORT_IN_BOILERPLATE, MENU, "good"
)  # fmt: skip
_CODES = {reason: code for code, reason in enumerate(_REASONS)}
_GOOD = _CODES["good"]
_JUDGED_KEEP = 100_000  # distinct short lines whose class is remembered (least recent go)
_JUDGED_MAX_CHARS = 500  # longer lines are paragraphs: judged each time, cheaply


@functools.lru_cache(maxsize=_JUDGED_KEEP)
def _judged_code(text: str, tokens: int, digits: bool, letter_words: int) -> int:
    """:func:`_judge` of a short line as an index in _REASONS, remembered: a pure
    function of the line (the figures are the line's own), so the memo changes no
    result, only how often a menu line repeated on every page is judged."""
    return _CODES[_judge(text, tokens, digits, letter_words)]


def _judge_all(batch: LineBatch) -> npt.NDArray[np.int8]:
    """:func:`_judge` of every line of a batch (as an index in _REASONS), once per
    distinct short line: lines repeated across pages are judged once per process."""
    out = np.zeros(len(batch), dtype=np.int8)
    worded = np.flatnonzero(batch.tokens > 0)  # lines without a word are undecided
    codes = []
    for text, tokens, digits, letter_words in zip(
        batch.texts(worded),
        batch.tokens[worded].tolist(),
        batch.digits[worded].tolist(),
        batch.letter_words[worded].tolist(),
        strict=True,
    ):
        if len(text) > _JUDGED_MAX_CHARS:  # never remembered: not even looked up
            codes.append(_CODES[_judge(text, tokens, digits, letter_words)])
        else:
            codes.append(_judged_code(text, tokens, digits, letter_words))
    out[worded] = codes
    return out


def _mark_by_rules(batch: LineBatch, reasons: npt.NDArray[np.int8]) -> None:
    """The line rules' reasons, where the site rule left a line unmarked."""
    judged = _judge_all(batch)
    first = batch.first
    lines = np.diff(first)
    good = np.diff(np.concatenate(([0], np.cumsum(judged == _GOOD)))[first])
    undecided = np.diff(np.concatenate(([0], np.cumsum(judged == 0)))[first])
    # A text whose lines are all good, or all undecided, keeps every line.
    busy = np.flatnonzero((lines > 0) & (good < lines) & (undecided < lines))
    names = [_REASONS[code] for code in judged.tolist()] if busy.size else []
    tokens = batch.tokens.tolist() if busy.size else []
    for d in busy.tolist():
        lo, hi = int(first[d]), int(first[d + 1])
        found = _in_context(names[lo:hi], tokens[lo:hi])
        for k, reason in enumerate(found, start=lo):
            if reason is not None and reasons[k] == 0:
                reasons[k] = _CODES[reason]


def boilerplate_summary(
    settings: BoilerplateSettings, counts: LineCounts, marks: MarkCounts
) -> dict[str, Any]:
    """Counts by reason and the most repeated site lines, for ``summary.json``."""
    top = sorted(
        ((t.documents, t.site, t.line) for t in marks.top.values()),
        key=lambda t: (-t[0], t[1], t[2]),
    )[:_TOP_LINES]
    return {
        "min_docs": settings.min_docs,
        "line_rules": settings.line_rules,
        "documents": counts.documents,
        "sites": len(counts.site_docs),
        "documents_with_marked_lines": marks.documents,
        "entirely_repeated_documents_kept": marks.copies_unmarked,
        "marked_lines": dict(sorted(marks.lines.items())),
        "marked_chars": dict(sorted(marks.chars.items())),
        "top_repeated_lines": [
            {"site": site, "line": line, "documents": count} for count, site, line in top
        ],
    }


class BoilerplateDetector:
    """The stages above in one object, for a caller in one process: :meth:`observe`
    every document (counting its lines), then :meth:`marker` for a marker to mark with
    (in any process), and :meth:`summary` with what the marker's batches marked
    (:meth:`BoilerplateMarker.mark_batch` returns it). Nothing here counts what is
    marked: :meth:`spans` only reads.
    """

    def __init__(
        self, min_docs: int = 3, line_rules: bool = True, corpus_wide: bool = False
    ) -> None:
        self.settings = BoilerplateSettings(min_docs, line_rules, corpus_wide)
        self._counter = LineCounter(self.settings)
        self._marker: BoilerplateMarker | None = None

    @classmethod
    def from_settings(cls, settings: BoilerplateSettings) -> BoilerplateDetector:
        return cls(settings.min_docs, settings.line_rules, settings.corpus_wide)

    def observe(self, doc: Document) -> None:
        """Count the distinct lines of a document on its site."""
        self._counter.add(doc)
        self._marker = None

    def counts(self) -> LineCounts:
        return self._counter.counts()

    def marker(self) -> BoilerplateMarker:
        """A marker built from every document observed so far."""
        if self._marker is None:
            self._marker = BoilerplateMarker.from_counts(self.settings, self.counts())
        return self._marker

    def spans(self, doc: Document) -> list[MarkedSpan]:
        """Marked spans of one document, sorted and non-overlapping (after all observe)."""
        return self.marker().spans(doc)

    def summary(self, marks: MarkCounts) -> dict[str, Any]:
        """The summary of what the marker's batches marked (``marks``, merged)."""
        return boilerplate_summary(self.settings, self.counts(), marks)


# --- using the spans ----------------------------------------------------------------


def mark_tokens(tokens: Tokens, spans: Sequence[MarkedSpan]) -> Tokens:
    """``tokens`` with ``boilerplate`` set on every token that overlaps a marked span.

    Vectorised: spans sorted by start, their ends made non-decreasing, then for each
    token the last span starting before the token ends covers it iff that span ends
    after the token starts. An existing mask is kept (OR-ed).
    """
    starts = np.fromiter((s.start for s in spans), dtype=np.int64, count=len(spans))
    ends = np.fromiter((s.end for s in spans), dtype=np.int64, count=len(spans))
    inside = covered(tokens.starts, tokens.ends, starts, ends)
    if tokens.boilerplate is not None:
        inside |= tokens.boilerplate
    return replace(tokens, boilerplate=inside)


def covered(
    token_starts: npt.NDArray[np.integer[Any]],
    token_ends: npt.NDArray[np.integer[Any]],
    starts: I64,
    ends: I64,
) -> npt.NDArray[np.bool_]:
    """Which tokens overlap one of the spans ``starts[i]:ends[i]`` (as
    :func:`mark_tokens` defines it), for tokens and spans in the same coordinates."""
    if not (starts.size and token_starts.size):
        return np.zeros(token_starts.shape[0], dtype=bool)
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], np.maximum.accumulate(ends[order])
    k = np.searchsorted(starts, token_ends, side="left") - 1
    return np.asarray((k >= 0) & (ends[np.maximum(k, 0)] > token_starts))


def drop_spans(text: str, spans: list[MarkedSpan]) -> str:
    """``text`` without the marked spans; a marked whole line goes with its line break."""
    if not spans:
        return text
    parts = []
    pos = 0
    for span in sorted(spans, key=lambda s: s.start):
        start, end = max(span.start, pos), span.end
        if end <= start:
            continue
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        whole_line = not text[line_start:start].strip() and not text[end:line_end].strip()
        if whole_line:
            start, end = line_start, min(line_end + 1, len(text))
            start = max(start, pos)
        parts.append(text[pos:start])
        pos = end
    parts.append(text[pos:])
    return re.sub(r"\n{3,}", "\n\n", "".join(parts)).strip("\n")


def without_spans(doc: Document, spans: list[MarkedSpan] | None) -> Document:
    """``doc`` as written with the marked ``spans`` cut (:func:`drop_spans`); ``doc``
    itself when there are none."""
    if not spans:
        return doc
    return Document(doc.id, drop_spans(doc.text, spans), doc.meta)


def explain(doc: Document, spans: list[MarkedSpan]) -> list[dict[str, Any]]:
    """Every marked span of a document with its text and reason (``compare --explain``)."""
    return [
        {"start": s.start, "end": s.end, "reason": s.reason, "text": doc.text[s.start : s.end]}
        for s in sorted(spans, key=lambda s: s.start)
    ]
