"""The accuracy table: one command prints every accuracy check of reprints.

    python benchmarks/accuracy.py [--shared ../shared]

Rows:
- seeds: the news page and its blog repost (pair found, containment, coverage).
- short answers (Clough & Stevenson 2011): answer→source containment ranks copied
  answers (cut, light, heavy) above independent ones (non): ROC AUC and mean per level,
  next to plain word 5-gram containment as the baseline.
- short answers, document clusters (benchmarks/accuracy_groups.py): adjusted Rand index
  against the labelling (each source with its cut/light/heavy answers, non answers
  alone), answers joined to their source per level, non answers wrongly clustered.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from reprints.api import FindOptions, find
from reprints.fingerprint import ngram_hashes
from reprints.readers import read_documents
from reprints.text import Tokenizer

Row = tuple[str, str, str]  # check, measure, value
LEVELS = ("cut", "light", "heavy", "non")


def roc_auc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties: half)."""
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def seeds_rows(shared: Path) -> list[Row]:
    seeds = shared / "seeds"
    with find(read_documents([seeds]), FindOptions()) as result:
        rows: list[Row] = [("seeds", "pairs found (want 1)", str(len(result.pairs)))]
        if result.pairs:
            pair = result.pairs[0]
            rows.append(("seeds", "repost containment (want ≥ 0.85)", f"{pair.containment_b:.3f}"))
            rows.append(("seeds", "n-gram Jaccard (MinHash sees)", f"{pair.jaccard:.3f}"))
            page = result.texts[pair.a]
            tail = page.index("Latest news") if "Latest news" in page else len(page)
            clean = all(p.a_end <= tail for p in pair.passages)
            rows.append(("seeds", "passages stay out of 'Latest news'", "yes" if clean else "NO"))
        repeats = {r.doc for r in result.repeats}
        rows.append(
            ("seeds", "repost's internal repeat found", "yes" if pair.b in repeats else "NO")
        )
    return rows


def short_answer_labels(corpus_dir: Path) -> dict[str, tuple[str, str]]:
    """answer file → (task letter, level), from file_information.csv."""
    with open(corpus_dir.parent / "file_information.csv", newline="") as stream:
        return {
            row["File"]: (row["Task"], row["Category"])
            for row in csv.DictReader(stream)
            if row["Category"] != "orig"
        }


def plain_containment(answer: str, source: str, tokenizer: Tokenizer, n: int = 5) -> float:
    """Share of the answer's distinct word n-grams found in the source: the baseline."""
    a = np.unique(ngram_hashes(tokenizer.hashes(answer), n))
    s = np.unique(ngram_hashes(tokenizer.hashes(source), n))
    return float(np.isin(a, s).mean()) if a.size else 0.0


def _auc_rows(name: str, scores: dict[str, list[float]]) -> list[Row]:
    copied = scores["cut"] + scores["light"] + scores["heavy"]
    rows: list[Row] = [(name, "ROC AUC copied vs non", f"{roc_auc(copied, scores['non']):.4f}")]
    means = [float(np.mean(scores[level])) for level in LEVELS]
    ordered = all(x > y for x, y in itertools.pairwise(means))
    rows.append(
        (
            name,
            "mean cut / light / heavy / non",
            " / ".join(f"{m:.3f}" for m in means)
            + ("  (ordered)" if ordered else "  (NOT ordered)"),
        )
    )
    return rows


# Short answers (200-300 words, heavily revised) share short fragments: this profile
# keeps passages from 6 tokens and bridges longer rewrites than the defaults do.
SHORT_TEXTS = FindOptions(min_tokens=6, max_gap=40, min_similarity=0.3)


def short_answer_rows(shared: Path) -> list[Row]:
    corpus = shared / "data" / "plagiarised-short-answers" / "corpus"
    labels = short_answer_labels(corpus)
    rows: list[Row] = []
    texts: dict[str, str] = {}
    for options, name in (
        (FindOptions(), "short answers: find, defaults"),
        (SHORT_TEXTS, "short answers: find --min-tokens 6 --max-gap 40 --min-similarity 0.3"),
    ):
        containment, texts = _containments(corpus, options)
        rows += _short_answer_rows(name, labels, containment)
    plain: dict[str, list[float]] = {level: [] for level in LEVELS}
    tokenizer = Tokenizer()
    for answer, (task, level) in sorted(labels.items()):
        source = f"orig_task{task}.txt"
        plain[level].append(plain_containment(texts[answer], texts[source], tokenizer))
    rows += _auc_rows("short answers: plain 5-gram containment", plain)
    return rows + ceiling_rows(labels, texts)


def _containments(corpus: Path, options: FindOptions) -> tuple[dict[tuple[str, str], float], dict]:
    """(answer, source) → containment of the answer, and every text, from one `find` run."""
    with find(read_documents([corpus]), options) as result:
        containment: dict[tuple[str, str], float] = {}
        for pair in result.pairs:
            containment[(pair.a, pair.b)] = pair.containment_a
            containment[(pair.b, pair.a)] = pair.containment_b
        return containment, dict(result.texts)


def _short_answer_rows(
    name: str, labels: dict[str, tuple[str, str]], containment: dict[tuple[str, str], float]
) -> list[Row]:
    scores: dict[str, list[float]] = {level: [] for level in LEVELS}
    for answer, (task, level) in sorted(labels.items()):
        scores[level].append(containment.get((answer, f"orig_task{task}.txt"), 0.0))
    unfound = sum(score == 0.0 for level in ("cut", "light", "heavy") for score in scores[level])
    rows = _auc_rows(name, scores)
    rows.append((name, "copied answers with no passage", str(unfound)))
    return rows


def ceiling_rows(labels: dict[str, tuple[str, str]], texts: dict[str, str]) -> list[Row]:
    """The best AUC any score drawn from shared text can reach on these labels.

    Some answers labelled as copied share no word 4-gram with their task's source (they
    were copied from another part of the same encyclopedia article, which the corpus does
    not include); any text-matching score must tie them with the independent answers.
    """
    tokenizer = Tokenizer()
    copied, non, blind = [], [], []
    for answer, (task, level) in sorted(labels.items()):
        shares = plain_containment(texts[answer], texts[f"orig_task{task}.txt"], tokenizer, 4)
        if level == "non":
            non.append(0.0)
        else:
            copied.append(1.0 if shares > 0 else 0.0)
            if shares == 0:
                blind.append(answer)
    name = "short answers: ceiling"
    return [
        (name, "copied answers sharing no 4-gram", ", ".join(blind) or "none"),
        (name, "best reachable ROC AUC", f"{roc_auc(copied, non):.4f}"),
    ]


def document_cluster_rows(shared: Path) -> list[Row]:
    from accuracy_groups import group_rows  # beside this file; it imports us lazily

    return group_rows(shared)


CHECKS: list[tuple[str, Callable[[Path], list[Row]]]] = [
    ("seeds", seeds_rows),
    ("short answers", short_answer_rows),
    ("document clusters", document_cluster_rows),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    default_shared = Path(__file__).resolve().parents[2] / "shared"
    parser.add_argument("--shared", type=Path, default=default_shared, help="the shared/ folder")
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        print(f"no shared data at {args.shared}", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)  # the corpus has Latin-1 files: decoding warnings
    rows: list[Row] = []
    for _, check in CHECKS:
        rows.extend(check(args.shared))
    print_rows(rows)
    return 0


def print_rows(rows: list[Row]) -> None:
    """The rows as an aligned table: check, measure, value (also alignment.py's)."""
    width = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    for check_name, measure, value in rows:
        print(f"{check_name:<{width[0]}}  {measure:<{width[1]}}  {value}")


if __name__ == "__main__":
    sys.exit(main())
