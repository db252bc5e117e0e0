"""Extracting HTML pages, in order, in-process or in worker processes.

Readers yield :class:`~reprints.readers.base.Page` for every HTML page they find;
extraction (trafilatura, ~30 ms a page) is the costly part of reading a crawl. With
one worker the pages are extracted as they come. With more, items are taken in
bounded batches and the batch's pages are extracted in a process pool; documents come
out in input order whatever the worker count, and the problems a worker met are
replayed on the run's log in that order, so counts, messages and ``--strict`` behave
exactly as in-process.

The pool is the package's one process pool (:class:`reprints.runners.pool.WorkerPool`,
the read options as the workers' state); if its workers die, extraction goes on
in-process (see :class:`_Pool`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from reprints.documents import Document
from reprints.readers.base import Page, ReadLog, ReadOptions
from reprints.readers.html import extract_page
from reprints.runners.pool import WorkerDied, WorkerPool

logger = logging.getLogger("reprints.readers")

# Items per batch and worker: enough to keep the pool busy, few enough to bound memory.
_BATCH_PER_WORKER = 32

Item = tuple[str, Document | Page]  # (the source's name, what its reader yielded)


@dataclass
class _Recorder(ReadLog):
    """A log that records calls, for replay on the run's log in the main process."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def skip(
        self, source: str, where: str | None, reason: str, detail: str = "", count: int = 1
    ) -> None:
        self.calls.append(("skip", (source, where, reason, detail, count)))

    def warn(self, source: str, where: str | None, reason: str, detail: str = "") -> None:
        self.calls.append(("warn", (source, where, reason, detail)))

    def ignore(self, reason: str) -> None:
        self.calls.append(("ignore", (reason,)))


_Extracted = tuple[Document | None, list[tuple[str, tuple[Any, ...]]]]


def _extract(options: ReadOptions, pages: list[Page]) -> list[_Extracted]:
    """Each page's document (or None) and the log calls its extraction made."""
    out = []
    for page in pages:
        recorder = _Recorder()
        out.append((extract_page(page, options, recorder), recorder.calls))
    return out


def extracted(
    items: Iterator[Item], options: ReadOptions, log: ReadLog
) -> Iterator[tuple[str, Document]]:
    """``items`` with every page replaced by its document (pages that yield none are
    dropped, reported), in the same order."""
    if options.workers <= 1:
        for name, item in items:
            doc = extract_page(item, options, log) if isinstance(item, Page) else item
            if doc is not None:
                yield name, doc
        return
    pool: _Pool | None = None
    try:
        while batch := list(islice(items, _BATCH_PER_WORKER * options.workers)):
            pages = [item for _, item in batch if isinstance(item, Page)]
            if pages and pool is None:
                pool = _Pool(options)
            results = iter(pool.extract(pages) if pool is not None else ())
            for name, item in batch:
                if not isinstance(item, Page):
                    yield name, item
                    continue
                doc, calls = next(results)
                for method, args in calls:
                    getattr(log, method)(*args)
                if doc is not None:
                    yield name, doc
    finally:
        if pool is not None:
            pool.close()


class _Pool:
    """Worker processes for extraction; should they die (a start method that cannot
    re-import the caller's main module, a crash in a native parser), the pages are
    extracted in-process instead, so a run never fails for want of workers."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self._pool: WorkerPool[ReadOptions] | None = WorkerPool(options.workers, options)

    def extract(self, pages: list[Page]) -> list[_Extracted]:
        if self._pool is not None:
            # A few tasks per worker: each goes to whichever worker is free.
            size = max(1, len(pages) // (4 * self._pool.workers))
            chunks = [pages[at : at + size] for at in range(0, len(pages), size)]
            try:
                return [done for chunk in self._pool.map(_extract, chunks) for done in chunk]
            except WorkerDied as err:
                logger.warning("HTML extraction workers failed (%s); extracting in-process", err)
                self.close()
        return _extract(self.options, pages)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
