"""`reprints convert`: any input the readers take into a Parquet dataset Spark can read."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from reprints.cli.common import add_input_options, add_workers_option, read_options, stderr
from reprints.cli.inputs import check_out
from reprints.convert import ConvertResult, write_parquet_documents
from reprints.readers import ReadLog, read_documents


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="write documents from any input as a Parquet dataset (for --engine spark)",
        description="Read INPUT (text, JSON Lines, HTML, WARC, Parquet, compressed or not) "
        "as every command does, with the same bad-input report, and write the documents "
        "as a Parquet dataset folder: part files with the columns id, text and one column "
        "per metadata field, in bounded row groups. A field a document lacks is null in "
        "its row; a field whose values have no common type is stored as JSON text.",
    )
    add_input_options(parser)
    parser.add_argument(
        "-o", "--out", required=True, type=Path, help="output folder, e.g. corpus.parquet"
    )
    add_workers_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    reading = read_options(args, exclude=(args.out,))
    check_out(args.out, folder=True)
    log = ReadLog(strict=args.strict)
    documents = read_documents(args.inputs, reading, log)
    result = write_parquet_documents(documents, args.out)
    if not args.quiet:
        print_summary(result, log, args.out)
    return 0


def print_summary(result: ConvertResult, log: ReadLog, out: Path) -> None:
    table = Table(title=f"reprints convert → {out}", show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    table.add_row("documents read", f"{log.read:,}")
    table.add_row("skipped", f"{sum(log.skipped.values()):,}")
    for reason, count in sorted(log.skipped.items()):
        table.add_row(f"  {reason}", f"{count:,}")
    table.add_row("warnings", f"{sum(log.warnings.values()):,}")
    table.add_row("documents written", f"{result.documents:,}")
    table.add_row("part files", f"{len(result.files):,}")
    table.add_row("row groups", f"{result.row_groups:,}")
    table.add_row("metadata fields", ", ".join(result.fields) or "none")
    if result.json_fields:
        table.add_row("stored as JSON text", ", ".join(result.json_fields))
    stderr.print(table)
