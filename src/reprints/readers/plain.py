"""Plain-text files: one document per file, id = the file's name (see Source.name)."""

from __future__ import annotations

from collections.abc import Iterator

from reprints.documents import Document
from reprints.readers.base import ReadLog, ReadOptions, Source
from reprints.readers.decode import decode_bytes, read_text_file


def read_txt(source: Source, options: ReadOptions, log: ReadLog) -> Iterator[Document]:
    data = read_text_file(source, log)
    if data is None:
        return
    text = decode_bytes(data, source.name, None, log)
    yield Document(id=source.name, text=text, meta={"source": str(source.path)})
