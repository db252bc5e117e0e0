"""Speed, memory and accuracy of `reprints find` on a seeded synthetic collection.

    python benchmarks/find_bench.py --docs 20000 --words 500 [--workers 0]

The collection: news-like articles from a Zipfian vocabulary; a share of them are
sources copied into other documents, whole (with 0-5% of words edited) or in part (a
80-300 word stretch with 2% of its words edited, pasted into another article); every
document carries its site's header and footer lines (boilerplate shared by hundreds
of documents) and a URL on its site. The benchmark writes the collection as JSON
Lines, runs the `reprints find` command in a child process, and prints documents per
second, the child's peak RSS, and the recall and precision of the planted pairs (two
documents that hold text of the same source are a true pair, so copies of one source
pair with each other too).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

from reprints.synthetic import TextGenerator

SITES = 20


def build(docs: int, words: int, seed: int) -> tuple[list[dict[str, str]], set[tuple[str, str]]]:
    """The collection and its true pairs (ids sorted within each pair)."""
    gen = TextGenerator(seed, vocabulary=50_000)
    headers = [gen.sentence(12) + "\n" + gen.sentence(8) for _ in range(SITES)]
    footers = [gen.sentence(15) + "\n" + gen.sentence(10) for _ in range(SITES)]
    bodies = [gen.article(words) for _ in range(docs)]
    holders: dict[int, set[int]] = {}  # source document → documents holding its text
    rng = gen.rng
    # A tenth of the documents are rewritten as copies of others.
    for target in rng.choice(docs, size=docs // 10, replace=False).tolist():
        source = int(rng.integers(docs))
        if source == target or target in holders or any(target in h for h in holders.values()):
            continue
        if source in {t for h in holders.values() for t in h}:
            continue  # keep sources original, so that the truth stays simple
        if rng.random() < 0.5:
            bodies[target] = gen.edit(bodies[source], float(rng.uniform(0.0, 0.05)))
        else:
            paragraph_words = bodies[source].split(" ")
            size = int(rng.integers(80, 300))
            start = int(rng.integers(0, max(1, len(paragraph_words) - size)))
            part = gen.edit(" ".join(paragraph_words[start : start + size]), 0.02)
            host = bodies[target].split("\n\n")
            host.insert(int(rng.integers(0, len(host) + 1)), part)
            bodies[target] = "\n\n".join(host)
        holders.setdefault(source, {source}).add(target)
    records = []
    for k, body in enumerate(bodies):
        site = k % SITES
        text = headers[site] + "\n\n" + body + "\n\n" + footers[site]
        url = f"https://site{site}.example/story/{k}"
        records.append({"id": f"d{k:07d}", "text": text, "url": url})
    truth = set()
    for group in holders.values():
        for a, b in combinations(sorted(group), 2):
            truth.add((f"d{a:07d}", f"d{b:07d}"))
    return records, truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--words", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    records, truth = build(args.docs, args.words, args.seed)
    print(
        f"built {len(records):,} documents, {len(truth):,} true pairs"
        f" in {time.perf_counter() - started:.1f}s"
    )
    with tempfile.TemporaryDirectory(prefix="find-bench-") as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        with open(corpus, "w", encoding="utf-8") as stream:
            for record in records:
                stream.write(json.dumps(record) + "\n")
        size_mb = corpus.stat().st_size / 1e6
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "reprints", "-q", "find", str(corpus), "-o", str(out)]
        command += ["--workers", str(args.workers)]
        started = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        found = set()
        with open(out / "pairs.jsonl", encoding="utf-8") as stream:
            for line in stream:
                pair = json.loads(line)
                found.add((pair["a"], pair["b"]))
        summary = json.loads((out / "summary.json").read_text())
    hits = len(found & truth)
    recall = hits / len(truth) if truth else 1.0
    precision = hits / len(found) if found else 1.0
    print(f"corpus            {len(records):,} documents, {size_mb:.0f} MB")
    print(
        f"find              {seconds:.1f} s, {len(records) / seconds:,.0f} docs/s,"
        f" {size_mb / seconds:.1f} MB/s"
    )
    print(f"peak RSS (child)  {peak_mb:,.0f} MB")
    print(f"CPU (child)       {cpu:.1f} s (user + system: steadier than wall time on a busy host)")
    print(f"stages (s)        {summary['seconds']}")
    print(f"pairs             found {len(found):,}, true {len(truth):,}")
    print(f"recall            {recall:.4f}")
    print(f"precision         {precision:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
