"""Reading inputs: files and folders in, :class:`~reprints.documents.Document` out.

One small interface: :func:`read_documents` takes paths (files, folders read
recursively in sorted order, ``-`` for JSON Lines on standard input) and yields
documents. Each format is a :data:`~reprints.readers.base.Reader` registered by file
extension in :data:`READERS`; compressed files (``.gz``, ``.zst``, ``.bz2``) are read
by the reader of the extension beneath (``a.jsonl.gz`` → JSON Lines). HTML pages
(files, WARC records) are extracted by :mod:`reprints.readers.extract`, in worker
processes when ``ReadOptions.workers`` > 1, without changing the order of documents.
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


def _sources(inputs: Iterable[str | Path], log: ReadLog) -> Iterator[Source]:
    """Every file to read: folders recursively, in sorted order, ids relative to them."""
    for given in inputs:
        path = Path(given)
        if str(given) == "-":
            yield Source(path=path, name="stdin")
        elif path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield Source(path=child, name=child.relative_to(path).as_posix())
        elif path.is_file():
            yield Source(path=path, name=path.name)
        else:
            log.skip(str(path), None, "no such file or folder")


def _reader_for(source: Source, options: ReadOptions, given_directly: bool) -> Reader | None:
    name = options.format or ("jsonl" if str(source.path) == "-" else format_of(source.path))
    if name is None and given_directly:
        name = "txt"  # a file named on the command line is read as text whatever its name
    return READERS.get(name) if name else None


def read_documents(
    inputs: Iterable[str | Path], options: ReadOptions | None = None, log: ReadLog | None = None
) -> Iterator[Document]:
    """Documents from files and folders, with problems reported to ``log`` and skipped.

    Empty documents are skipped; documents over ``options.max_chars`` are truncated
    with a warning; a repeated id is renamed ``id#2``, ``id#3``... with a warning.
    HTML pages are extracted in ``options.workers`` processes; the order of the
    documents never depends on it.
    """
    options = options or ReadOptions()
    log = log if log is not None else ReadLog(strict=options.strict)
    seen: dict[str, int] = {}
    for name, doc in extracted(_items(list(inputs), options, log), options, log):
        where = None if doc.id == name else doc.id  # one document per file
        if not doc.text.strip():
            log.skip(name, where, "empty document")
            continue
        if len(doc.text) > options.max_chars:
            log.warn(name, where, "document truncated", f"{len(doc.text)} chars")
            doc = Document(doc.id, doc.text[: options.max_chars], doc.meta)
        copies = seen.get(doc.id, 0) + 1
        seen[doc.id] = copies
        if copies > 1:
            new_id = f"{doc.id}#{copies}"
            log.warn(name, doc.id, "duplicate id", f"renamed {new_id}")
            doc = Document(new_id, doc.text, doc.meta)
        log.read += 1
        yield doc


def _items(inputs: list[str | Path], options: ReadOptions, log: ReadLog) -> Iterator[Item]:
    """What the readers yield for every input, with the name of its source."""
    direct = {Path(p) for p in inputs}
    for source in _sources(inputs, log):
        reader = _reader_for(source, options, source.path in direct)
        if reader is None:
            log.skip(
                source.name, None, "unsupported file type", source.path.suffix or "no extension"
            )
            continue
        for item in reader(source, options, log):
            yield source.name, item
