"""`reprints find`: every passage shared by two documents of a collection, with offsets."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from reprints.api import FindOptions, find, write_find_outputs
from reprints.cli.common import (
    ProgressBar,
    add_input_options,
    add_workers_option,
    read_options,
    stderr,
)
from reprints.readers import ReadLog, read_documents


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    defaults = FindOptions()
    parser = subparsers.add_parser(
        "find",
        help="find passages shared by documents, and documents that repeat themselves",
        description="Find every passage that two documents of a collection share, with "
        "character offsets in both, and every passage a document repeats. Writes "
        "pairs.jsonl, self.jsonl and summary.json to --out.",
    )
    add_input_options(parser)
    parser.add_argument("-o", "--out", required=True, type=Path, help="output folder")
    parser.add_argument(
        "--ngram",
        type=int,
        default=defaults.ngram,
        help=f"tokens per n-gram (default: {defaults.ngram})",
    )
    parser.add_argument(
        "--min-tokens",
        type=int,
        default=defaults.min_tokens,
        help="shortest passage reported, in tokens; every verbatim run this long is found "
        f"(default: {defaults.min_tokens})",
    )
    parser.add_argument(
        "--max-df",
        type=int,
        default=defaults.max_df,
        help="n-grams found in more documents than this are stock phrases and never pair "
        f"documents (default: {defaults.max_df})",
    )
    parser.add_argument(
        "--max-gap",
        type=int,
        default=defaults.max_gap,
        help=f"longest edit bridged inside one passage, in tokens (default: {defaults.max_gap})",
    )
    parser.add_argument(
        "--min-similarity",
        type=float,
        default=defaults.min_similarity,
        help=f"least share of matching tokens in a passage (default: {defaults.min_similarity})",
    )
    parser.add_argument(
        "--no-self", action="store_true", help="do not look for passages a document repeats"
    )
    add_workers_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = FindOptions(
        ngram=args.ngram,
        min_tokens=args.min_tokens,
        max_df=args.max_df,
        max_gap=args.max_gap,
        min_similarity=args.min_similarity,
        self_repeats=not args.no_self,
        workers=args.workers,
    )
    log = ReadLog(strict=args.strict)
    with ProgressBar() as bar:
        stages: dict[str, object] = {}

        def progress(stage: str, advance: int, total: int | None) -> None:
            if stage not in stages:
                stages[stage] = bar.stage(stage, total)
            stages[stage].advance(advance)  # type: ignore[attr-defined]

        documents = read_documents(args.inputs, read_options(args), log)
        with find(documents, options, progress=progress) as result:
            summary = write_find_outputs(result, args.out, {"input": log.to_json()})
    if not args.quiet:
        print_summary(summary, args.out)
    return 0


def print_summary(summary: dict[str, object], out: Path) -> None:
    table = Table(title=f"reprints find → {out}", show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    read = summary["input"]
    assert isinstance(read, dict)
    table.add_row("documents read", f"{read['read']:,}")
    table.add_row("skipped", f"{read['skipped_total']:,}")
    for key in ("pairs", "passages", "documents_with_repeats", "anchors_capped"):
        table.add_row(key.replace("_", " "), f"{summary[key]:,}")
    seconds = summary["seconds"]
    assert isinstance(seconds, dict)
    table.add_row("seconds", f"{sum(seconds.values()):.2f}")
    stderr.print(table)
