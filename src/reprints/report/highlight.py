"""Two texts side by side with their shared passages highlighted.

Colours: passages that overlap on either side are the same shared text seen twice
(a repost that pastes an article twice gives two passages sharing the article's
span), so they form one *colour group* (union-find on overlaps). On each side the
spans of a group are merged into *runs*; a run is one highlighted element, and a
colour always means the same group on both sides.

Differing words: inside each passage the tokens of the two spans are aligned with
:class:`difflib.SequenceMatcher` on token hashes (:class:`reprints.text.Tokenizer`,
so case, quotes and dashes never count as differences); a token that no passage
covering it matches is marked.

Long texts are shortened for display: text far from any run is elided, keeping
``context`` characters around each run, and a side stops after ``max_chars``.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Sequence
from dataclasses import dataclass

from reprints.documents import Passage
from reprints.text import Tokenizer

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


def colour_groups(passages: Sequence[Passage]) -> list[int]:
    """Group number of each passage: connected by overlap on side a or side b,
    numbered in passage order."""
    parent = list(range(len(passages)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for side in ((0, 1), (2, 3)):
        spans = sorted((_span(p)[side[0]], _span(p)[side[1]], i) for i, p in enumerate(passages))
        reach, owner = -1, -1
        for start, end, i in spans:
            if start < reach:
                parent[root(i)] = root(owner)
            if end > reach:
                reach, owner = end, i
    numbers: dict[int, int] = {}
    return [numbers.setdefault(root(i), len(numbers)) for i in range(len(passages))]


def _span(p: Passage) -> tuple[int, int, int, int]:
    return p.a_start, p.a_end, p.b_start, p.b_end


def side_runs(spans: Sequence[tuple[int, int]], groups: Sequence[int]) -> list[Run]:
    """Merge one side's overlapping spans (same group by construction) into runs."""
    runs: list[Run] = []
    for (start, end), i in sorted((s, i) for i, s in enumerate(spans)):
        last = runs[-1] if runs else None
        if last is not None and start < last.end and last.group == groups[i]:
            runs[-1] = Run(last.start, max(last.end, end), last.group, (*last.passages, i))
        else:
            runs.append(Run(start, end, groups[i], (i,)))
    return runs


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
    for run in runs:
        start, end = max(run.start - context, 0), min(run.end + context, length)
        if shown and start <= shown[-1][1] + context:
            shown[-1] = (shown[-1][0], max(shown[-1][1], end))
        else:
            shown.append((start, end))
    return shown


def render_side(
    text: str,
    runs: Sequence[Run],
    diffs: Sequence[tuple[int, int]],
    run_ids: Sequence[str],
    context: int = CONTEXT_CHARS,
    max_chars: int = MAX_SIDE_CHARS,
) -> str:
    """HTML of one side: runs as ``<span class="run g{k}">``, differing tokens inside
    them as ``<span class="df">``, elided stretches as ``<span class="gap">``."""
    out: list[str] = []
    budget = max_chars
    cursor = 0
    diff_iter = iter(diffs)
    pending = next(diff_iter, None)
    for lo, hi in _visible(len(text), runs, context):
        if lo > cursor:
            out.append(_gap(lo - cursor))
        cursor = lo
        for k, run in enumerate(runs):
            if run.end <= lo or run.start >= hi or budget <= 0:
                continue
            start, end = max(run.start, lo), min(run.end, hi)
            if start > cursor:
                piece = text[cursor:start][:budget]
                out.append(html.escape(piece))
                budget -= len(piece)
                cursor = start
            if budget <= 0:
                break
            end = min(end, cursor + budget)
            members = " ".join(str(i + 1) for i in run.passages)
            out.append(
                f'<span class="run g{run.group % 8}" id="{run_ids[k]}" data-g="{run.group}" '
                f'data-start="{run.start}" data-end="{run.end}" title="passage {members}">'
            )
            # Differing tokens inside this run.
            while pending is not None and pending[1] <= start:
                pending = next(diff_iter, None)
            pos = start
            while pending is not None and pending[0] < end:
                d_start, d_end = max(pending[0], pos), min(pending[1], end)
                out.append(html.escape(text[pos:d_start]))
                out.append(f'<span class="df">{html.escape(text[d_start:d_end])}</span>')
                pos = d_end
                if pending[1] > end:
                    break
                pending = next(diff_iter, None)
            out.append(html.escape(text[pos:end]))
            out.append("</span>")
            budget -= end - start
            cursor = end
        if budget > 0 and hi > cursor:
            piece = text[cursor:hi][:budget]
            out.append(html.escape(piece))
            budget -= len(piece)
            cursor += len(piece)
        if budget <= 0:
            break
    if cursor < len(text):
        out.append(_gap(len(text) - cursor))
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
    key: str, text_a: str, text_b: str, passages: Sequence[Passage], tokenizer: Tokenizer
) -> PairView:
    """Both sides of a pair; element ids start with ``key`` (unique per pair)."""
    groups = colour_groups(passages)
    runs_a = side_runs([(p.a_start, p.a_end) for p in passages], groups)
    runs_b = side_runs([(p.b_start, p.b_end) for p in passages], groups)
    diff_a, diff_b = differing_tokens(text_a, text_b, passages, tokenizer)
    side_a = render_side(text_a, runs_a, diff_a, [f"{key}-a{i}" for i in range(len(runs_a))])
    side_b = render_side(text_b, runs_b, diff_b, [f"{key}-b{i}" for i in range(len(runs_b))])
    return PairView(side_a, side_b, groups)
