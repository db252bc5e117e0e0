"""What the pipelines (`find`, `dedup`) share to move data between their stages:
fixed-size batches for process pools, a clock for the seconds each stage took, the
progress hook the CLI draws bars from, and results that own a scratch folder."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Self, TypeVar

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
