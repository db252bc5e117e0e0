"""Plain-text files: one document per file, id = the file's name (see Source.name)."""

from __future__ import annotations

from collections.abc import Iterator

from reprints.documents import Document
from reprints.readers.base import ReadLog, ReadOptions, Source
from reprints.readers.decode import decode_bytes, looks_binary, read_bytes


def read_txt(source: Source, options: ReadOptions, log: ReadLog) -> Iterator[Document]:
    data = read_bytes(source, log)
    if data is None:
        return
    if looks_binary(data):
        log.skip(source.name, None, "binary file")
        return
    text = decode_bytes(data, source.name, None, log)
    yield Document(id=source.name, text=text, meta={"source": str(source.path)})
