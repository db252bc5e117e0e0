"""What the pipelines (`find`, `dedup`) share to move data between their stages:
fixed-size batches for process pools, a clock for the seconds each stage took, the
progress hook the CLI draws bars from, and results that own a scratch folder."""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, Self, TypeVar

from reprints.text import char_classes

T = TypeVar("T")
R = TypeVar("R")

# Called as progress(stage, advance, total): a stage's bar moves on by ``advance``.
ProgressHook = Callable[[str, int, int | None], None]


def no_progress(stage: str, advance: int, total: int | None) -> None:
    """The progress hook of a run nobody watches."""


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter), lazily."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def process_pool(workers: int, initializer: Callable[..., None], *args: Any) -> Executor:
    """A pool of ``workers`` processes, each set up once by ``initializer(*args)``.
    Forked where the platform allows: workers then share the parent's read-only
    tables (the tokeniser's character classes, the index arrays) without copying."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if method == "fork":
        char_classes()  # the tokeniser's 1.1 MB table, built once here, not once per worker
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=initializer,
        initargs=args,
    )


def ordered_map(
    executor: Executor, func: Callable[[T], R], tasks: Iterable[T], in_flight: int
) -> Iterator[R]:
    """``func`` over ``tasks`` in the pool, results in task order, with at most
    ``in_flight`` tasks submitted and not yet taken: a streaming input is never read
    (and held in memory) far ahead of the workers, as ``Pool.imap`` would."""
    window: deque[Future[R]] = deque()
    for task in tasks:
        window.append(executor.submit(func, task))
        if len(window) >= in_flight:
            yield window.popleft().result()
    while window:
        yield window.popleft().result()


class StageClock:
    """Wall-clock seconds per stage, for summary.json."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """The stage that just ended took the time since the previous lap."""
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 3)
        self._last = now


class OwnsScratch:
    """A result whose files live in a scratch folder until :meth:`close` (also on
    leaving a ``with`` block). The class mixing this in sets ``_workdir``."""

    _workdir: tempfile.TemporaryDirectory[str] | None

    def close(self) -> None:
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
