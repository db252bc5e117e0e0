"""Options and helpers shared by the subcommands: input reading, progress, logging."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from reprints.readers import DEFAULT_MAX_CHARS, ReadOptions

T = TypeVar("T")

stderr = Console(stderr=True)


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Inputs and how to read them: the same for every command that reads documents."""
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="files or folders (read recursively); '-' reads JSON Lines from standard input",
    )
    group = parser.add_argument_group("reading")
    group.add_argument(
        "--id-field", default="id", help="JSON/Parquet field with the id (default: id)"
    )
    group.add_argument(
        "--text-field", default="text", help="JSON/Parquet field with the text (default: text)"
    )
    group.add_argument("--format", default=None, help="read every input as this format")
    group.add_argument(
        "--max-chars",
        type=int,
        default=DEFAULT_MAX_CHARS,
        help=f"truncate longer documents, with a warning (default: {DEFAULT_MAX_CHARS:,})",
    )
    group.add_argument(
        "--strict", action="store_true", help="stop at the first bad input instead of skipping it"
    )


def read_options(args: argparse.Namespace) -> ReadOptions:
    return ReadOptions(
        id_field=args.id_field,
        text_field=args.text_field,
        format=args.format,
        html=getattr(args, "html", "main"),
        max_chars=args.max_chars,
        strict=args.strict,
    )


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes to use (default: 0 = all cores)",
    )


def worker_count(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 1)


def setup_logging(quiet: bool) -> None:
    """Warnings about inputs go to standard error, one line each."""
    handler = RichHandler(console=stderr, show_time=False, show_path=False, markup=False)
    logging.basicConfig(
        level=logging.ERROR if quiet else logging.WARNING,
        format="%(message)s",
        handlers=[handler],
        force=True,
    )


class ProgressBar:
    """A rich progress bar on standard error; silent when that is not a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = stderr.is_terminal if enabled is None else enabled
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=stderr,
            disable=not self.enabled,
            transient=False,
        )

    def __enter__(self) -> ProgressBar:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Yield ``items``, advancing a bar named ``description``."""
        task = self._progress.add_task(description, total=total)
        for item in items:
            yield item
            self._progress.advance(task)
        self._progress.update(task, total=self._progress.tasks[task].completed)

    def stage(self, description: str, total: int | None) -> StageTask:
        return StageTask(self._progress, self._progress.add_task(description, total=total))


class StageTask:
    """A handle to advance one stage's bar by any amount (a batch at a time)."""

    def __init__(self, progress: Progress, task: object) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: int = 1) -> None:
        self._progress.advance(self._task, amount)  # type: ignore[arg-type]


def is_interactive() -> bool:
    return sys.stderr.isatty()
