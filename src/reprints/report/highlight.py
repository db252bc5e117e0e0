"""Two texts side by side with their shared passages highlighted.

Colours: a colour is one *shared text*. Two passages of a pair get the same colour
when, on one side, their spans are the same stretch of text: they overlap by at
least ``SAME_TEXT`` of both spans (the rule :mod:`reprints.group` uses for passage
clusters). A repost that pastes an article twice gives two passages with the same
span on the article's side: one colour, highlighted once there and twice on the
repost's side. A passage merely *nested* in a longer one (a teaser that paraphrases
the first paragraph) keeps a colour of its own, so it cannot bleed the longer
passage's colour over unrelated text.

On each side the spans of a colour are merged into *runs*. Runs of different colours
may nest or cross; they are rendered as properly nested HTML by cutting them at
every boundary (an elementary-segment sweep): longer runs are outer, shorter ones
inner (drawn as a thick underline in their colour over the outer background), and
every piece of a run carries the run's ``data-run`` so it can be found whole again.

Differing words: inside each passage the tokens of the two spans are aligned with
:class:`difflib.SequenceMatcher` on token hashes (:class:`reprints.text.Tokenizer`,
so case, quotes and dashes never count as differences); a token that no passage
covering it matches is marked ``<span class="df">``.

Long texts are shortened for display: text far from any run is elided, keeping
``context`` characters around each run, and a side stops after ``max_chars``.
"""

from __future__ import annotations

import difflib
import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from reprints.documents import Passage
from reprints.group import MIN_OVERLAP
from reprints.text import Tokenizer

SAME_TEXT = MIN_OVERLAP  # mutual overlap that makes two spans of one side the same text
DIFF_MAX_TOKENS = 5_000  # longer passages are shown without word-level marks
CONTEXT_CHARS = 300
FULL_TEXT_CHARS = 20_000  # texts up to this long are shown whole
MAX_SIDE_CHARS = 60_000


@dataclass(frozen=True, slots=True)
class Run:
    """A highlighted stretch of one side: the union of a colour group's spans there."""

    start: int
    end: int
    group: int
    passages: tuple[int, ...]


def same_text(a: tuple[int, int], b: tuple[int, int], min_overlap: float = SAME_TEXT) -> bool:
    """Whether two spans of one text overlap by at least ``min_overlap`` of both."""
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    return overlap > 0 and overlap >= min_overlap * max(a[1] - a[0], b[1] - b[0])


def colour_groups(passages: Sequence[Passage], min_overlap: float = SAME_TEXT) -> list[int]:
    """Colour group of each passage, numbered in passage order: passages are joined
    when their spans on side a, or on side b, are the same text (:func:`same_text`)."""
    parent = list(range(len(passages)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for side in (0, 1):
        spans = sorted(
            ((p.a_start, p.a_end) if side == 0 else (p.b_start, p.b_end), i)
            for i, p in enumerate(passages)
        )
        active: list[tuple[tuple[int, int], int]] = []
        for span, i in spans:
            active = [(s, j) for s, j in active if s[1] > span[0]]
            for other, j in active:
                if same_text(span, other, min_overlap):
                    parent[root(i)] = root(j)
            active.append((span, i))
    numbers: dict[int, int] = {}
    return [numbers.setdefault(root(i), len(numbers)) for i in range(len(passages))]


def side_runs(spans: Sequence[tuple[int, int]], groups: Sequence[int]) -> list[Run]:
    """Merge one side's overlapping spans of the same colour into runs, by start."""
    by_group: dict[int, list[Run]] = {}
    for (start, end), i in sorted((s, i) for i, s in enumerate(spans)):
        runs = by_group.setdefault(groups[i], [])
        last = runs[-1] if runs else None
        if last is not None and start < last.end:
            runs[-1] = Run(last.start, max(last.end, end), last.group, (*last.passages, i))
        else:
            runs.append(Run(start, end, groups[i], (i,)))
    return sorted((r for rs in by_group.values() for r in rs), key=lambda r: (r.start, r.end))


def differing_tokens(
    text_a: str, text_b: str, passages: Sequence[Passage], tokenizer: Tokenizer
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character spans of the tokens, on each side, that their passages do not match."""
    unmatched: tuple[set[tuple[int, int]], set[tuple[int, int]]] = (set(), set())
    matched: tuple[set[tuple[int, int]], set[tuple[int, int]]] = (set(), set())
    for p in passages:
        ta = tokenizer.tokenize(text_a[p.a_start : p.a_end])
        tb = tokenizer.tokenize(text_b[p.b_start : p.b_end])
        if max(len(ta), len(tb)) > DIFF_MAX_TOKENS:
            continue
        ha, hb = ta.hashes.tolist(), tb.hashes.tolist()
        keep_a, keep_b = [False] * len(ha), [False] * len(hb)
        matcher = difflib.SequenceMatcher(None, ha, hb, autojunk=False)
        for block in matcher.get_matching_blocks():
            keep_a[block.a : block.a + block.size] = [True] * block.size
            keep_b[block.b : block.b + block.size] = [True] * block.size
        for side, tokens, keep, offset in ((0, ta, keep_a, p.a_start), (1, tb, keep_b, p.b_start)):
            starts, ends = tokens.starts.tolist(), tokens.ends.tolist()
            for s, e, k in zip(starts, ends, keep, strict=True):
                (matched if k else unmatched)[side].add((s + offset, e + offset))
    return (
        sorted(unmatched[0] - matched[0]),
        sorted(unmatched[1] - matched[1]),
    )


def _visible(length: int, runs: Sequence[Run], context: int) -> list[tuple[int, int]]:
    """Stretches of the text to show: everything if short, else runs plus context."""
    if length <= FULL_TEXT_CHARS or not runs:
        return [(0, length)]
    shown: list[tuple[int, int]] = []
    for run in sorted(runs, key=lambda r: r.start):
        start, end = max(run.start - context, 0), min(run.end + context, length)
        if shown and start <= shown[-1][1] + context:
            shown[-1] = (shown[-1][0], max(shown[-1][1], end))
        else:
            shown.append((start, end))
    return shown


@dataclass(frozen=True, slots=True)
class _Mark:
    """A stretch to wrap in a tag; ``rank`` orders nesting (smaller = outer)."""

    start: int
    end: int
    rank: tuple[int, int, int]  # unique per mark
    first_tag: str  # the opening tag of the first piece (carries the element id)
    tag: str  # the opening tag of later pieces


def _marks(
    runs: Sequence[Run],
    diffs: Sequence[tuple[int, int]],
    key: str,
    muted: Sequence[tuple[int, int]] = (),
) -> list[_Mark]:
    marks = [  # boilerplate: outermost, it never holds a run (passages stop at it)
        _Mark(start, end, (-1, 0, k), '<span class="bp">', '<span class="bp">')
        for k, (start, end) in enumerate(muted)
    ]
    for k, run in enumerate(runs):
        members = " ".join(str(i + 1) for i in run.passages)
        attrs = (
            f'class="run g{run.group % 8}" data-run="{key}{k}" data-g="{run.group}" '
            f'data-start="{run.start}" data-end="{run.end}" title="passage {members}"'
        )
        rank = (0, run.start - run.end, k)  # longest outermost
        marks.append(
            _Mark(run.start, run.end, rank, f'<span id="{key}{k}" {attrs}>', f"<span {attrs}>")
        )
    for k, (start, end) in enumerate(diffs):
        marks.append(_Mark(start, end, (1, 0, k), '<span class="df">', '<span class="df">'))
    return marks


def render_side(
    text: str,
    runs: Sequence[Run],
    diffs: Sequence[tuple[int, int]],
    key: str,
    context: int = CONTEXT_CHARS,
    max_chars: int = MAX_SIDE_CHARS,
    muted: Sequence[tuple[int, int]] = (),
) -> str:
    """HTML of one side: runs as ``<span class="run g{k}" data-run=…>`` (the first
    piece of run k has id ``{key}{k}``), differing tokens inside them as
    ``<span class="df">``, elided stretches as ``<span class="gap">``, the ``muted``
    spans (boilerplate) as ``<span class="bp">``."""
    marks = sorted(
        (m for m in _marks(runs, diffs, key, muted) if m.end > m.start), key=lambda m: m.start
    )
    visible = _visible(len(text), runs, context)
    cuts = {0, len(text)}
    for m in marks:
        cuts.update((max(0, min(m.start, len(text))), max(0, min(m.end, len(text)))))
    for lo, hi in visible:
        cuts.update((lo, hi))
    bounds = sorted(cuts)

    out: list[str] = []
    stack: list[_Mark] = []  # the marks open in the output, outermost first
    active: list[_Mark] = []  # the marks covering the current segment
    opened: set[tuple[int, int, int]] = (
        set()
    )  # ranks of marks whose first piece is out (ranks are unique)
    budget = max_chars
    hidden = 0  # characters elided since the last shown segment
    window = next_mark = 0
    for x, y in itertools.pairwise(bounds):
        active = [m for m in active if m.end > x]
        while next_mark < len(marks) and marks[next_mark].start <= x:
            active.append(marks[next_mark])
            next_mark += 1
        while window < len(visible) and visible[window][1] <= x:
            window += 1
        if not (window < len(visible) and visible[window][0] <= x and budget > 0):
            out.extend("</span>" for _ in stack)
            stack = []
            hidden += y - x
            continue
        if hidden:
            out.append(_gap(hidden))
            hidden = 0
        wanted = sorted(active, key=lambda m: m.rank)
        keep = 0
        while keep < min(len(stack), len(wanted)) and stack[keep] is wanted[keep]:
            keep += 1
        out.extend("</span>" for _ in stack[keep:])
        for m in wanted[keep:]:
            out.append(m.tag if m.rank in opened else m.first_tag)
            opened.add(m.rank)
        stack = wanted
        piece = text[x:y][:budget]
        out.append(html.escape(piece))
        budget -= len(piece)
        hidden += (y - x) - len(piece)
    out.extend("</span>" for _ in stack)
    if hidden:
        out.append(_gap(hidden))
    return "".join(out)


def _gap(chars: int) -> str:
    return f'<span class="gap">[… {chars:,} characters not shown …]</span>'


@dataclass(frozen=True, slots=True)
class PairView:
    """HTML of both sides of a pair, and each passage's colour group."""

    side_a: str
    side_b: str
    groups: list[int]


def pair_view(
    key: str,
    text_a: str,
    text_b: str,
    passages: Sequence[Passage],
    tokenizer: Tokenizer,
    muted: tuple[Sequence[tuple[int, int]], Sequence[tuple[int, int]]] = ((), ()),
) -> PairView:
    """Both sides of a pair; element ids start with ``key`` (unique per pair); the
    ``muted`` spans of each side (boilerplate) are wrapped in ``<span class="bp">``."""
    groups = colour_groups(passages)
    runs_a = side_runs([(p.a_start, p.a_end) for p in passages], groups)
    runs_b = side_runs([(p.b_start, p.b_end) for p in passages], groups)
    diff_a, diff_b = differing_tokens(text_a, text_b, passages, tokenizer)
    side_a = render_side(text_a, runs_a, diff_a, f"{key}-a", muted=muted[0])
    side_b = render_side(text_b, runs_b, diff_b, f"{key}-b", muted=muted[1])
    return PairView(side_a, side_b, groups)
