"""`reprints find`: every passage shared by two documents of a collection, with offsets."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reprints.api import FindOptions, find, write_find_outputs, write_groups_and_report
from reprints.boilerplate import BoilerplateDetector
from reprints.cli.common import (
    ProgressBar,
    add_boilerplate_options,
    add_engine_options,
    add_input_options,
    add_workers_option,
    boilerplate_detector,
    read_options,
    stderr,
)
from reprints.cli.inputs import byte_size, check_out
from reprints.cli.spark import check_engine, find_on_spark, writes_datasets
from reprints.cli.terminal import cell
from reprints.documents import Pair, SelfRepeats
from reprints.finding import default_memory_budget
from reprints.options import OptionsError, check, from_args
from reprints.output_set import OutputSet
from reprints.readers import ReadLog, read_documents


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "find",
        help="find passages shared by documents, and documents that repeat themselves",
        description="Find every passage that two documents of a collection share, with "
        "character offsets in both, and every passage a document repeats. Writes "
        "pairs.jsonl, self.jsonl, clusters.jsonl (passage clusters), documents.jsonl "
        "(document clusters and roles), summary.json and report.html to --out.",
    )
    add_input_options(parser)
    parser.add_argument(
        "-o", "--out", required=True, help="output folder (with --engine spark: or s3a://, ...)"
    )
    add_alignment_options(parser, with_max_df=True)
    parser.add_argument(
        "--no-self", action="store_true", help="do not look for passages a document repeats"
    )
    parser.add_argument(
        "--max-pairs",
        type=int,
        default=FindOptions().max_pairs,
        metavar="N",
        help="refuse, before pairing, a --max-df so high that the anchor index would make "
        f"more candidate pairs than this (default: {FindOptions().max_pairs:,})",
    )
    parser.add_argument(
        "--memory-budget",
        type=byte_size,
        default=0,
        metavar="SIZE",
        help="memory the anchor index may take while it is built: the rows it holds and "
        "the part it pairs (not the texts, tokens or found pairs); over it, the index is "
        "spilled to disk and paired part by part, with the same results (e.g. 500M, 2G; "
        "default: an eighth of "
        f"this machine's memory, {default_memory_budget() / (1 << 30):.1f}G)",
    )
    parser.add_argument(
        "--no-sentences",
        action="store_true",
        help="n-gram seeds only: no sentence seeds and no sentence keys (faster; finds "
        "reworded copies less well)",
    )
    parser.add_argument(
        "--pairs",
        type=Path,
        metavar="FILE",
        help="align only these pairs: a TSV file of two document ids per line ('#' starts "
        "a comment); candidates then come from elsewhere (a search engine, an earlier run)",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=10,
        metavar="N",
        help="list the N most-contained pairs on the terminal (default: 10; 0 for none)",
    )
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    parser.add_argument(
        "--report-top",
        type=int,
        default=20,
        metavar="N",
        help="pairs shown side by side and clusters listed in report.html (default: 20)",
    )
    add_boilerplate_options(parser)
    add_workers_option(parser)
    add_engine_options(parser)
    parser.set_defaults(func=run)


def add_alignment_options(parser: argparse.ArgumentParser, with_max_df: bool) -> None:
    """What makes a passage: the options `find` and `compare` share."""
    defaults = FindOptions()
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
    if with_max_df:
        parser.add_argument(
            "--max-df",
            type=int,
            default=defaults.max_df,
            help="n-grams found in more documents than this are stock phrases and never "
            f"pair documents (default: {defaults.max_df})",
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


@dataclass(frozen=True, slots=True)
class FindDisplay:
    """What `reprints find` shows besides its outputs: the terminal table and the report."""

    top: int = 10
    report: bool = True
    report_top: int = 20

    def __post_init__(self) -> None:
        check(
            [
                ("top", self.top, self.top >= 0, "0 (none) or more"),
                ("report_top", self.report_top, self.report_top >= 0, "0 or more"),
            ]
        )


def run(args: argparse.Namespace) -> int:
    # Every setting is checked before the first input is read.
    options = from_args(
        FindOptions, args, self_repeats=not args.no_self, sentences=not args.no_sentences
    )
    display = from_args(FindDisplay, args, report=not args.no_report)
    detector = boilerplate_detector(args)
    if args.engine == "spark":
        if args.pairs is not None:
            raise OptionsError("--pairs works with the local engine only, not --engine spark")
        check_engine(args)
    if writes_datasets(args):
        return _write_datasets(args, options, detector)
    out = Path(args.out)
    reading = read_options(args, exclude=(out,))
    check_out(out, folder=True)
    listed = read_pairs(args.pairs) if args.pairs is not None else None
    log = ReadLog(strict=args.strict)
    with ProgressBar() as bar:
        if args.engine == "spark":
            settings = detector.settings if detector is not None else None
            log, found = find_on_spark(args, reading, options, settings)
            result = found.result()
        else:
            documents = read_documents(args.inputs, reading, log)
            hook = bar.hook()
            result = find(documents, options, boilerplate=detector, progress=hook, pairs=listed)
        with result, OutputSet(out) as outputs:  # all files of the run appear together
            extra = {"input": log.to_json()}
            extra.update(
                write_groups_and_report(
                    result, outputs.folder, report=display.report, top_n=display.report_top
                )
            )
            summary = write_find_outputs(result, outputs.folder, extra)
            pairs, repeats = result.pairs, result.repeats
    if not args.quiet:
        print_summary(summary, args.out)
        print_findings(pairs, repeats, display.top)
    return 0


def _write_datasets(
    args: argparse.Namespace, options: FindOptions, detector: BoilerplateDetector | None
) -> int:
    """``--engine spark`` with a cluster ``--out``: the outputs as Spark datasets."""
    from reprints.spark.output import write_find_datasets

    settings = detector.settings if detector is not None else None
    log, found = find_on_spark(args, read_options(args), options, settings)
    summary = write_find_datasets(found, str(args.out), {"input": log.to_json()})
    if not args.quiet:
        print_summary(summary, args.out)
    return 0


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """The id pairs of a ``--pairs`` file: two tab-separated ids per line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise OptionsError(f"--pairs {path}: cannot read it ({error})") from error
    pairs = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 2 or not all(fields):
            raise OptionsError(f"--pairs {path}:{number}: want two tab-separated ids")
        pairs.append((fields[0], fields[1]))
    return pairs


def print_findings(pairs: list[Pair], repeats: list[SelfRepeats], top: int) -> None:
    """The most-contained pairs and the largest self-repeats, on standard output."""
    if top <= 0:
        return
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # piped or captured: don't fold ids at 80 columns
    if pairs:
        ranked = sorted(pairs, key=lambda p: (-max(p.containment_a, p.containment_b), p.a, p.b))
        table = Table(title=f"pairs sharing passages ({min(top, len(pairs))} of {len(pairs):,})")
        for column in ("a", "b"):
            table.add_column(column, overflow="fold")
        for column in ("in a", "in b", "passages", "tokens"):
            table.add_column(column, justify="right")
        for pair in ranked[:top]:
            tokens = sum(p.tokens for p in pair.passages)
            table.add_row(
                cell(pair.a),
                cell(pair.b),
                f"{pair.containment_a:.0%}",
                f"{pair.containment_b:.0%}",
                str(len(pair.passages)),
                f"{tokens:,}",
            )
        console.print(table)
    else:
        console.print("no pairs of documents share a passage")
    if repeats:
        ranked_repeats = sorted(repeats, key=lambda r: (-sum(p.tokens for p in r.passages), r.doc))
        table = Table(title=f"documents repeating their own text ({len(repeats):,})")
        table.add_column("document", overflow="fold")
        table.add_column("repeats", justify="right")
        table.add_column("tokens repeated", justify="right")
        for item in ranked_repeats[:top]:
            table.add_row(
                cell(item.doc), str(len(item.passages)), f"{sum(p.tokens for p in item.passages):,}"
            )
        console.print(table)


def print_summary(summary: dict[str, object], out: str | Path) -> None:
    table = Table(title=cell(f"reprints find → {out}"), show_header=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    read = summary["input"]
    assert isinstance(read, dict)
    table.add_row("documents read", f"{read['read']:,}")
    table.add_row("skipped", f"{read['skipped_total']:,}")
    for key in ("pairs", "passages", "documents_with_repeats", "anchors_capped"):
        table.add_row(key.replace("_", " "), f"{summary[key]:,}")
    for key in ("passage_clusters", "document_clusters", "documents_in_clusters"):
        if key in summary:
            table.add_row(key.replace("_", " "), f"{summary[key]:,}")
    seconds = summary["seconds"]
    assert isinstance(seconds, dict)
    table.add_row("seconds", f"{sum(seconds.values()):.2f}")
    stderr.print(table)
