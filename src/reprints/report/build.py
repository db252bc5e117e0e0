"""report.html: one self-contained page (inline CSS, JS and SVG; nothing fetched).

Sized for very large runs: the page lists the top ``top_n`` pairs side by side, the
``top_n`` largest clusters and documents with the most repeats, a table of the top
``table_rows`` pairs, and summarises everything else in the headline figures and the
charts (which are computed over all pairs and clusters). Texts are read from
``texts`` only for what is shown.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from reprints.documents import Pair, SelfRepeats
from reprints.group import COPY, ORIGINAL, PARTIAL_COPY, DocumentRole, Groups, build_groups
from reprints.output import atomic_open
from reprints.report import plots
from reprints.report.highlight import pair_view
from reprints.text import Tokenizer

TOP_N = 20
TABLE_ROWS = 200
MEMBERS_SHOWN = 12
EXCERPT_CHARS = 400


def _asset(name: str) -> str:
    return resources.files("reprints.report").joinpath(name).read_text(encoding="utf-8")


def _e(value: object) -> str:
    return html.escape(str(value))


def _shared_tokens(pair: Pair) -> int:
    return sum(p.tokens for p in pair.passages)


def top_pairs(pairs: Iterable[Pair], count: int) -> list[Pair]:
    """The pairs sharing the most text (tokens), then the most contained, then by ids."""
    return sorted(
        pairs,
        key=lambda p: (-_shared_tokens(p), -max(p.containment_a, p.containment_b), p.a, p.b),
    )[:count]


def showcase(ranked: Sequence[Pair], roles: Sequence[DocumentRole], count: int) -> list[Pair]:
    """The pairs shown side by side, from ``ranked`` (best first): the best pair of each
    document cluster first, so one cluster of a hundred copies cannot fill the page,
    then the next best pairs in rank order up to ``count``."""
    cluster = {r.doc: r.cluster for r in roles}
    seen: set[tuple[int, int]] = set()
    chosen: list[int] = []
    for i, pair in enumerate(ranked):
        if len(chosen) == count:
            break
        key = (cluster.get(pair.a, -1), cluster.get(pair.b, -1))
        if key not in seen:
            seen.add(key)
            chosen.append(i)
    if len(chosen) < count:
        taken = set(chosen)
        extra = (i for i in range(len(ranked)) if i not in taken)
        chosen += [i for i, _ in zip(extra, range(count - len(chosen)), strict=False)]
    return [ranked[i] for i in sorted(chosen)]


def _text(texts: Mapping[str, str], doc: str) -> str | None:
    try:
        return texts[doc]
    except (KeyError, OSError):
        return None


def _figure(value: object, label: str) -> str:
    shown = f"{value:,}" if isinstance(value, int) else _e(value)
    return f'<div class="figure"><b>{shown}</b><span>{_e(label)}</span></div>'


def _headline(summary: Mapping[str, Any], doc_count: int, pairs: Sequence[Pair]) -> str:
    """Headline figures. Run times stay in summary.json: the page is byte-identical
    for the same input."""
    roles = summary.get("roles", {})
    items = [
        (summary.get("documents", doc_count), "documents"),
        (summary.get("pairs", len(pairs)), "pairs sharing text"),
        (summary.get("passages", sum(len(p.passages) for p in pairs)), "shared passages"),
        (summary.get("passage_clusters", 0), "passage clusters"),
        (summary.get("largest_passage_cluster", 0), "largest passage cluster"),
        (summary.get("document_clusters", 0), "document clusters"),
        (summary.get("documents_in_clusters", 0), "documents in clusters"),
        (roles.get(COPY, 0), "copies"),
        (roles.get(PARTIAL_COPY, 0), "partial copies"),
        (summary.get("documents_with_repeats", 0), "documents repeating themselves"),
    ]
    return '<div class="figures">' + "".join(_figure(v, k) for v, k in items) + "</div>"


def _charts(pairs: Sequence[Pair], groups: Groups) -> str:
    cont_a = np.fromiter((p.containment_a for p in pairs), dtype=np.float64, count=len(pairs))
    cont_b = np.fromiter((p.containment_b for p in pairs), dtype=np.float64, count=len(pairs))
    larger, smaller = np.maximum(cont_a, cont_b), np.minimum(cont_a, cont_b)
    doc_sizes = list(
        {r.cluster: r.cluster_size for r in groups.documents if r.cluster_size > 1}.values()
    )
    passage_sizes = [c.size for c in groups.passages]
    containment = plots.containment_histogram(larger, smaller)
    sizes = plots.cluster_sizes(passage_sizes, doc_sizes)
    return (
        '<div class="charts">'
        f'<div class="chart"><h3>Pairs by containment</h3>{containment}</div>'
        f'<div class="chart"><h3>Cluster sizes</h3>{sizes}</div>'
        "</div>"
    )


def _pairs_table(pairs: Sequence[Pair], total: int, detailed: Mapping[tuple[str, str], int]) -> str:
    rows = []
    for i, p in enumerate(pairs):
        shown = detailed.get((p.a, p.b))
        link = f'<a href="#pair-{shown}">{i + 1}</a>' if shown is not None else str(i + 1)
        rows.append(
            f'<tr><td class="num">{link}</td><td class="doc">{_e(p.a)}</td>'
            f'<td class="doc">{_e(p.b)}</td><td class="num">{p.containment_a:.3f}</td>'
            f'<td class="num">{p.containment_b:.3f}</td><td class="num">{p.jaccard:.3f}</td>'
            f'<td class="num">{len(p.passages)}</td><td class="num">{_shared_tokens(p):,}</td></tr>'
        )
    rest = total - len(pairs)
    note = f'<p class="muted">{rest:,} more pairs are in pairs.jsonl.</p>' if rest > 0 else ""
    return (
        "<table><thead><tr><th>#</th><th>a</th><th>b</th><th class=num>containment a</th>"
        "<th class=num>containment b</th><th class=num>jaccard</th><th class=num>passages</th>"
        "<th class=num>shared tokens</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + note
    )


def _pair_details(
    index: int, pair: Pair, texts: Mapping[str, str], tokenizer: Tokenizer, open_: bool
) -> str:
    text_a, text_b = _text(texts, pair.a), _text(texts, pair.b)
    head = (
        f"<summary><b>{index + 1}.</b> <span class=doc>{_e(pair.a)}</span> ↔ "
        f"<span class=doc>{_e(pair.b)}</span> · containment {pair.containment_a:.3f} / "
        f"{pair.containment_b:.3f} · {len(pair.passages)} passages · "
        f"{_shared_tokens(pair):,} shared tokens</summary>"
    )
    if text_a is None or text_b is None:
        body = '<p class="legend">Texts not available.</p>'
    else:
        view = pair_view(f"p{index}", text_a, text_b, pair.passages, tokenizer)
        legend = " · ".join(
            f'<span class="swatch g{g % 8}"></span>passage {i + 1}: a {p.a_start}–{p.a_end}, '
            f"b {p.b_start}–{p.b_end}, {p.tokens} tokens, similarity {p.similarity:.3f}"
            for i, (p, g) in enumerate(zip(pair.passages, view.groups, strict=True))
        )
        body = (
            f'<div class="legend">{legend}. Same colour = same shared text, on both sides; '
            "a shorter shared text inside a longer one is underlined in its colour; "
            "<span class=df>wavy-underlined</span> words differ. Click a passage to find it "
            "on the other side.</div>"
            '<div class="sides">'
            f'<div class="side" data-side="a"><h3 class=doc>{_e(pair.a)}</h3>'
            f'<div class="text">{view.side_a}</div></div>'
            f'<div class="side" data-side="b"><h3 class=doc>{_e(pair.b)}</h3>'
            f'<div class="text">{view.side_b}</div></div></div>'
        )
    opened = " open" if open_ else ""
    return f'<details class="pair" id="pair-{index}"{opened}>{head}{body}</details>'


def _excerpt(text: str) -> str:
    cut = text[:EXCERPT_CHARS]
    return _e(cut) + ("…" if len(text) > EXCERPT_CHARS else "")


def _snippet(text: str, chars: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[:chars].rsplit(" ", 1)[0] + " …"


def _clusters(groups: Groups, meta: Mapping[str, dict[str, Any]], top_n: int) -> str:
    parts: list[str] = []
    whole = [c for c in groups.passages if c.part_of is None]
    for cluster in whole[:top_n]:
        rows = "".join(
            f'<tr><td class="doc">{_e(m.doc)}</td>'
            f"<td>{_e((meta.get(m.doc) or {}).get('date', ''))}</td>"
            f'<td class="num">{m.start:,}–{m.end:,}</td></tr>'
            for m in cluster.members[:MEMBERS_SHOWN]
        )
        more = cluster.size - MEMBERS_SHOWN
        if more > 0:
            rows += (
                f'<tr><td colspan=3 class="muted">… and {more:,} more (clusters.jsonl)</td></tr>'
            )
        opened = " open" if len(parts) < 3 else ""
        parts.append(
            f'<details class="cluster"{opened}><summary><b>cluster {cluster.id}</b> · '
            f"{cluster.size:,} occurrences in {cluster.documents:,} documents · "
            f'<span class="muted">{_e(_snippet(cluster.text))}</span></summary>'
            f'<div class="legend"><div class="excerpt">{_excerpt(cluster.text)}</div></div>'
            f'<div class="legend"><table><thead><tr><th>document</th><th>date</th>'
            f"<th class=num>span</th></tr></thead><tbody>{rows}</tbody></table></div></details>"
        )
    rest = len(whole) - top_n
    fragments = len(groups.passages) - len(whole)
    notes = []
    if rest > 0:
        notes.append(f"{rest:,} smaller clusters are in clusters.jsonl")
    if fragments:
        notes.append(
            f"{fragments:,} clusters of fragments of a larger cluster (part_of) are not listed"
        )
    if notes:
        parts.append(f'<p class="muted">{"; ".join(notes)}.</p>')
    return "".join(parts) or '<p class="muted">No passage clusters.</p>'


def _document_clusters(roles: Sequence[DocumentRole], top_n: int) -> str:
    by_cluster: dict[int, list[DocumentRole]] = {}
    for r in roles:
        if r.cluster_size > 1 and (r.cluster in by_cluster or len(by_cluster) < top_n):
            by_cluster.setdefault(r.cluster, []).append(r)
    rows = []
    for cluster, members in sorted(by_cluster.items()):
        counts = Counter(m.role for m in members)
        original = next((m.doc for m in members if m.role == ORIGINAL), "")
        listed = ", ".join(
            f"{_e(m.doc)} ({_e(m.role)})" for m in members[:MEMBERS_SHOWN] if m.role != ORIGINAL
        )
        if len(members) > MEMBERS_SHOWN:
            listed += f", … {len(members) - MEMBERS_SHOWN:,} more"
        rows.append(
            f'<tr><td class="num">{cluster}</td><td class="num">{len(members):,}</td>'
            f'<td class="doc">{_e(original)}</td><td class="num">{counts[COPY]:,}</td>'
            f'<td class="num">{counts[PARTIAL_COPY]:,}</td><td class="doc">{listed}</td></tr>'
        )
    if not rows:
        return '<p class="muted">No document clusters.</p>'
    total = len({r.cluster for r in roles if r.cluster_size > 1})
    note = (
        f'<p class="muted">{total - len(rows):,} more clusters are in documents.jsonl.</p>'
        if total > len(rows)
        else ""
    )
    return (
        "<table><thead><tr><th class=num>cluster</th><th class=num>documents</th>"
        "<th>original</th><th class=num>copies</th><th class=num>partial copies</th>"
        "<th>members</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>" + note
    )


def _repeats(repeats: Sequence[SelfRepeats], texts: Mapping[str, str], top_n: int) -> str:
    ranked = sorted(repeats, key=lambda r: (-sum(p.tokens for p in r.passages), r.doc))[:top_n]
    rows = []
    for r in ranked:
        first = r.passages[0]
        text = _text(texts, r.doc)
        excerpt = _excerpt(text[first.repeat_start : first.repeat_end]) if text else ""
        rows.append(
            f'<tr><td class="doc">{_e(r.doc)}</td><td class="num">{len(r.passages):,}</td>'
            f'<td class="num">{sum(p.tokens for p in r.passages):,}</td>'
            f'<td><div class="excerpt">{excerpt}</div></td></tr>'
        )
    if not rows:
        return '<p class="muted">No document repeats its own text.</p>'
    rest = len(repeats) - len(ranked)
    note = f'<p class="muted">{rest:,} more documents are in self.jsonl.</p>' if rest > 0 else ""
    return (
        "<table><thead><tr><th>document</th><th class=num>repeats</th>"
        "<th class=num>repeated tokens</th><th>first repeat</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + note
    )


def render_report(
    pairs: Sequence[Pair],
    repeats: Sequence[SelfRepeats],
    doc_ids: Sequence[str],
    meta: Mapping[str, dict[str, Any]],
    texts: Mapping[str, str],
    summary: Mapping[str, Any],
    groups: Groups,
    top_n: int = TOP_N,
    title: str = "reprints report",
) -> str:
    """The whole page as a string."""
    figures = {**groups.summary, **summary}
    ranked = top_pairs(pairs, len(pairs))
    shown = showcase(ranked, groups.documents, top_n)
    tokenizer = Tokenizer()
    details = "".join(
        _pair_details(i, p, texts, tokenizer, open_=i < 3) for i, p in enumerate(shown)
    )
    detailed = {(p.a, p.b): i for i, p in enumerate(shown)}
    more = len(pairs) - len(shown)
    more_note = (
        f'<p class="muted">Showing {len(shown):,} pairs: the one sharing the most text in '
        f"each document cluster first; {more:,} more are in the table above and "
        "pairs.jsonl.</p>"
        if more > 0
        else ""
    )
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_asset('style.css')}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p class=muted>{len(doc_ids):,} documents · "
        f"{len(pairs):,} pairs · files beside this page: pairs.jsonl, self.jsonl, "
        "clusters.jsonl, documents.jsonl, summary.json</p></header><main>"
        f"<section id=figures>{_headline(figures, len(doc_ids), pairs)}</section>"
        f"<section id=charts>{_charts(pairs, groups)}</section>"
        f"<section id=top-pairs><h2>Pairs sharing the most text</h2>"
        f"{_pairs_table(ranked[:TABLE_ROWS], len(pairs), detailed)}</section>"
        f"<section id=pairs><h2>Side by side</h2>{details or '<p class=muted>No pairs.</p>'}"
        f"{more_note}</section>"
        f"<section id=clusters><h2>Largest passage clusters</h2>"
        f"{_clusters(groups, meta, top_n)}</section>"
        f"<section id=documents><h2>Document clusters</h2>"
        f"{_document_clusters(groups.documents, top_n)}</section>"
        f"<section id=repeats><h2>Documents that repeat themselves</h2>"
        f"{_repeats(repeats, texts, top_n)}</section>"
        f"</main><script>{_asset('report.js')}</script></body></html>\n"
    )


def write_report(
    out_dir: Path,
    pairs: Sequence[Pair],
    repeats: Sequence[SelfRepeats],
    doc_ids: Sequence[str],
    meta: Mapping[str, dict[str, Any]],
    texts: Mapping[str, str],
    summary: Mapping[str, Any],
    top_n: int = TOP_N,
    groups: Groups | None = None,
) -> Path:
    """Write ``out_dir/report.html`` atomically and return its path.

    ``groups`` (from :func:`reprints.group.build_groups`) is built here when not given.
    """
    if groups is None:
        groups = build_groups(list(pairs), list(doc_ids), meta, texts)
    page = render_report(pairs, repeats, doc_ids, meta, texts, summary, groups, top_n)
    path = Path(out_dir) / "report.html"
    with atomic_open(path) as stream:
        stream.write(page)
    return path
