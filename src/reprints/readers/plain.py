"""Plain-text files: one document per file, id = the file's name (see Source.name).

A file is read only as far as its document can use (a little over ``--max-chars``
characters, at most ``--max-doc-bytes``): a 10 GiB file, compressed or not, costs
the time to read those bytes, not the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator

from reprints.documents import Document
from reprints.readers.base import ReadLog, ReadOptions, Source
from reprints.readers.decode import decode_bytes, read_document_bytes, text_limit


def read_txt(source: Source, options: ReadOptions, log: ReadLog) -> Iterator[Document]:
    read = read_document_bytes(source, options, log, text_limit(options))
    if read is None:
        return
    text = decode_bytes(read.data, source.name, None, log, cut=read.cut)
    if read.cut and len(text) <= options.max_chars:
        # Cut by a byte cap before --max-chars (which read_documents reports itself).
        log.warn(
            source.name, None, "document truncated", f"read its first {len(read.data):,} bytes"
        )
    yield Document(id=source.name, text=text, meta={"source": str(source.path)})
