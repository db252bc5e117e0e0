"""Speed, memory and accuracy of `reprints dedup` against datasketch and rensa.

    python benchmarks/dedup_bench.py --docs 20000 --words 600
    python benchmarks/dedup_bench.py --docs 1000000 --words 300 --tools reprints

The collection (seeded): news-like articles from a Zipfian vocabulary, written as
JSON Lines; about a third of the originals get a family of 1-4 planted copies:
exact copies, whitespace/case variants, copies with 1-10% of their words edited
(changed, dropped or inserted), truncations (the first 80-98% of the words), copies
with header/footer lines added, and edited copies with a header or footer. The truth
is computed, not assumed: the exact Jaccard of the word 5-gram sets of every pair in
a family; pairs at or above the threshold are linked, and two documents are a true
duplicate pair when they are in the same connected component of those links
(families of different originals share no 5-grams).

Each tool runs as its own child process, from the JSON Lines file to clusters, and
is timed as a whole (reading, tokenising, shingling, sketching, LSH, clustering,
and for reprints writing its outputs):

- ``reprints``: the `reprints dedup` command (all cores by default);
- ``datasketch``: MinHash + MinHashLSH, word 5-gram shingle strings, query then
  insert each document, union-find over the candidates (as text-dedup does);
- ``rensa``: RMinHash built in bulk (``RMinHash.from_token_sets``) from the same
  shingle strings, RMinHashLSH, union-find over the candidates.

For every tool: documents per second (wall), CPU seconds (the process and its pool),
peak RSS of its process tree (sampled from /proc, parent and pool workers summed),
and pair precision and recall: a predicted pair is two documents in one output
cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from reprints.fingerprint import ngram_hashes
from reprints.synthetic import TextGenerator
from reprints.text import Tokenizer

TOOLS = ("reprints", "datasketch", "rensa")
NGRAM = 5
_WORD = re.compile(r"\w+")


# --- the collection -------------------------------------------------------------------


class Corpus:
    """Fast prose: words drawn in one numpy call per document from the Zipfian
    vocabulary of :class:`reprints.synthetic.TextGenerator`, with sentence ends and
    paragraph breaks; its :meth:`TextGenerator.edit` makes the edited copies."""

    def __init__(self, seed: int) -> None:
        self.gen = TextGenerator(seed, vocabulary=50_000)
        self.rng = self.gen.rng
        words = self.gen.words
        self.plain = np.array(words, dtype=object)
        self.dotted = np.array([w + "." for w in words], dtype=object)
        self.capital = np.array([w.capitalize() for w in words], dtype=object)
        self.cdf = self.gen._cdf

    def article(self, words: int) -> str:
        rng = self.rng
        picks = np.minimum(
            np.searchsorted(self.cdf, rng.random(words), side="right"), self.plain.size - 1
        )
        out = self.plain[picks]
        ends = np.cumsum(rng.integers(8, 25, size=words // 8 + 2)) - 1
        ends = ends[ends < words - 1]
        out[ends] = self.dotted[picks[ends]]
        starts = np.concatenate(([0], ends + 1))
        out[starts] = self.capital[picks[starts]]
        out[-1] = self.dotted[picks[-1]]
        # Paragraph breaks after every fourth sentence or so.
        breaks = ends[3::4]
        out[breaks] = out[breaks] + "\n\n"
        return " ".join(out.tolist()).replace("\n\n ", "\n\n")

    def lines(self, count: int) -> str:
        return "\n".join(self.gen.sentence(int(self.rng.integers(8, 16))) for _ in range(count))

    def variant(self, text: str) -> tuple[str, str]:
        """A planted copy of ``text`` and what kind it is."""
        rng = self.rng
        kind = str(
            rng.choice(
                ["exact", "format", "edit", "truncate", "header-footer", "edit+header"],
                p=[0.12, 0.13, 0.35, 0.15, 0.15, 0.10],
            )
        )
        if kind == "exact":
            return text, kind
        if kind == "format":
            # Case, spacing and quotes differ; the words do not.
            words = text.split(" ")
            return "  ".join(w.upper() if rng.random() < 0.3 else w for w in words).replace(
                "\n\n", "\n \n"
            ), kind
        if kind == "edit":
            return self.gen.edit(text, float(rng.uniform(0.01, 0.10))), kind
        if kind == "truncate":
            words = text.split(" ")
            keep = int(len(words) * float(rng.uniform(0.80, 0.98)))
            return " ".join(words[: max(keep, 1)]), kind
        if kind == "header-footer":
            head = self.lines(int(rng.integers(1, 3)))
            foot = self.lines(int(rng.integers(1, 3)))
            return f"{head}\n\n{text}\n\n{foot}", kind
        edited = self.gen.edit(text, float(rng.uniform(0.01, 0.05)))
        return f"{self.lines(1)}\n\n{edited}\n\n{self.lines(1)}", kind


def build(
    docs: int, words: int, seed: int, path: Path
) -> tuple[list[str], list[int], Counter[str]]:
    """Write the collection to ``path``; return ids and family of each document (in
    file order), and the count of each kind of copy."""
    corpus = Corpus(seed)
    rng = corpus.rng
    texts: list[str] = []
    family: list[int] = []
    kinds: Counter[str] = Counter()
    while len(texts) < docs:
        length = max(NGRAM, int(rng.normal(words, words * 0.15)))
        original = corpus.article(length)
        fam = len(texts)
        texts.append(original)
        family.append(fam)
        if rng.random() < 1 / 3:
            for _ in range(int(rng.integers(1, 5))):
                if len(texts) >= docs:
                    break
                copy, kind = corpus.variant(original)
                texts.append(copy)
                family.append(fam)
                kinds[kind] += 1
    order = rng.permutation(len(texts))
    ids = [f"doc{k:08d}" for k in range(len(texts))]
    families = [family[i] for i in order.tolist()]
    with open(path, "w", encoding="utf-8") as stream:
        for k, i in enumerate(order.tolist()):
            record = {"id": ids[k], "text": texts[i], "source": "synthetic", "n": k}
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    return ids, families, kinds


def truth_labels(path: Path, families: list[int], threshold: float) -> tuple[np.ndarray, int]:
    """Component of every document in the graph of pairs with true Jaccard at or above
    ``threshold`` (only pairs within a family are compared), and the number of such
    pairs."""
    members: dict[int, list[int]] = {}
    for k, fam in enumerate(families):
        members.setdefault(fam, []).append(k)
    planted = {k for group in members.values() if len(group) > 1 for k in group}
    tokenizer = Tokenizer()
    shingles: dict[int, set[int]] = {}
    for k, record in enumerate(_records(path)):
        if k in planted:
            hashes = tokenizer.hashes(record["text"])
            shingles[k] = set(ngram_hashes(hashes, NGRAM).tolist())
    parent = list(range(len(families)))
    linked = 0
    for group in members.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                sa, sb = shingles[a], shingles[b]
                shared = len(sa & sb)
                if shared / (len(sa) + len(sb) - shared) >= threshold:
                    linked += 1
                    _union(parent, a, b)
    return np.array([_find(parent, k) for k in range(len(families))]), linked


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            yield json.loads(line)


def _find(parent: list[int], k: int) -> int:
    while parent[k] != k:
        parent[k] = parent[parent[k]]
        k = parent[k]
    return k


def _union(parent: list[int], a: int, b: int) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


def pair_scores(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float, int, int]:
    """Precision and recall of same-cluster pairs, and the predicted and true pair counts."""

    def pairs(counts: Counter[Any]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    both = pairs(Counter(zip(predicted.tolist(), truth.tolist(), strict=True)))
    found = pairs(Counter(predicted.tolist()))
    true = pairs(Counter(truth.tolist()))
    return (both / found if found else 1.0), (both / true if true else 1.0), found, true


# --- the peers (each run in a child process: `--peer NAME`) -------------------------------


def shingle_strings(text: str) -> list[str]:
    """Word 5-grams as strings, the way datasketch and rensa users build them."""
    tokens = _WORD.findall(text.lower())
    if len(tokens) < NGRAM:
        return [" ".join(tokens)] if tokens else []
    return list({" ".join(tokens[i : i + NGRAM]) for i in range(len(tokens) - NGRAM + 1)})


def run_datasketch(corpus: Path, threshold: float, num_perm: int) -> list[int]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent: list[int] = []
    for k, record in enumerate(_records(corpus)):
        parent.append(k)
        sketch = MinHash(num_perm=num_perm, seed=1)
        sketch.update_batch([s.encode("utf-8") for s in shingle_strings(record["text"])])
        for other in lsh.query(sketch):
            _union(parent, k, other)
        lsh.insert(k, sketch)
    return [_find(parent, k) for k in range(len(parent))]


def run_rensa(corpus: Path, threshold: float, num_perm: int, bands: int) -> list[int]:
    from rensa import RMinHash, RMinHashLSH

    lsh = RMinHashLSH(threshold=threshold, num_perm=num_perm, num_bands=bands)
    parent: list[int] = []
    batch: list[list[str]] = []

    def flush() -> None:
        start = len(parent) - len(batch)
        sketches = RMinHash.from_token_sets(batch, num_perm=num_perm, seed=1)
        lsh.insert_many(sketches, start_key=start)
        for offset, found in enumerate(lsh.query_all(sketches)):
            for other in found:
                _union(parent, start + offset, int(other))
        batch.clear()

    for k, record in enumerate(_records(corpus)):
        parent.append(k)
        batch.append(shingle_strings(record["text"]))
        if len(batch) == 2048:
            flush()
    if batch:
        flush()
    return [_find(parent, k) for k in range(len(parent))]


def _peer_main(args: argparse.Namespace) -> int:
    bands = args.bands
    if args.peer == "datasketch":
        labels = run_datasketch(args.corpus, args.threshold, args.num_perm)
    else:
        labels = run_rensa(args.corpus, args.threshold, args.num_perm, bands)
    with open(args.labels, "w", encoding="utf-8") as stream:
        json.dump(labels, stream)
    return 0


# --- measuring -------------------------------------------------------------------------


def _tree_stats(root: int) -> list[list[str]]:
    """The /proc stat fields (after the command name) of ``root`` and all its
    descendants."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        stats[pid] = fields
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            found.append(stats[pid])
        todo.extend(children.get(pid, []))
    return found


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc."""
    return sum(int(fields[21]) for fields in _tree_stats(root)) * os.sysconf("SC_PAGE_SIZE")


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) so far of ``root`` and all its descendants, the
    children they reaped included: what ``RUSAGE_CHILDREN`` misses of a process whose
    own children outlive it unreaped (Spark's JVM and its Python workers)."""
    ticks = sum(sum(int(f) for f in fields[11:15]) for fields in _tree_stats(root))
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, the child and its pool) and peak RSS
    (bytes, process tree summed) of a child process. CPU seconds are what to compare
    on a machine shared with other work: wall time there depends on the neighbours."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(command)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(child.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = child.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"{command[0]} failed with exit code {code}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, peak


def reprints_labels(out: Path, ids: list[str]) -> np.ndarray:
    index = {doc_id: k for k, doc_id in enumerate(ids)}
    labels = np.arange(len(ids))
    with open(f"{out}.removed.jsonl", encoding="utf-8") as stream:
        for line in stream:
            removed = json.loads(line)
            labels[index[removed["id"]]] = index[removed["kept"]]
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--words", type=int, default=600, help="mean words per document")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--workers", type=int, default=0, help="reprints' --workers")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    parser.add_argument("--bands", type=int, default=16, help="rensa's LSH bands")
    parser.add_argument("--no-truth", action="store_true", help="skip precision/recall")
    parser.add_argument("--keep", type=Path, default=None, help="keep the corpus here")
    parser.add_argument("--peer", choices=TOOLS[1:], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--labels", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer:
        return _peer_main(args)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")

    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as tmp:
        folder = Path(tmp)
        corpus = args.keep or folder / "corpus.jsonl"
        started = time.perf_counter()
        ids, families, kinds = build(args.docs, args.words, args.seed, corpus)
        size_mb = corpus.stat().st_size / 1e6
        print(
            f"corpus: {len(ids):,} documents, {size_mb:,.0f} MB, planted copies"
            f" {dict(sorted(kinds.items()))} ({time.perf_counter() - started:.0f} s to build)"
        )
        truth: np.ndarray | None = None
        if not args.no_truth:
            started = time.perf_counter()
            truth, linked = truth_labels(corpus, families, args.threshold)
            print(
                f"truth: {linked:,} planted pairs with Jaccard >= {args.threshold}"
                f" ({time.perf_counter() - started:.0f} s)"
            )
        rows: dict[str, tuple[float, float, int, float | None, float | None]] = {}
        for tool in tools:
            labels_path = folder / f"{tool}.labels.json"
            if tool == "reprints":
                out = folder / "reprints" / "kept.jsonl"
                command = [sys.executable, "-m", "reprints", "-q", "dedup", str(corpus)]
                command += ["-o", str(out), "--threshold", str(args.threshold)]
                command += ["--num-perm", str(args.num_perm), "--workers", str(args.workers)]
            else:
                command = [sys.executable, __file__, "--peer", tool, "--corpus", str(corpus)]
                command += ["--labels", str(labels_path), "--threshold", str(args.threshold)]
                command += ["--num-perm", str(args.num_perm), "--bands", str(args.bands)]
            seconds, cpu, peak = measure(command)
            if tool == "reprints":
                labels = reprints_labels(out, ids)
                summary = json.loads(Path(f"{out}.summary.json").read_text())
                print(f"reprints stages (s): {summary['seconds']}, lsh: {summary['lsh']}")
            else:
                labels = np.array(json.loads(labels_path.read_text()))
            precision = recall = None
            if truth is not None:
                precision, recall, found, true = pair_scores(labels, truth)
                print(f"{tool}: {found:,} predicted pairs, {true:,} true pairs")
            rows[tool] = (seconds, cpu, peak, precision, recall)

    print()
    print(
        f"{'tool':<12}{'seconds':>9}{'docs/s':>10}{'CPU s':>9}{'docs/CPU-s':>12}"
        f"{'peak RSS':>11}{'precision':>11}{'recall':>9}"
    )
    for tool, (seconds, cpu, peak, precision, recall) in rows.items():
        p = f"{precision:.4f}" if precision is not None else "-"
        r = f"{recall:.4f}" if recall is not None else "-"
        print(
            f"{tool:<12}{seconds:>9.1f}{len(ids) / seconds:>10,.0f}{cpu:>9.1f}"
            f"{len(ids) / cpu:>12,.0f}{peak / 2**20:>9,.0f}MB{p:>11}{r:>9}"
        )
    if "reprints" in rows:
        wall, cpu = rows["reprints"][0], rows["reprints"][1]
        for tool, (seconds, tool_cpu, *_) in rows.items():
            if tool != "reprints":
                print(
                    f"reprints / {tool}: {seconds / wall:.2f}x the throughput (wall),"
                    f" {tool_cpu / cpu:.2f}x per CPU-second"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
