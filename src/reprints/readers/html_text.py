"""Page bytes to text and a tree: the charset (declared, checked, else detected) and a
parse that copes with hostile pages (deep nesting, huge attributes).

lxml's default limits drop what lies below 255 nested elements and attributes over
10 MB without a word; the parser here lifts them (``huge_tree``), and a page nested
deeper still than libxml2 will go (2,048 levels) is read by a flat scan of its
visible text (:func:`flat_visible_text`, no tree, no depth) and reported.
"""

from __future__ import annotations

import codecs
import html.parser
import re
from dataclasses import dataclass
from typing import Any

from reprints.readers.base import ReadLog
from reprints.readers.decode import decode_bytes, decode_strict, wide_encoding

# Deepest nesting libxml2 parses with huge_tree.
MAX_DEPTH = 2048
# The web's fallback for legacy pages (WHATWG Encoding): tried first among the guesses,
# since detectors often rank windows-1250 above it for Western text ("à" becomes "ŕ").
_WEB_DEFAULT = "cp1252"
_DETECT_SAMPLE = 1 << 16  # characters scored per guessed charset
# Elements with no end tag: never open around text.
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)


def _codec(name: str | None) -> str | None:
    """Python's name of a charset label, or None for an unknown one."""
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` tag near its start."""
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii", "replace") if found else None


def decode_html(
    data: bytes,
    source: str,
    where: str | None,
    log: ReadLog,
    declared: str | None = None,
    cut: bool = False,
) -> str:
    """Page bytes to text: a byte-order mark wins; then UTF-8 when the bytes are valid
    UTF-8 (legacy text almost never is, and pages saying ISO-8859-1 that are UTF-8 are
    common); then the charset declared (by the HTTP head, else the page's ``<meta>``),
    decoded strictly; then the best of the detected charsets. A declared charset the
    bytes do not fit is reported once (a page saying UTF-8 that is windows-1252 would
    otherwise come out garbled)."""
    if data.startswith(codecs.BOM_UTF8) or wide_encoding(data) is not None:
        return decode_bytes(data, source, where, log, cut)
    stated = _codec(declared) or _codec(declared_charset(data))
    if stated is not None and data.isascii():
        stated = None  # ASCII fits every charset a page may declare: nothing to check
    for encoding in dict.fromkeys(e for e in ("utf-8", stated) if e):
        try:
            text = decode_strict(data, encoding, cut)
        except UnicodeDecodeError:
            continue
        _report_lie(stated, encoding, source, where, log)
        return text
    guessed = _detect(data, cut)
    if guessed is None:
        return decode_bytes(data, source, where, log, cut)
    encoding, text = guessed
    _report_lie(stated, encoding, source, where, log)
    return text


def _report_lie(
    stated: str | None, encoding: str, source: str, where: str | None, log: ReadLog
) -> None:
    if stated is not None and encoding != stated:
        log.warn(source, where, "wrong charset declared", f"says {stated}, read as {encoding}")


def _detect(data: bytes, cut: bool) -> tuple[str, str] | None:
    """The detected charset that decodes ``data`` with the least mess (charset_normalizer's
    measure of unlikely character sequences), and the text; None if none decodes."""
    from charset_normalizer.md import mess_ratio
    from trafilatura.utils import detect_encoding

    best: tuple[float, str, str] | None = None
    for encoding in dict.fromkeys([_WEB_DEFAULT, *detect_encoding(data)]):
        try:
            text = decode_strict(data, encoding, cut)
        except (LookupError, UnicodeDecodeError):
            continue
        mess = mess_ratio(text[:_DETECT_SAMPLE], 1.0)
        if best is None or mess < best[0]:  # ties keep the earlier: the web default
            best = (mess, encoding, text)
    return None if best is None else (best[1], best[2])


# What makes real pages huge carries no text: inline scripts and styles, and attribute
# values holding data (``src="data:image/png;base64,..."``, serialised app state).
# An attribute is an ``=`` inside a tag (after ``<name``, with no ``<`` or ``>`` between),
# so that text holding ``= "`` is never taken for one.
_INVISIBLE_BULK = re.compile(
    rb"<(script|style)\b[^>]*>.*?</\1\s*>"
    rb"|(<[a-zA-Z][^<>]*?=\s*)(?:\"[^\"]{4096,}\"|'[^']{4096,}')",
    re.IGNORECASE | re.DOTALL,
)


def _drop_bulk(found: re.Match[bytes]) -> bytes:
    attribute = found.group(2)
    return b"" if attribute is None else attribute + b'""'


def shrink_page(data: bytes, limit: int) -> tuple[bytes, bool]:
    """A page of at most ``limit`` bytes, and whether text was cut to get there.

    A longer page first loses its scripts, styles and attribute values over 4 KiB
    (never text, and what makes most huge pages huge); only a page still too long is
    cut, so an 11 MB inline image does not push the article out of the cap."""
    if len(data) <= limit:
        return data, False
    data = _INVISIBLE_BULK.sub(_drop_bulk, data)
    return (data, False) if len(data) <= limit else (data[:limit], True)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A page's tree (None when it is no HTML), and whether it nests too deep to parse."""

    tree: Any
    too_deep: bool


def parse_html(text: str) -> Parsed:
    """The tree of a page, as trafilatura's ``load_html`` makes it (the same repairs
    and the same test that it is HTML at all), with libxml2's size limits lifted."""
    from lxml import html as lxml_html
    from trafilatura.utils import is_dubious_html, repair_faulty_html

    # A parser per page: its error log is the page's own, and nothing is shared.
    parser = lxml_html.HTMLParser(
        huge_tree=True,
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
    )
    beginning = text[:50].lower()
    repaired = repair_faulty_html(text, beginning)
    try:
        tree = lxml_html.fromstring(repaired.encode("utf-8", "surrogatepass"), parser=parser)
    except Exception:  # lxml's ParserError ("Document is empty"), XMLSyntaxError, ...
        tree = None
    too_deep = any("Excessive depth" in entry.message for entry in parser.error_log)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        tree = None
    return Parsed(tree, too_deep)


class _FlatText(html.parser.HTMLParser):
    """Visible text by a scan of tags, keeping no tree: any depth costs nothing."""

    def __init__(self, invisible: frozenset[str], block: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self._invisible = invisible
        self._block = block
        self._hidden = 0  # open invisible elements around the current text
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._invisible and tag not in _VOID:
            self._hidden += 1
        elif tag in self._block:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._invisible and tag not in _VOID:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._block:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def flat_visible_text(text: str, invisible: frozenset[str], block: frozenset[str]) -> str:
    """Every visible piece of text of a page, one block element per line, without
    building a tree (for pages nested deeper than the parser goes)."""
    scanner = _FlatText(invisible, block)
    scanner.feed(text)
    scanner.close()
    lines = (" ".join(line.split()) for line in "".join(scanner.parts).split("\n"))
    return "\n".join(line for line in lines if line)
