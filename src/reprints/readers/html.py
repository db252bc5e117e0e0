"""HTML pages: one document per page, its main text or all its visible text.

``--html main`` (the default) keeps the page's main text as trafilatura extracts it,
without comments (reader comments are other people's text, not the page's), plus the
title, author, date and url it finds as metadata. ``--html raw`` keeps every visible
line of the page (menus, footers and all), one block element per line, for callers
who would rather mark chrome with :mod:`reprints.boilerplate` than trust an extractor.

A page with no main text to extract keeps its visible text (with a warning), so that
nothing readable is lost; markup that does not parse at all is skipped as broken.
The same conversion serves HTML records of WARC files (:func:`html_document`). Readers
yield a :class:`~reprints.readers.base.Page` per page; :func:`extract_page` turns it
into a document, in a worker process when reading with several workers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from reprints.documents import Document
from reprints.readers.base import Page, ReadLog, ReadOptions, Source
from reprints.readers.decode import read_document_bytes
from reprints.readers.html_text import (
    MAX_DEPTH,
    decode_html,
    flat_visible_text,
    parse_html,
    shrink_page,
)

# trafilatura logs its own doubts about every odd page; the reader reports what matters.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

HTML_MODES = ("main", "raw")

# Elements whose text is never shown, and elements that start a new line.
_INVISIBLE = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "head",
        "iframe",
        "object",
        "embed",
        "canvas",
        "select",
        "button",
        "input",
        "textarea",
        "map",
    ]
)
_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
        "title",
        "caption",
        "details",
        "summary",
    ]
)
_CELL = frozenset(("td", "th"))
_MARKUP = re.compile(r"<[a-zA-Z!/?]")
_META_FIELDS = ("title", "author", "date", "url", "sitename", "language")


def visible_text(tree: Any) -> str:
    """Every visible piece of text of a parsed page, one block element per line."""
    parts: list[str] = []
    # An explicit stack instead of recursion: pages nest deeper than Python's limit.
    # Each entry is an element to open, or (at its end) the element to close.
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:
        element, closing = stack.pop()
        tag = _tag(element)
        if closing:
            if tag in _BLOCK:
                parts.append("\n")
            if element.tail:
                parts.append(element.tail)
            continue
        if tag in _INVISIBLE or tag == "":
            if element.tail:  # the tail of a hidden element (or comment) is visible
                parts.append(element.tail)
            continue
        parts.append("\n" if tag in _BLOCK else " " if tag in _CELL else "")
        if element.text:
            parts.append(element.text)
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _tag(element: Any) -> str:
    """Lower-case local name of an element; "" for comments and processing instructions."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _metadata(found: Any, url: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for name in _META_FIELDS:
        value = getattr(found, name, None) if found is not None else None
        if value:
            meta[name] = value
    if url:
        meta["url"] = url  # the address the page was fetched from beats its own claim
    return meta


def html_document(
    data: bytes,
    doc_id: str,
    source: str,
    where: str | None,
    options: ReadOptions,
    log: ReadLog,
    url: str | None = None,
    meta: dict[str, Any] | None = None,
    charset: str | None = None,
    cut: bool = False,
) -> Document | None:
    """A document from one page's bytes, or None (reported) when nothing can be read.

    A page over ``--max-html-bytes`` is cut there before parsing (reported): parsing
    and extraction cost grows faster than the page. ``charset`` is what the HTTP head
    declares; ``cut`` says the bytes already stop at a cap."""
    import trafilatura
    from trafilatura.metadata import extract_metadata

    data, shrunk = page_bytes(data, options, source, where, log)
    cut = cut or shrunk
    text = decode_html(data, source, where, log, charset, cut)
    base = dict(meta or {})
    with_url = base | ({"url": url} if url else {})
    parsed = parse_html(text)
    if parsed.too_deep:
        log.warn(
            source,
            where,
            "HTML nested too deep",
            f"over {MAX_DEPTH:,} levels: kept all visible text",
        )
        return Document(doc_id, flat_visible_text(text, _INVISIBLE, _BLOCK), with_url)
    tree = parsed.tree
    if tree is None:
        if _MARKUP.search(text):
            log.skip(source, where, "broken HTML", "markup does not parse")
            return None
        log.warn(source, where, "not HTML", "read as plain text")
        return Document(doc_id, text, with_url)
    if options.html == "raw":
        found = extract_metadata(tree, default_url=url)
        return Document(doc_id, visible_text(tree), base | _metadata(found, url))
    extracted = trafilatura.bare_extraction(
        tree, url=url, include_comments=False, with_metadata=True
    )
    main = getattr(extracted, "text", None) if extracted is not None else None
    if not main or not main.strip():
        raw = visible_text(tree)  # trafilatura works on a copy: the tree is intact
        if raw.strip():
            log.warn(source, where, "no main text found", "kept all visible text")
        return Document(doc_id, raw, base | _metadata(extracted, url))
    return Document(doc_id, main, base | _metadata(extracted, url))


def page_bytes(
    data: bytes, options: ReadOptions, source: str, where: str | None, log: ReadLog
) -> tuple[bytes, bool]:
    """The bytes of a page that are parsed (see :func:`shrink_page`), and whether they
    were cut (reported)."""
    size = len(data)
    data, cut = shrink_page(data, options.max_html_bytes)
    if cut:
        log.warn(
            source,
            where,
            "page truncated before parsing",
            f"{size:,} bytes, over --max-html-bytes without scripts, styles and long "
            f"attributes: parsed the first {options.max_html_bytes:,}",
        )
    return data, cut


def with_crawl_date(doc: Document | None, crawled: str | None) -> Document | None:
    """The crawl's date as ``date``; a different date the page states is kept as
    ``published``."""
    if doc is None or crawled is None:
        return doc
    meta = doc.meta | {"date": crawled}
    stated = doc.meta.get("date")
    if stated and stated != crawled:
        meta["published"] = stated
    return Document(doc.id, doc.text, meta)


def extract_page(page: Page, options: ReadOptions, log: ReadLog) -> Document | None:
    """The document of a page a reader found (see :class:`~reprints.readers.base.Page`)."""
    doc = html_document(
        page.data,
        page.doc_id,
        page.source,
        page.where,
        options,
        log,
        page.url,
        page.meta,
        page.charset,
        page.cut,
    )
    return with_crawl_date(doc, page.crawled)


def read_html(source: Source, options: ReadOptions, log: ReadLog) -> Iterator[Page]:
    """One page per file; id = the file's name, like a text file. A page is brought
    under the page cap here, so pages waiting for extraction workers stay small."""
    read = read_document_bytes(source, options, log, options.max_doc_bytes)
    if read is None:
        return
    data, cut = page_bytes(read.data, options, source.name, None, log)
    meta = {"source": str(source.path)}
    yield Page(data, source.name, source.name, None, meta=meta, cut=cut or read.cut)
