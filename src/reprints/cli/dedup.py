"""`reprints dedup`: one copy of each document: exact, near-duplicate and contained copies."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from reprints.cli.common import (
    ProgressBar,
    add_engine_options,
    add_input_options,
    add_workers_option,
    read_options,
    stderr,
)
from reprints.cli.inputs import check_out, dedup_outputs
from reprints.cli.spark import check_engine, dedup_on_spark, writes_datasets
from reprints.cli.terminal import cell
from reprints.dedup import DedupOptions, DedupResult, DedupSummary, dedup
from reprints.options import from_args
from reprints.output import output_format, write_dedup_outputs
from reprints.readers import ReadLog, read_documents

if TYPE_CHECKING:
    from reprints.spark.dedup import SparkDedup


def _output(value: str) -> str:
    try:
        output_format(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    defaults = DedupOptions()
    parser = subparsers.add_parser(
        "dedup",
        help="keep one copy of each document: exact, near-duplicate and contained copies",
        description="Deduplicate a collection: exact copies (same words, whatever the "
        "spacing, case or quotes), near-duplicates (MinHash-LSH, verified against the "
        "true n-gram Jaccard) and, with --containment, documents mostly contained in "
        "another. Writes the kept documents with all their fields to OUT (.jsonl, "
        ".jsonl.gz or .parquet), OUT.removed.jsonl (each removed document, the kept one "
        "that stands for it, the reason and score) and OUT.summary.json.",
    )
    add_input_options(parser)
    parser.add_argument(
        "-o", "--out", required=True, type=_output, help="output file: .jsonl, .jsonl.gz, .parquet"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=defaults.threshold,
        help=f"n-gram Jaccard from which documents are near-duplicates (default: "
        f"{defaults.threshold})",
    )
    parser.add_argument(
        "--num-perm",
        type=int,
        default=defaults.num_perm,
        help=f"MinHash permutations (default: {defaults.num_perm})",
    )
    parser.add_argument(
        "--ngram",
        type=int,
        default=defaults.ngram,
        help=f"tokens per shingle (default: {defaults.ngram})",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="trust LSH candidates without computing their true Jaccard (faster, less precise)",
    )
    parser.add_argument(
        "--containment",
        type=float,
        default=None,
        metavar="C",
        help="also remove a document covered at least C (e.g. 0.8) by passages shared "
        "with one kept document (off by default)",
    )
    parser.add_argument(
        "--drop-repeats",
        action="store_true",
        help="cut paragraphs a kept document repeats of itself (whole lines repeating whole "
        "lines: a text pasted twice keeps one copy; a teaser quoting a sentence stays)",
    )
    parser.add_argument(
        "--drop-boilerplate",
        action="store_true",
        help="cut boilerplate lines from kept documents: lines found in more than --max-df "
        "documents of a site (of the whole corpus for documents with no URL), and "
        "share/navigation widgets",
    )
    parser.add_argument(
        "--max-df",
        type=int,
        default=defaults.max_df,
        help=f"a line in more documents than this is boilerplate; n-grams in more documents "
        f"never pair documents for --containment (default: {defaults.max_df})",
    )
    parser.add_argument(
        "--min-tokens",
        type=int,
        default=defaults.min_tokens,
        help=f"shortest shared or repeated passage counted, in tokens (default: "
        f"{defaults.min_tokens})",
    )
    parser.add_argument(
        "--keep",
        default=defaults.keep,
        metavar="first|longest|FIELD",
        help="which copy is kept: 'first' (the smallest id), the longest, or the smallest value "
        "of a metadata FIELD (e.g. date: the earliest); ties go to the smaller id, so the "
        "read order never matters (default: first)",
    )
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="seed of the MinHash permutations"
    )
    add_workers_option(parser)
    add_engine_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Checked here, before any input is read: a bad setting is one line and exit 2.
    options = from_args(DedupOptions, args, verify=not args.no_verify)
    if args.engine == "spark":
        check_engine(args)
    if writes_datasets(args):
        from reprints.spark.output import write_dedup_datasets

        log, found = dedup_on_spark(args, read_options(args), options)
        with found:
            written = write_dedup_datasets(found, args.out, log.to_json())
        if not args.quiet:
            print_summary(written, args.out)
        return 0
    out = Path(args.out)
    reading = read_options(args, dedup_outputs(out))
    check_out(out, folder=False)
    log = ReadLog(strict=args.strict)
    with ProgressBar() as bar:
        progress = bar.hook()
        result: DedupResult | SparkDedup
        if args.engine == "spark":
            log, result = dedup_on_spark(args, reading, options)
        else:
            result = dedup(read_documents(args.inputs, reading, log), options, progress=progress)
        with result:
            summary = write_dedup_outputs(result, out, log.to_json())
    if not args.quiet:
        print_summary(summary, args.out)
    return 0


def print_summary(summary: DedupSummary, out: str | Path) -> None:
    table = Table(title=cell(f"reprints dedup → {out}"), show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    read = summary.input or {}
    table.add_row("documents read", f"{read.get('read', summary.documents):,}")
    table.add_row("inputs skipped", f"{read.get('skipped_total', 0):,}")
    table.add_row("kept", f"{summary.kept:,}")
    for reason, count in summary.removed.items():
        table.add_row(f"removed: {reason}", f"{count:,}")
    table.add_row("skipped: no words", f"{summary.skipped_total:,}")
    table.add_row("seconds", f"{sum(summary.seconds.values()):.2f}")
    stderr.print(table)
