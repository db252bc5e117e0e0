"""`reprints compare A B`: the human view of one pair, in the terminal.

Exit code 0 when the two share at least one passage, 1 when they do not, 2 on error.
"""

from __future__ import annotations

import argparse
import difflib

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from reprints.api import FindOptions, compare
from reprints.boilerplate import BoilerplateDetector, explain
from reprints.cli.common import (
    add_boilerplate_options,
    add_input_options,
    boilerplate_detector,
    read_options,
    stderr,
)
from reprints.cli.find import add_alignment_options
from reprints.cli.terminal import markup_safe, printable, printable_layout
from reprints.documents import Document, Pair, Passage
from reprints.options import from_args
from reprints.readers import ReadLog, ReadOptions, read_documents
from reprints.text import hash_token, token_spans


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="show the passages two documents share, differing words marked",
        description="Align two documents and show both containments and every shared "
        "passage with its offsets and its text in A and in B. Exit code 0 when they share "
        "passages, 1 when not.",
    )
    add_input_options(parser)
    add_alignment_options(parser, with_max_df=False)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="list the lines of A and B marked as boilerplate (never pairing) and why",
    )
    add_boilerplate_options(parser)
    parser.set_defaults(func=run)


def _first_document(path: str, reading: ReadOptions, log: ReadLog) -> Document | None:
    for doc in read_documents([path], reading, log):
        return doc
    return None


def word_diff(a_text: str, b_text: str) -> tuple[Text, Text]:
    """Both texts with the words that differ marked (compared as normalised tokens)."""
    a_spans, b_spans = (list(zip(*token_spans(t), strict=True)) for t in (a_text, b_text))
    a_keys = [hash_token(a_text[s:e]) for s, e in a_spans]
    b_keys = [hash_token(b_text[s:e]) for s, e in b_spans]
    a_out, b_out = Text(printable_layout(a_text)), Text(printable_layout(b_text))
    matcher = difflib.SequenceMatcher(None, a_keys, b_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            a_out.stylize("bold red reverse", int(a_spans[i1][0]), int(a_spans[i2 - 1][1]))
        if j2 > j1:
            b_out.stylize("bold green reverse", int(b_spans[j1][0]), int(b_spans[j2 - 1][1]))
    return a_out, b_out


def run(args: argparse.Namespace) -> int:
    if len(args.inputs) != 2:
        stderr.print("reprints compare: give exactly two inputs, A and B")
        return 2
    options = from_args(FindOptions, args)  # checked before the inputs are read
    detector = boilerplate_detector(args)
    reading = read_options(args)
    log = ReadLog(strict=args.strict)
    a = _first_document(args.inputs[0], reading, log)
    b = _first_document(args.inputs[1], reading, log)
    if a is None or b is None:
        missing = args.inputs[0] if a is None else args.inputs[1]
        stderr.print(f"reprints compare: no readable document in {markup_safe(missing)}")
        return 2
    pair = compare_marked(a, b, options, detector)
    out = Console()
    if args.explain:
        show_marked(out, a, b, detector)
    if pair is None:
        ids = f"{printable(a.id)} and {printable(b.id)}"
        out.print(f"{ids} share no passage of {args.min_tokens}+ tokens", markup=False)
        return 1
    out.print(
        f"[bold]A[/] {markup_safe(a.id)}: {pair.containment_a:.1%} inside B    "
        f"[bold]B[/] {markup_safe(b.id)}: {pair.containment_b:.1%} inside A    "
        f"n-gram Jaccard {pair.jaccard:.3f}    {len(pair.passages)} shared passage(s)"
    )
    for number, passage in enumerate(pair.passages, start=1):
        show_passage(out, number, passage, a, b)
    return 0


def compare_marked(
    a: Document, b: Document, options: FindOptions, detector: BoilerplateDetector | None
) -> Pair | None:
    """`compare`, with the lines ``detector`` marks (having seen both) kept out of pairing."""
    if detector is not None:
        detector.observe(a)
        detector.observe(b)
    return compare(a, b, options, boilerplate=detector)


def show_marked(
    out: Console, a: Document, b: Document, detector: BoilerplateDetector | None
) -> None:
    """Every line of A and B marked as boilerplate, with the reason (``--explain``)."""
    if detector is None:
        out.print("boilerplate marking is off (--no-boilerplate)", markup=False)
        return
    for label, doc in (("A", a), ("B", b)):
        marked = explain(doc, detector.marker().spans(doc))
        heading = f" {printable(doc.id)}: {len(marked)} line(s) marked as boilerplate"
        out.print(Text.assemble((label, "bold"), heading))
        for item in marked:
            line = Text(f"  [{item['start']}:{item['end']}] {item['reason']}: ", style="dim")
            line.append(printable(str(item["text"])))
            out.print(line)


def show_passage(out: Console, number: int, p: Passage, a: Document, b: Document) -> None:
    a_text, b_text = word_diff(a.text[p.a_start : p.a_end], b.text[p.b_start : p.b_end])
    title = f"passage {number}: {p.tokens} tokens, similarity {p.similarity:.2f}"
    out.print(Panel(a_text, title=f"{title} — A [{p.a_start}:{p.a_end}]", title_align="left"))
    out.print(Panel(b_text, title=f"B [{p.b_start}:{p.b_end}]", title_align="left"))
