"""`reprints index build|add|remove|compact|stats`: a persistent index of a collection."""

from __future__ import annotations

import argparse
import json
import sys

from reprints.boilerplate import BoilerplateSettings
from reprints.cli.common import (
    add_boilerplate_options,
    add_input_options,
    add_workers_option,
    read_options,
    stderr,
)
from reprints.cli.find import add_alignment_options
from reprints.finding import FindOptions
from reprints.index import Index, IndexOptions
from reprints.readers import ReadLog, read_documents


def _add_index_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", required=True, metavar="DIR", help="the index folder")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "index",
        help="build and update a persistent index for `reprints query` and `reprints serve`",
        description="A persistent index: documents in SQLite, anchors in memory-mapped "
        "segment files. Every add is atomic; queries run while it is written.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    build = actions.add_parser("build", help="make a new index from documents")
    add_input_options(build)
    _add_index_option(build)
    add_alignment_options(build, with_max_df=True)
    add_boilerplate_options(build)
    add_workers_option(build)
    build.set_defaults(func=run_build)

    add = actions.add_parser("add", help="add documents to an index")
    add_input_options(add)
    _add_index_option(add)
    add_workers_option(add)
    add.set_defaults(func=run_add)

    remove = actions.add_parser("remove", help="remove documents by id (until compact: tombstones)")
    remove.add_argument("ids", nargs="+", metavar="ID")
    _add_index_option(remove)
    remove.set_defaults(func=run_remove)

    compact = actions.add_parser("compact", help="merge segments and drop removed documents")
    _add_index_option(compact)
    compact.set_defaults(func=run_compact)

    stats = actions.add_parser("stats", help="print the index's figures as JSON")
    _add_index_option(stats)
    stats.set_defaults(func=run_stats)


def _options(args: argparse.Namespace) -> IndexOptions:
    find = FindOptions(
        ngram=args.ngram,
        min_tokens=args.min_tokens,
        max_df=args.max_df,
        max_gap=args.max_gap,
        min_similarity=args.min_similarity,
        workers=1,
    )
    boilerplate = (
        None
        if args.no_boilerplate
        else BoilerplateSettings(
            min_docs=args.boilerplate_min_docs, line_rules=not args.no_line_rules
        )
    )
    return IndexOptions(find, boilerplate)


def _add(index: Index, args: argparse.Namespace) -> int:
    log = ReadLog(strict=args.strict)
    report = index.add(read_documents(args.inputs, read_options(args), log))
    if not args.quiet:
        stderr.print(
            f"added {report.added:,} documents ({report.tokens:,} tokens, "
            f"{report.postings:,} postings); skipped {log.to_json()['skipped_total']:,}"
        )
    return 0


def run_build(args: argparse.Namespace) -> int:
    return _add(Index.create(args.index, _options(args), workers=args.workers), args)


def run_add(args: argparse.Namespace) -> int:
    return _add(Index(args.index, workers=args.workers), args)


def run_remove(args: argparse.Namespace) -> int:
    missing = Index(args.index).remove(args.ids)
    for doc_id in missing:
        print(f"reprints: not in the index: {doc_id}", file=sys.stderr)
    return 1 if missing else 0


def run_compact(args: argparse.Namespace) -> int:
    merged = Index(args.index).compact()
    if not args.quiet:
        stderr.print(f"compacted {merged} segment(s) into one")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    print(json.dumps(Index(args.index).stats(), indent=2, sort_keys=True))
    return 0
