"""Extracting HTML pages, in order, in-process or in worker processes.

Readers yield :class:`~reprints.readers.base.Page` for every HTML page they find;
extraction (trafilatura, ~30 ms a page) is the costly part of reading a crawl. With
one worker the pages are extracted as they come. With more, items are taken in
bounded batches and the batch's pages are extracted in a process pool; documents come
out in input order whatever the worker count, and the problems a worker met are
replayed on the run's log in that order, so counts, messages and ``--strict`` behave
exactly as in-process.

The pool starts its workers the way the engine's pools do (fork where there is fork);
if they cannot start or die, extraction goes on in-process (see :class:`_Pool`).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import islice, repeat
from typing import Any

from reprints.documents import Document
from reprints.readers.base import Page, ReadLog, ReadOptions
from reprints.readers.html import extract_page

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


def _extract(page: Page, options: ReadOptions) -> _Extracted:
    recorder = _Recorder()
    return extract_page(page, options, recorder), recorder.calls


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
                pool = _Pool(options.workers)
            results = iter(pool.extract(pages, options) if pool is not None else ())
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

    def __init__(self, workers: int) -> None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context(method)
        )

    def extract(self, pages: list[Page], options: ReadOptions) -> list[_Extracted]:
        if self._executor is not None:
            chunk = max(1, len(pages) // (4 * self.workers))
            try:
                return list(self._executor.map(_extract, pages, repeat(options), chunksize=chunk))
            except BrokenProcessPool as err:
                logger.warning("HTML extraction workers failed (%s); extracting in-process", err)
                self.close()
        return [_extract(page, options) for page in pages]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
