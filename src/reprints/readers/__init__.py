"""Reading inputs: files and folders in, :class:`~reprints.documents.Document` out.

One small interface: :func:`read_documents` takes paths (files, folders read
recursively in sorted order, ``-`` for JSON Lines on standard input) and yields
documents. Each format is a :data:`~reprints.readers.base.Reader` registered by file
extension in :data:`READERS`; compressed files (``.gz``, ``.zst``, ``.bz2``) are read
by the reader of the extension beneath (``a.jsonl.gz`` → JSON Lines). HTML pages
(files, WARC records) are extracted by :mod:`reprints.readers.extract`, in worker
processes when ``ReadOptions.workers`` > 1, without changing the order of documents.

Every input is a stream read under the caps of :class:`ReadOptions` (bytes per file,
per JSON line, per document, per HTML page), so no input, however hostile, is held
whole; folders are walked by :mod:`reprints.readers.sources` (links followed only
inside the inputs, special files reported, the run's outputs excluded).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from reprints.documents import Document
from reprints.readers.base import (
    DEFAULT_MAX_CHARS,
    InputError,
    Page,
    Reader,
    ReadLog,
    ReadOptions,
    Source,
)
from reprints.readers.decode import COMPRESSED_SUFFIXES
from reprints.readers.extract import Item, extracted
from reprints.readers.html import read_html
from reprints.readers.jsonl import read_jsonl
from reprints.readers.parquet import read_parquet
from reprints.readers.plain import read_txt
from reprints.readers.sources import sources
from reprints.readers.warc import read_warc

__all__ = [
    "DEFAULT_MAX_CHARS",
    "READERS",
    "InputError",
    "Page",
    "ReadLog",
    "ReadOptions",
    "Source",
    "format_of",
    "read_documents",
]

# Format name → reader; extension → format name. Add a format by adding both.
READERS: dict[str, Reader] = {
    "txt": read_txt,
    "jsonl": read_jsonl,
    "html": read_html,
    "warc": read_warc,
    "parquet": read_parquet,
}
EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".warc": "warc",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def format_of(path: Path) -> str | None:
    """The format of a file by its extension, looking beneath a compression suffix."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    return EXTENSIONS.get(suffixes[-1]) if suffixes else None


def _reader_for(source: Source, options: ReadOptions) -> Reader | None:
    name = options.format or ("jsonl" if str(source.path) == "-" else format_of(source.path))
    if name is None and source.direct:
        name = "txt"  # a file named on the command line is read as text whatever its name
    return READERS.get(name) if name else None


def read_documents(
    inputs: Iterable[str | Path], options: ReadOptions | None = None, log: ReadLog | None = None
) -> Iterator[Document]:
    """Documents from files and folders, with problems reported to ``log`` and skipped.

    Empty documents are skipped; documents over ``options.max_chars`` are truncated
    with a warning; a repeated id is renamed ``id#2``, ``id#3``... with a warning
    (see :class:`_UniqueIds`), so every document's id is unique.
    HTML pages are extracted in ``options.workers`` processes; the order of the
    documents never depends on it.
    """
    options = options or ReadOptions()
    log = log if log is not None else ReadLog(strict=options.strict)
    ids = _UniqueIds()
    for name, doc in extracted(_items(list(inputs), options, log), options, log):
        where = None if doc.id == name else doc.id  # one document per file
        if not doc.text.strip():
            log.skip(name, where, "empty document")
            continue
        if len(doc.text) > options.max_chars:
            log.warn(
                name, where, "document truncated", f"kept its first {options.max_chars:,} chars"
            )
            doc = Document(doc.id, doc.text[: options.max_chars], doc.meta)
        unique = ids.claim(doc.id)
        if unique != doc.id:
            log.warn(name, doc.id, "duplicate id", f"renamed {unique}")
            # A renamed document is a new id: the original value of the id field (kept
            # in meta when it is not a string) no longer stands for it.
            meta = {k: v for k, v in doc.meta.items() if k != options.id_field}
            doc = Document(unique, doc.text, meta)
        log.read += 1
        yield doc


class _UniqueIds:
    """Ids handed out so far; a repeated one becomes ``id#2``, ``id#3``..., skipping
    names already taken (``a, a#2, a`` → ``a, a#2, a#3``). Ids are claimed in reading
    order, so with ``a, a, a#2`` the second ``a`` is ``a#2`` and the real ``a#2``, met
    later, becomes ``a#2#2``: every id is unique, whatever the input."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._next: dict[str, int] = {}  # id → the copy number to try next

    def claim(self, doc_id: str) -> str:
        unique = doc_id
        if unique in self._taken:
            copy = self._next.get(doc_id, 2)
            while (unique := f"{doc_id}#{copy}") in self._taken:
                copy += 1
            self._next[doc_id] = copy + 1
        self._taken.add(unique)
        return unique


def _items(inputs: list[str | Path], options: ReadOptions, log: ReadLog) -> Iterator[Item]:
    """What the readers yield for every input, with the name of its source."""
    for source in sources(inputs, options.exclude, log):
        reader = _reader_for(source, options)
        if reader is None:
            log.skip(
                source.name, None, "unsupported file type", source.path.suffix or "no extension"
            )
            continue
        for item in reader(source, options, log):
            yield source.name, item
