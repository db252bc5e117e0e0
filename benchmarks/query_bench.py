"""The index beside datasketch's MinHashLSH, in one run, on one synthetic collection.

    python benchmarks/query_bench.py --docs 100000 --queries 1000

The collection: ``--docs`` articles of about 300 words from a Zipfian vocabulary
(:mod:`reprints.synthetic`). The queries: half planted copies of stored articles,
whole (light edits: 2% of words) or partial (a third to two thirds of the article,
pasted into a new one), half new articles. Each side runs in its own child process,
so that its peak RSS is its own:

- reprints: ``Index.create`` + ``add`` (build docs/s, size on disk), then in a fresh
  child the open time (``Index`` + the first snapshot) and every query's latency,
  tokenising and alignment included;
- datasketch: ``MinHashLSH(threshold=0.5, num_perm=128)`` in memory over word 5-gram
  shingles, built with ``MinHash.bulk``; a query is tokenising + MinHash + LSH lookup
  (candidates only, no passages).

"Found" is the share of planted queries whose source is among the answers.

``--add N`` then times adding N new articles to the built index (one ``add``, in a
fresh child), and queries once more. ``--work DIR`` keeps the collection and the
index in DIR and reuses a collection already there (for the long 1,000,000 run).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from reprints.synthetic import TextGenerator


def make(docs: int, queries: int, seed: int, folder: Path) -> None:
    gen = TextGenerator(seed, vocabulary=50_000)
    texts = [gen.article(300) for _ in range(docs)]
    with open(folder / "docs.jsonl", "w") as out:
        for k, text in enumerate(texts):
            out.write(json.dumps({"id": f"doc{k:07d}", "text": text}) + "\n")
    rng = gen.rng
    with open(folder / "queries.jsonl", "w") as out:
        for q in range(queries):
            source = None
            if q % 2 == 0:
                source = int(rng.integers(docs))
                words = texts[source].split(" ")
                if q % 4 == 0:
                    text = gen.edit(texts[source], 0.02)
                else:
                    size = int(len(words) * rng.uniform(1 / 3, 2 / 3))
                    start = int(rng.integers(len(words) - size + 1))
                    text = gen.article(150) + "\n\n" + " ".join(words[start : start + size])
            else:
                text = gen.article(300)
            source_id = None if source is None else f"doc{source:07d}"
            out.write(json.dumps({"text": text, "source": source_id}) + "\n")


def make_added(count: int, seed: int, folder: Path) -> None:
    gen = TextGenerator(seed + 1_000_003, vocabulary=50_000)
    with open(folder / "added.jsonl", "w") as out:
        for k in range(count):
            out.write(json.dumps({"id": f"new{k:07d}", "text": gen.article(300)}) + "\n")


def _read(path: Path) -> list[dict[str, Any]]:
    with open(path) as stream:
        return [json.loads(line) for line in stream]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _resident_parts() -> dict[str, int]:
    """The resident set now, split (Linux): anonymous memory (what the process holds
    itself) and file pages (the index's memory-mapped segments it touched: page cache
    the kernel can drop and read back). Peak RSS counts both."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    parts = {"rss_anon_mb": "RssAnon", "rss_file_mb": "RssFile"}
    return {
        key: round(int(fields[name].split()[0]) / 1024)
        for key, name in parts.items()
        if name in fields
    }


def _latencies(seconds: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(seconds, n=100)
    return {"p50_ms": round(cuts[49] * 1e3, 2), "p99_ms": round(cuts[98] * 1e3, 2)}


def reprints_build(folder: Path) -> dict[str, Any]:
    from reprints.documents import Document
    from reprints.index import Index

    docs = [Document(d["id"], d["text"]) for d in _read(folder / "docs.jsonl")]
    cpu = _cpu_s()
    started = time.perf_counter()
    Index.create(folder / "index", workers=0).add(docs)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in (folder / "index").rglob("*") if p.is_file())
    return {
        "build_docs_per_s": round(len(docs) / seconds),
        # CPU seconds of this process and its workers: what a loaded machine does not hide
        "build_cpu_ms_per_doc": round((_cpu_s() - cpu) / len(docs) * 1e3, 3),
        "disk_mb": round(size / 2**20, 1),
    }


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def reprints_add(folder: Path) -> dict[str, Any]:
    from reprints.documents import Document
    from reprints.index import Index

    docs = [Document(d["id"], d["text"]) for d in _read(folder / "added.jsonl")]
    index = Index(folder / "index", workers=0)
    started = time.perf_counter()
    index.add(docs)
    return {"add_docs": len(docs), "add_s": round(time.perf_counter() - started, 3)}


def reprints_query(folder: Path) -> dict[str, Any]:
    from reprints.documents import Document
    from reprints.index import Index, query

    queries = _read(folder / "queries.jsonl")
    started = time.perf_counter()
    index = Index(folder / "index")
    with index.view():
        pass
    opened = time.perf_counter() - started
    seconds, cpu, found, planted = [], [], 0, 0
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        result = query(index, Document("query", q["text"]))
        seconds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if q["source"] is not None:
            planted += 1
            found += any(m.id == q["source"] for m in result.matches)
    return {
        "open_s": round(opened, 3),
        **_latencies(seconds),
        # CPU time of each query (this process): what a shared machine's waits leave out
        **{f"cpu_{k}": v for k, v in _latencies(cpu).items()},
        "found": round(found / planted, 4),
        "rss_mb": round(_rss_mb()),
        **_resident_parts(),
    }


def _shingles(tokenizer: Any, text: str) -> list[bytes]:
    from reprints.fingerprint import ngram_hashes

    grams = ngram_hashes(tokenizer.hashes(text), 5)
    return [g.tobytes() for g in grams]


def datasketch_run(folder: Path) -> dict[str, Any]:
    from datasketch import MinHash, MinHashLSH

    from reprints.text import Tokenizer

    tokenizer = Tokenizer()
    docs = _read(folder / "docs.jsonl")
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sets = [_shingles(tokenizer, d["text"]) for d in docs]
    with lsh.insertion_session() as session:
        for d, m in zip(docs, MinHash.bulk(sets, num_perm=128), strict=True):
            session.insert(d["id"], m)
    build = time.perf_counter() - started
    queries = _read(folder / "queries.jsonl")
    seconds, found, planted = [], 0, 0
    for q in queries:
        t = time.perf_counter()
        m = MinHash(num_perm=128)
        m.update_batch(_shingles(tokenizer, q["text"]))
        hits = lsh.query(m)
        seconds.append(time.perf_counter() - t)
        if q["source"] is not None:
            planted += 1
            found += q["source"] in hits
    return {
        "build_docs_per_s": round(len(docs) / build),
        **_latencies(seconds),
        "found": round(found / planted, 4),
        "rss_mb": round(_rss_mb()),
    }


PARTS = {
    "reprints-build": reprints_build,
    "reprints-add": reprints_add,
    "reprints-query": reprints_query,
    "datasketch": datasketch_run,
}


def _child(part: str, folder: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--part", part, "--folder", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-datasketch", action="store_true")
    parser.add_argument("--add", type=int, default=0, help="then time adding this many")
    parser.add_argument("--work", type=Path, help="keep the collection and index here")
    parser.add_argument("--part", choices=sorted(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        print(json.dumps(PARTS[args.part](args.folder)))
        return
    folder = args.work or Path(tempfile.mkdtemp(prefix="query-bench-"))
    try:
        if not (folder / "queries.jsonl").exists():
            folder.mkdir(parents=True, exist_ok=True)
            make(args.docs, args.queries, args.seed, folder)
        shutil.rmtree(folder / "index", ignore_errors=True)
        results: dict[str, Any] = {
            "reprints": {**_child("reprints-build", folder), **_child("reprints-query", folder)}
        }
        if args.add:
            make_added(args.add, args.seed, folder)
            results["reprints_after_add"] = {
                **_child("reprints-add", folder),
                **_child("reprints-query", folder),
            }
        if not args.no_datasketch:
            results["datasketch"] = _child("datasketch", folder)
        print(json.dumps({"docs": args.docs, "queries": args.queries, **results}, indent=2))
    finally:
        if args.work is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
