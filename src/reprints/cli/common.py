"""Options and helpers shared by the subcommands: input reading, progress, logging."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
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

from reprints.boilerplate import BoilerplateDetector, BoilerplateSettings
from reprints.cli.inputs import add_cap_options
from reprints.cli.terminal import EscapingFilter
from reprints.options import check, from_args
from reprints.pipeline import ProgressHook
from reprints.readers import DEFAULT_MAX_CHARS, READERS, ReadOptions
from reprints.readers.html import HTML_MODES
from reprints.runners.pool import worker_count

T = TypeVar("T")

stderr = Console(stderr=True)


def existing_input(value: str) -> str:
    """An INPUT on the command line must exist: a typo is a usage error, not a skipped
    file in a run that reads nothing (files inside folders are skipped and counted)."""
    if value != "-" and "://" not in value and not Path(value).exists():
        raise argparse.ArgumentTypeError(f"no such file or folder: {value}")
    return value


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Inputs and how to read them: the same for every command that reads documents."""
    parser.add_argument(
        "inputs",
        nargs="+",
        type=existing_input,
        metavar="INPUT",
        help="files or folders (read recursively): .txt, .jsonl, .html, .warc, .parquet, and "
        "text formats compressed with .gz, .zst or .bz2; '-' reads JSON Lines from standard input",
    )
    group = parser.add_argument_group("reading")
    group.add_argument(
        "--id-field", default="id", help="JSON/Parquet field with the id (default: id)"
    )
    group.add_argument(
        "--text-field", default="text", help="JSON/Parquet field with the text (default: text)"
    )
    group.add_argument(
        "--format",
        default=None,
        choices=sorted(READERS),
        help="read every input as this format instead of choosing by extension",
    )
    group.add_argument(
        "--html",
        default="main",
        choices=HTML_MODES,
        help="HTML pages: 'main' keeps the main text (trafilatura), 'raw' every visible line "
        "(default: main)",
    )
    group.add_argument(
        "--max-chars",
        type=int,
        default=DEFAULT_MAX_CHARS,
        help=f"truncate longer documents, with a warning (default: {DEFAULT_MAX_CHARS:,})",
    )
    add_cap_options(group)
    group.add_argument(
        "--strict", action="store_true", help="stop at the first bad input instead of skipping it"
    )


def add_boilerplate_options(parser: argparse.ArgumentParser, min_docs: int = 3) -> None:
    """Options of the boilerplate detector (site repeats and line rules)."""
    group = parser.add_argument_group("boilerplate")
    group.add_argument(
        "--boilerplate-min-docs",
        type=int,
        default=min_docs,
        metavar="N",
        help="a line found in at least N documents of one site (URL host, else the folder "
        "of saved HTML pages) is site boilerplate and never pairs documents (sentence-length "
        f"lines: only on at least half the site's pages) (default: {min_docs})",
    )
    group.add_argument(
        "--no-line-rules",
        action="store_true",
        help="do not mark navigation, share/comment widgets and teaser lists by line rules",
    )
    group.add_argument(
        "--no-boilerplate",
        action="store_true",
        help="mark no boilerplate at all: every line may pair documents",
    )


def boilerplate_detector(args: argparse.Namespace) -> BoilerplateDetector | None:
    """The detector the boilerplate options ask for, or None with --no-boilerplate."""
    if args.no_boilerplate:
        return None
    settings = from_args(
        BoilerplateSettings,
        args,
        min_docs=args.boilerplate_min_docs,
        line_rules=not args.no_line_rules,
    )
    return BoilerplateDetector.from_settings(settings)


def read_options(args: argparse.Namespace, exclude: tuple[Path, ...] = ()) -> ReadOptions:
    """How to read the inputs (the caps too: their flags are named as ReadOptions'
    fields); ``exclude``: the run's outputs, never read back. ``--max-chars`` is checked
    here, the one reading option with an impossible value (ReadOptions has no rules of
    its own)."""
    check([("max_chars", args.max_chars, args.max_chars >= 1, "at least 1")])
    return from_args(
        ReadOptions,
        args,
        exclude=exclude,
        html=getattr(args, "html", "main"),
        workers=worker_count(getattr(args, "workers", 1)),
    )


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--engine local|spark`` and how to reach Spark (``--master``, ``--conf``)."""
    group = parser.add_argument_group("engine")
    group.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="run on this machine (default) or on Apache Spark (pip install 'reprints[spark]'; "
        "reads JSON Lines and Parquet, also on s3a:// and hdfs:// paths)",
    )
    group.add_argument(
        "--master",
        default=None,
        help="Spark master URL (default: local[*]; under spark-submit, the one it was given)",
    )
    group.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Spark setting, e.g. spark.sql.shuffle.partitions=400 (repeatable)",
    )
    group.add_argument(
        "--out-datasets",
        action="store_true",
        help="with --engine spark: write each output as a Spark dataset (a folder of part "
        "files, the same lines) even on a local path; always so on s3a://, hdfs://, ...",
    )


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processes to use (default: 0 = all cores)",
    )


def setup_logging(quiet: bool) -> None:
    """Warnings about inputs go to standard error, one line each."""
    handler = RichHandler(console=stderr, show_time=False, show_path=False, markup=False)
    handler.addFilter(EscapingFilter())  # messages name files and ids from the data
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

    def stage(self, description: str, total: int | None) -> StageTask:
        return StageTask(self._progress, self._progress.add_task(description, total=total))

    def hook(self) -> ProgressHook:
        """A pipeline progress hook: one bar per stage, in the order stages start; a
        stage of unknown length is shown complete once the next one starts."""
        bars: dict[str, StageTask] = {}

        def progress(stage: str, advance: int, total: int | None) -> None:
            if stage not in bars:
                for earlier in bars.values():
                    earlier.finish()
                bars[stage] = self.stage(stage, total)
            bars[stage].advance(advance)

        return progress


class StageTask:
    """A handle to advance one stage's bar by any amount (a batch at a time)."""

    def __init__(self, progress: Progress, task: object) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: int = 1) -> None:
        self._progress.advance(self._task, amount)  # type: ignore[arg-type]

    def finish(self) -> None:
        """Show the stage complete: what it counted becomes its total."""
        for task in self._progress.tasks:
            if task.id == self._task and task.total is None:
                self._progress.update(task.id, total=task.completed)
