"""What every reader shares: options, the problem log, and the reader signature.

Readers never raise on bad input. They report each problem to a :class:`ReadLog`
(one line naming the file, the line or record, and the reason), skip what cannot be
read and go on, so that nothing read successfully is lost because of another
document's fault. With ``strict=True`` the log raises :class:`InputError` instead.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reprints.documents import Document

log = logging.getLogger("reprints.readers")

DEFAULT_MAX_CHARS = 5_000_000

# Caps on what one input may make the reader hold or work through. Each is far above
# anything a real corpus holds (Common Crawl cuts every record at 1 MiB), so only bombs
# and broken files meet them; what goes over is cut or skipped with a message.
MiB = 1 << 20
DEFAULT_MAX_FILE_BYTES = 64 << 30  # decompressed bytes read from one file
DEFAULT_MAX_LINE_BYTES = 256 * MiB  # one JSON line (a longer one is skipped, never buffered)
DEFAULT_MAX_DOC_BYTES = 256 * MiB  # one document's bytes: a text file, a WARC record
# An HTML page parsed: trafilatura's cost grows faster than linearly with the page
# (a 4 MiB page of paragraphs: 14 s; 16 MiB: 211 s and 1 GB), so pages are cut here,
# after their scripts, styles and long attribute values are dropped.
DEFAULT_MAX_HTML_BYTES = 2 * MiB


class InputError(Exception):
    """Bad input met while reading with ``strict=True``."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How inputs are read; the CLI's input options map one to one onto these."""

    id_field: str = "id"
    text_field: str = "text"
    format: str | None = None  # force a reader instead of choosing by extension
    html: str = "main"  # "main": trafilatura's main text; "raw": all visible text
    max_chars: int = DEFAULT_MAX_CHARS
    strict: bool = False
    workers: int = 1  # processes extracting HTML pages (the costly step); 1 = in-process
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # the rest of a longer file is not read
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES  # longer JSON lines are skipped
    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES  # longer documents are cut before decoding
    max_html_bytes: int = DEFAULT_MAX_HTML_BYTES  # longer pages are cut before parsing
    # Paths never read (with everything under them): the outputs of the run itself, so
    # an output folder inside an input folder is not read back as input.
    exclude: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class Source:
    """One input file: where it is and the name its documents' ids derive from."""

    path: Path  # Path("-") is standard input
    name: str  # id for a .txt file: path relative to the folder given, or the file name
    direct: bool = False  # named on the command line (read as text whatever its name)


@dataclass
class ReadLog:
    """Counts and reports problems met while reading; shared by all readers of a run."""

    strict: bool = False
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    read: int = 0

    def skip(
        self, source: str, where: str | None, reason: str, detail: str = "", count: int = 1
    ) -> None:
        """A document or record that could not be read: count it, say so, go on.

        ``count`` > 1 reports many records with one message (a Parquet file with no
        text column: every row is skipped for the same reason)."""
        self.skipped[reason] += count
        self._report(source, where, reason, detail, "skipped")

    def ignore(self, reason: str) -> None:
        """A record that is not a document and is not an error either (a WARC request
        record, an image, a redirect): counted, never reported one by one."""
        self.ignored[reason] += 1

    def warn(self, source: str, where: str | None, reason: str, detail: str = "") -> None:
        """A document that was read, but altered or renamed: count it, say so."""
        self.warnings[reason] += 1
        self._report(source, where, reason, detail, "warning")

    def _report(self, source: str, where: str | None, reason: str, detail: str, kind: str) -> None:
        place = f"{source}:{where}" if where else source
        message = f"{place}: {reason}" + (f" ({detail})" if detail else "")
        if self.strict:
            raise InputError(message)
        log.warning("%s: %s", kind, message)

    def to_json(self) -> dict[str, object]:
        return {
            "read": self.read,
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_total": sum(self.skipped.values()),
            "warnings": dict(sorted(self.warnings.items())),
            "ignored": dict(sorted(self.ignored.items())),
        }


@dataclass(frozen=True, slots=True)
class Page:
    """An HTML page a reader found, its text not yet extracted: extraction is the
    costly step of reading, so :func:`~reprints.readers.read_documents` runs it in
    worker processes when reading with several workers, keeping the input order."""

    data: bytes
    doc_id: str
    source: str  # the source's name, for messages
    where: str | None  # the record in the source, for messages
    url: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    crawled: str | None = None  # WARC-Date: the document's date, over what the page says
    charset: str | None = None  # the charset the HTTP head declares, tried before the page's
    cut: bool = False  # the bytes stop at a cap, maybe inside a character


# A reader turns one source into documents (or pages to extract), reporting problems
# to the log.
Reader = Callable[[Source, ReadOptions, ReadLog], Iterator[Document | Page]]
