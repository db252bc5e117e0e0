"""What reaches a terminal from the data is shown, never obeyed.

Ids, paths and texts come from the input; printed raw, an id holding
``\\x1b]0;pwned\\x07`` retitles the user's terminal and ``\\x1b[31m`` recolours it, and in
a rich markup string ``[link=...]`` becomes a link. :func:`printable` is the one
escape every command uses for such strings, :class:`EscapingFilter` applies it to
every log message, and :func:`cell` makes a rich renderable that is never read as
markup.
"""

from __future__ import annotations

import logging
import re

from rich.markup import escape
from rich.text import Text

# C0 and C1 controls, DEL, and the Unicode controls that reorder or hide text (bidi
# overrides and isolates, line and paragraph separators): none is ever shown as itself.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LAYOUT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``,
    ``\\u202e``), so that printing it shows the bytes instead of obeying them."""
    return _CONTROLS.sub(_escape, text)


def printable_layout(text: str) -> str:
    """Like :func:`printable`, but keeping tabs and newlines (a passage's text) and
    writing each other control as ONE visible character (U+FFFD), so that character
    offsets into the text still hold (word marks in ``compare`` rely on them)."""
    return _LAYOUT.sub("\ufffd", text)


def cell(text: str) -> Text:
    """A table cell or line part from data: escaped, and never parsed as rich markup."""
    return Text(printable(text))


def markup_safe(text: str) -> str:
    """Data to put inside a rich markup string: escaped, and its brackets too."""
    return escape(printable(text))


class EscapingFilter(logging.Filter):
    """Escapes every log record's message (names of files, ids, details from the data),
    whatever logger wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = printable(record.getMessage())
        record.args = None
        return True
