"""`reprints query`: what one text is to an indexed collection, best match first."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.table import Table

from reprints.cli.common import add_input_options, read_options
from reprints.documents import Document
from reprints.index import Index, QueryResult, query
from reprints.readers import InputError, ReadLog, read_documents


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "query",
        help="match a text against an index: exact copy, near-duplicate, containment",
        description="Match each document of INPUT ('-': plain text on standard input, or "
        "JSON Lines with --format jsonl) against the index: the stored documents it "
        "copies, nearly duplicates, contains or is contained in, with the shared passages' "
        "offsets in both. Exit status 0 when something matched, 1 when nothing did.",
    )
    add_input_options(parser)
    parser.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    parser.add_argument("--json", action="store_true", help="one JSON object per query document")
    parser.add_argument(
        "--top", type=int, default=10, metavar="N", help="matches listed (default: 10)"
    )
    parser.set_defaults(func=run)


def _queries(args: argparse.Namespace, log: ReadLog) -> Iterator[Document]:
    if args.inputs == ["-"] and args.format is None:
        text = sys.stdin.read()
        if not text.strip():
            raise InputError("standard input is empty: nothing to query")
        yield Document("-", text)
        return
    yield from read_documents(args.inputs, read_options(args), log)


def run(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise InputError(f"--top must be at least 1 (got {args.top})")
    index = Index(args.index)
    log = ReadLog(strict=args.strict)
    matched = False
    for doc in _queries(args, log):
        result = query(index, doc, top=args.top)
        matched = matched or bool(result.matches)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False))
        elif not args.quiet:
            print_result(result)
    return 0 if matched else 1


def print_result(result: QueryResult) -> None:
    console = Console() if sys.stdout.isatty() else Console(width=160)
    if not result.matches:
        console.print(f"{result.query}: no match among {result.documents:,} documents")
        return
    table = Table(title=f"{result.query}: {len(result.matches)} match(es)")
    table.add_column("document", overflow="fold")
    table.add_column("kind")
    for column in ("of query", "of document", "jaccard", "passages"):
        table.add_column(column, justify="right")
    for m in result.matches:
        table.add_row(
            m.id,
            m.kind,
            f"{m.containment_query:.0%}",
            f"{m.containment_document:.0%}",
            f"{m.jaccard:.2f}",
            str(len(m.passages)),
        )
    console.print(table)
