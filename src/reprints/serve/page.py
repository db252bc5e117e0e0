"""The web page of ``reprints serve``: server-rendered HTML, a little JavaScript.

Every document text and id goes through :func:`html.escape` (the side-by-side view
through :func:`reprints.report.highlight.pair_view`, the HTML report's renderer, so
the colours, nesting and differing-word marks are the report's). The page loads
nothing from elsewhere: its style and script are inlined.
"""

from __future__ import annotations

import html
from importlib import resources
from urllib.parse import quote

from reprints.documents import Passage
from reprints.index import Match, QueryResult, StoredDocument
from reprints.report.highlight import pair_view
from reprints.text import Tokenizer

_EXTRA_STYLE = """
textarea { width: 100%; min-height: 10em; font: 13px/1.4 Georgia, serif; }
.match { cursor: pointer; } .match:hover { background: #f0f2f6; }
.error { color: #b00020; white-space: pre-wrap; }
.bp { color: #9aa0aa; }
nav a { margin-right: 16px; }
"""


def _asset(name: str, package: str = "reprints.report") -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _e(value: object) -> str:
    return html.escape(str(value))


def _page(title: str, body: str, script: str = "") -> str:
    scripts = f"<script>{_asset('report.js')}</script>"
    if script:
        scripts += f"<script>{script}</script>"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(title)}</title><style>{_asset('style.css')}{_EXTRA_STYLE}</style></head>"
        f"<body><header><h1>{_e(title)}</h1><nav><a href='/'>query</a>"
        "<a href='/browse'>most reuse</a><a href='/docs'>API</a></nav></header>"
        f"<main>{body}</main>{scripts}</body></html>"
    )


def home_page(documents: int) -> str:
    """Paste or upload a text, see its matches, click one for the side-by-side view."""
    body = (
        f"<p class=muted>{documents:,} documents indexed. Paste a text or choose a file, "
        "then look it up.</p>"
        "<textarea id=text placeholder='Paste a text here'></textarea>"
        "<p><input type=file id=file accept='.txt,text/plain'> <button id=go>Look up</button></p>"
        "<div id=matches></div><div id=pair></div>"
    )
    return _page("reprints", body, _asset("page.js", "reprints.serve"))


def matches_fragment(result: QueryResult) -> str:
    """The matches of a query, one clickable row each."""
    if not result.matches:
        return f"<p>No match among {result.documents:,} documents.</p>"
    rows = "".join(
        f'<tr class="match" data-doc="{_e(m.id)}"><td class=doc>{_e(m.id)}</td>'
        f"<td>{_e(m.kind)}</td><td class=num>{m.containment_query:.0%}</td>"
        f"<td class=num>{m.containment_document:.0%}</td><td class=num>{m.jaccard:.2f}</td>"
        f"<td class=num>{len(m.passages)}</td></tr>"
        for m in result.matches
    )
    return (
        "<h2>Matches</h2><table id=match-table><thead><tr><th>document</th><th>kind</th>"
        "<th class=num>of your text</th><th class=num>of the document</th>"
        "<th class=num>jaccard</th><th class=num>passages</th></tr></thead>"
        f"<tbody>{rows}</tbody></table><p class=muted>Click a match to see both texts.</p>"
    )


def pair_fragment(
    text: str,
    doc: StoredDocument,
    match: Match,
    tokenizer: Tokenizer,
    muted: tuple[list[tuple[int, int]], list[tuple[int, int]]] = ([], []),
) -> str:
    """Both texts side by side: every shared passage in its own colour on both sides,
    boilerplate (``muted``: the query's spans, the document's) greyed."""
    passages = [
        Passage(p.query_start, p.query_end, p.doc_start, p.doc_end, p.tokens, p.similarity)
        for p in match.passages
    ]
    view = pair_view("q", text, doc.text, passages, tokenizer, muted)
    legend = " · ".join(
        f'<span class="swatch g{g % 8}"></span>passage {i + 1}: yours {p.a_start}–{p.a_end}, '
        f"theirs {p.b_start}–{p.b_end}, {p.tokens} tokens, similarity {p.similarity:.3f}"
        for i, (p, g) in enumerate(zip(passages, view.groups, strict=True))
    )
    return (
        f'<div class="pair" id="pair-view"><h2>Your text ↔ {_e(doc.id)} ({_e(match.kind)})</h2>'
        f'<div class="legend">{legend}. Same colour = same shared text on both sides; '
        "<span class=df>wavy-underlined</span> words differ; <span class=bp>grey</span> "
        "lines are boilerplate (never pair documents).</div>"
        '<div class="sides">'
        '<div class="side" data-side="a"><h3>your text</h3>'
        f'<div class="text">{view.side_a}</div></div>'
        f'<div class="side" data-side="b"><h3 class=doc>{_e(doc.id)}</h3>'
        f'<div class="text">{view.side_b}</div></div></div></div>'
    )


def browse_page(rows: list[tuple[str, int]]) -> str:
    """The documents with the most anchors shared with others."""
    body = "".join(
        f"<tr><td class=doc><a href='/ui/document/{_e(_quote(doc_id))}'>{_e(doc_id)}</a></td>"
        f"<td class=num>{shared:,}</td></tr>"
        for doc_id, shared in rows
    )
    return _page(
        "reprints: documents with the most reuse",
        "<table><thead><tr><th>document</th><th class=num>anchors shared with other "
        f"documents</th></tr></thead><tbody>{body}</tbody></table>",
    )


def document_page(doc: StoredDocument, result: QueryResult) -> str:
    """One stored document and the other documents it shares text with."""
    others = [m for m in result.matches if m.id != doc.id]
    listing = matches_fragment(
        QueryResult(doc.id, tuple(others), len(others), result.documents, result.version)
    )
    return _page(
        f"reprints: {doc.id}",
        f"{listing}<h2>Text</h2><div class=excerpt>{_e(doc.text)}</div>",
    )


def _quote(doc_id: str) -> str:
    return quote(doc_id, safe="")
