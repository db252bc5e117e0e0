"""PAN text alignment: plagdet, precision, recall and granularity of `reprints find`.

    python benchmarks/alignment.py [--shared ../shared] [--mode all|pairs|both]
                                   [--half tune|held-out|both] [--workers N]

On the PAN 2013 text alignment training corpus (shared/data/pan13-text-alignment-
training/, see its PROVENANCE.txt): 1,827 suspicious and 3,230 source documents, 5,185
listed (suspicious, source) pairs in five folders by obfuscation type, the copied
passages of each pair annotated with character offsets. The measures are those of
Potthast et al. (COLING 2010), implemented in :mod:`reprints.evaluation`.

Two modes, both at `find`'s defaults (with the CLI's default boilerplate detector):

- ``all``: `find` over every document at once (suspicious and source documents as one
  collection), as a user would run it. A detection is a passage of a pair (suspicious
  document, source document) that the corpus lists; passages between other pairs of
  documents cannot be scored (the corpus does not annotate them) and are counted apart.
- ``pairs``: `find --pairs` with the listed pairs: only they are aligned
  (the text-alignment setting, where candidate pairs come from elsewhere).

The pairs are split once, by a fixed rule: *tune* holds the pairs whose suspicious
document's number is even, *held-out* those whose number is odd. Settings are tuned on
the tune half only; both halves are printed. Besides the per-type rows: the share of
no-plagiarism pairs that get any detection (they should get none).

Documents are read here as UTF-8 text, stray NUL bytes included (a few files hold
some; they are text all the same), so that the readers' handling of binary files does
not decide which documents take part.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from accuracy import print_rows  # benchmarks/ is on sys.path when run as a script

from reprints.api import BoilerplateDetector, FindOptions, find
from reprints.documents import Document, Pair
from reprints.evaluation import Annotation, Scores, score

CORPUS = Path("data") / "pan13-text-alignment-training"
TYPES = (
    ("02-no-obfuscation", "verbatim"),
    ("03-random-obfuscation", "random word edits"),
    ("04-translation-obfuscation", "translation chains"),
    ("05-summary-obfuscation", "summaries"),
)
NEGATIVES = "01-no-plagiarism"
HALVES = ("tune", "held-out")
_NUMBER = re.compile(r"(\d+)")

Row = tuple[str, str, str]  # check, measure, value (the accuracy table's rows)


@dataclass(frozen=True, slots=True)
class Corpus:
    """Texts by file name, the listed pairs by folder, and the annotated cases."""

    texts: dict[str, str]
    pairs: dict[str, list[tuple[str, str]]]  # folder → (suspicious, source) names
    cases: list[Annotation]


def half_of(pair: tuple[str, str]) -> str:
    """The fixed split: pairs whose suspicious document's number is even tune."""
    match = _NUMBER.search(pair[0])
    assert match, pair
    return "tune" if int(match.group(1)) % 2 == 0 else "held-out"


def load(folder: Path) -> Corpus:
    texts: dict[str, str] = {}
    for sub in ("susp", "src"):
        for path in sorted((folder / sub).glob("*.txt")):
            texts[path.name] = path.read_bytes().decode("utf-8")
    pairs: dict[str, list[tuple[str, str]]] = {}
    cases: list[Annotation] = []
    for name in (NEGATIVES, *(t for t, _ in TYPES)):
        listed = []
        for line in (folder / name / "pairs").read_text().split("\n"):
            if line.strip():
                susp, src = line.split()
                listed.append((susp, src))
                cases.extend(_cases(folder / name / f"{susp[:-4]}-{src[:-4]}.xml", susp))
        pairs[name] = listed
    return Corpus(texts, pairs, cases)


def _cases(xml: Path, susp: str) -> list[Annotation]:
    found = []
    for feature in ET.parse(xml).getroot():
        if feature.get("name") != "plagiarism":
            continue
        t0, s0 = int(feature.get("this_offset", 0)), int(feature.get("source_offset", 0))
        t1 = t0 + int(feature.get("this_length", 0))
        s1 = s0 + int(feature.get("source_length", 0))
        found.append(Annotation((susp, feature.get("source_reference", "")), t0, t1, s0, s1))
    return found


def _detections(pair: Pair) -> list[Annotation]:
    """A found pair's passages as detections, oriented (suspicious, source)."""
    if pair.a.startswith("susp"):
        return [
            Annotation((pair.a, pair.b), p.a_start, p.a_end, p.b_start, p.b_end)
            for p in pair.passages
        ]
    return [
        Annotation((pair.b, pair.a), p.b_start, p.b_end, p.a_start, p.a_end) for p in pair.passages
    ]


def detect(corpus: Corpus, options: FindOptions, listed_only: bool) -> tuple[list[Annotation], int]:
    """`find` over every document (``listed_only``: aligning the listed pairs only, as
    `find --pairs` does): detections in the listed pairs, and how many passages it
    reported between documents the corpus does not pair."""
    listed = {p for pairs in corpus.pairs.values() for p in pairs}
    documents = [Document(name, text) for name, text in corpus.texts.items()]
    detector = BoilerplateDetector()  # the CLI's defaults
    detections: list[Annotation] = []
    elsewhere = 0
    only = sorted(listed) if listed_only else None
    with find(documents, options, boilerplate=detector, pairs=only) as result:
        for pair in result.pairs:
            found = _detections(pair)
            if found[0].pair in listed:
                detections += found
            else:
                elsewhere += len(found)
    return detections, elsewhere


@dataclass(frozen=True, slots=True)
class Report:
    """Scores of one mode on one half: overall, per type, and on the negatives."""

    half: str
    overall: Scores
    by_type: list[tuple[str, Scores]]
    negatives_flagged: float  # share of no-plagiarism pairs with any detection


def evaluate(corpus: Corpus, detections: Sequence[Annotation], half: str) -> Report:
    def in_half(pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        return {p for p in pairs if half_of(p) == half}

    every = set().union(*(in_half(p) for p in corpus.pairs.values()))
    cases = [s for s in corpus.cases if s.pair in every]
    overall = score(cases, [r for r in detections if r.pair in every])
    by_type = []
    for folder, name in TYPES:
        chosen = in_half(corpus.pairs[folder])
        by_type.append(
            (
                name,
                score(
                    [s for s in cases if s.pair in chosen],
                    [r for r in detections if r.pair in chosen],
                ),
            )
        )
    negatives = in_half(corpus.pairs[NEGATIVES])
    flagged = {r.pair for r in detections if r.pair in negatives}
    return Report(half, overall, by_type, len(flagged) / max(len(negatives), 1))


def report_rows(mode: str, report: Report) -> list[Row]:
    name = f"PAN 2013 training, {mode}, {report.half}"
    rows = [(name, "plagdet / P / R / gran, all types", _figures(report.overall))]
    rows += [(name, f"  {kind}", _figures(s)) for kind, s in report.by_type]
    rows.append((name, "no-plagiarism pairs with a detection", f"{report.negatives_flagged:.1%}"))
    return rows


def _figures(s: Scores) -> str:
    return (
        f"{s.plagdet:.3f} / {s.precision:.3f} / {s.recall:.3f} / {s.granularity:.3f}"
        f"  ({s.cases} cases, {s.detections} detections)"
    )


def pan_rows(
    shared: Path,
    modes: Sequence[str] = ("pairs", "all"),
    halves: Sequence[str] = HALVES,
    options: FindOptions | None = None,
    workers: int = 0,
) -> list[Row]:
    """The accuracy table's PAN rows (none when the corpus is absent)."""
    folder = shared / CORPUS
    if not (folder / "pairs").is_file():
        return [("PAN 2013 training", "corpus", f"absent ({folder}): skipped")]
    corpus = load(folder)
    options = options or FindOptions(workers=workers)
    rows: list[Row] = []
    for mode in modes:
        started = time.perf_counter()
        detections, elsewhere = detect(corpus, options, listed_only=mode == "pairs")
        seconds = time.perf_counter() - started
        for half in halves:
            rows += report_rows(mode, evaluate(corpus, detections, half))
        extra = f"; {elsewhere} passages between unlisted pairs" if mode == "all" else ""
        rows.append((f"PAN 2013 training, {mode}", "seconds", f"{seconds:.0f}{extra}"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    default_shared = Path(__file__).resolve().parents[2] / "shared"
    parser.add_argument("--shared", type=Path, default=default_shared, help="the shared/ folder")
    parser.add_argument("--mode", choices=("all", "pairs", "both"), default="both")
    parser.add_argument("--half", choices=("tune", "held-out", "both"), default="both")
    parser.add_argument("--workers", type=int, default=0, help="processes (0: every core)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    modes = ("pairs", "all") if args.mode == "both" else (args.mode,)
    halves = HALVES if args.half == "both" else (args.half,)
    rows = pan_rows(args.shared, modes, halves, workers=args.workers)
    print_rows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
