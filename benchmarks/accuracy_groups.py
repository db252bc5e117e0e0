"""Accuracy of document clusters (reprints.group) on the plagiarised short answers.

    python benchmarks/accuracy_groups.py [--shared ../shared]

The labelling (Clough & Stevenson 2011, ``file_information.csv``): each of the five
source texts (``orig_task?.txt``) with its ``cut``, ``light`` and ``heavy`` answers is
one cluster; every ``non`` answer (written without the source) is a cluster of its
own. Rows: the adjusted Rand index of `find`'s document clusters against it, how
many answers of each level are joined to their source, and how many ``non``
answers are wrongly joined to anything. ``group_rows(shared)`` gives the rows to
``benchmarks/accuracy.py``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from reprints.api import FindOptions, find
from reprints.group import document_clusters
from reprints.readers import read_documents

Row = tuple[str, str, str]  # check, measure, value
COPIED = ("cut", "light", "heavy")
# The profile benchmarks/accuracy.py uses for short, heavily revised texts.
SHORT_TEXTS = FindOptions(min_tokens=6, max_gap=40, min_similarity=0.3)


def adjusted_rand_index(truth: npt.ArrayLike, found: npt.ArrayLike) -> float:
    """Hubert & Arabie's adjusted Rand index of two labellings of the same items
    (1 = identical partitions, about 0 = chance agreement)."""
    t, f = np.asarray(truth), np.asarray(found)
    _, ti = np.unique(t, return_inverse=True)
    _, fi = np.unique(f, return_inverse=True)
    table = np.zeros((ti.max() + 1, fi.max() + 1), dtype=np.int64)
    np.add.at(table, (ti.reshape(-1), fi.reshape(-1)), 1)

    def pairs(x: npt.NDArray[np.int64]) -> float:
        return float((x * (x - 1) // 2).sum())

    index = pairs(table)
    rows, cols = pairs(table.sum(axis=1)), pairs(table.sum(axis=0))
    total = t.size * (t.size - 1) / 2
    expected = rows * cols / total if total else 0.0
    best = (rows + cols) / 2
    if best == expected:  # both partitions trivial (all singletons or one cluster)
        return 1.0
    return (index - expected) / (best - expected)


def labelling(corpus: Path) -> dict[str, tuple[str, str]]:
    """file → (task letter, category) for every file, sources included (``orig``)."""
    with open(corpus.parent / "file_information.csv", newline="") as stream:
        labels = {row["File"]: (row["Task"], row["Category"]) for row in csv.DictReader(stream)}
    for task in sorted({t for t, _ in labels.values()}):
        labels.setdefault(f"orig_task{task}.txt", (task, "orig"))
    return labels


def group_scores(corpus: Path, options: FindOptions, name: str) -> list[Row]:
    labels = labelling(corpus)
    with find(read_documents([corpus]), options) as result:
        roles = {r.doc: r for r in document_clusters(result.pairs, result.doc_ids, result.meta)}
    docs = sorted(d for d in labels if d in roles)
    truth = [f"task {labels[d][0]}" if labels[d][1] != "non" else f"alone {d}" for d in docs]
    found = [roles[d].cluster for d in docs]
    rows: list[Row] = [
        (name, "document clusters: adjusted Rand index", f"{adjusted_rand_index(truth, found):.4f}")
    ]
    joined = {}
    for level in COPIED:
        answers = [d for d in docs if labels[d][1] == level]
        source = {d: f"orig_task{labels[d][0]}.txt" for d in answers}
        together = sum(roles[d].cluster == roles[source[d]].cluster for d in answers)
        joined[level] = f"{together}/{len(answers)}"
    rows.append((name, "joined to their source: cut / light / heavy", " / ".join(joined.values())))
    non = [d for d in docs if labels[d][1] == "non"]
    wrong = sum(roles[d].cluster_size > 1 for d in non)
    rows.append((name, "non answers wrongly clustered", f"{wrong}/{len(non)}"))
    sources = [d for d in docs if labels[d][1] == "orig"]
    originals = sum(roles[d].role == "original" for d in sources)
    rows.append((name, "sources found as the cluster's original", f"{originals}/{len(sources)}"))
    return rows


def group_rows(shared: Path) -> list[Row]:
    corpus = shared / "data" / "plagiarised-short-answers" / "corpus"
    if not corpus.is_dir():
        return [("document clusters", "short answers", "skipped (no data)")]
    return group_scores(
        corpus, FindOptions(), "short answers: document clusters, defaults"
    ) + group_scores(
        corpus,
        SHORT_TEXTS,
        "short answers: document clusters, --min-tokens 6 --max-gap 40 --min-similarity 0.3",
    )


def main(argv: list[str] | None = None) -> int:
    """These rows alone, printed by accuracy.py's table printer."""
    import accuracy  # beside this file; imported here so accuracy.py can import us

    accuracy.CHECKS[:] = [("document clusters", group_rows)]
    return accuracy.main(argv)


if __name__ == "__main__":
    sys.exit(main())
