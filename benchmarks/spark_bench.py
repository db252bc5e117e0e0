"""The local engine beside the Spark engine, on one collection, in one run.

    python benchmarks/spark_bench.py --docs 20000 [--words 300] [--master local[2]]

The collection is find_bench's (news-like articles of ``--words`` words, planted whole
and partial copies, site headers and footers), written once as JSON Lines. Each
command (``find``, then ``dedup --containment 0.8``) runs once per engine as a child
process: ``--engine local --workers 2`` and ``--engine spark --master local[2]``. The
benchmark prints each run's wall time, documents per second and peak memory (the
largest sum of the resident sets of the child and all its descendants, sampled every
0.2 s from /proc: for Spark that is the driver, the JVM and its Python workers), the
ratio Spark / local, and whether both engines wrote the same files.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_bench import measure
from find_bench import write_collection


def run(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak tree RSS (bytes) of ``command`` (dedup_bench's measure)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    seconds, _, peak = measure(command)
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workers", type=int, default=2, help="the local engine's processes")
    parser.add_argument("--commands", default="find,dedup", help="find, dedup or both")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="spark-bench-") as tmp:
        folder = Path(tmp)
        data = folder / "docs.jsonl"
        write_collection(data, args.docs, args.words, args.seed)
        engines = {
            "local": ["--engine", "local", "--workers", str(args.workers)],
            "spark": ["--engine", "spark", "--master", args.master],
        }
        rows = []
        for command in args.commands.split(","):
            timings = {}
            for engine, flags in engines.items():
                if command == "find":
                    out = folder / f"find-{engine}"
                    extra = ["-o", str(out), "--no-report"]
                else:
                    out = folder / f"dedup-{engine}" / "kept.jsonl"
                    out.parent.mkdir()
                    extra = ["-o", str(out), "--containment", "0.8"]
                cli = [sys.executable, "-m", "reprints", "-q", command, str(data), *extra, *flags]
                seconds, peak = run(cli)
                timings[engine] = (seconds, peak)
                rows.append((command, engine, seconds, args.docs / seconds, peak / 2**20))
                print(f"{command} {engine}: {seconds:.1f} s", flush=True)
            same = _same_outputs(folder, command)
            ratio = timings["spark"][0] / timings["local"][0]
            rows.append((command, f"spark/local {ratio:.2f}x, same files: {same}", 0, 0, 0))
    print(f"\n{args.docs:,} documents of ~{args.words} words, master {args.master}")
    print(f"{'command':8} {'engine':40} {'wall s':>8} {'docs/s':>8} {'peak MB':>8}")
    for command, engine, seconds, rate, mb in rows:
        if seconds:
            print(f"{command:8} {engine:40} {seconds:8.1f} {rate:8.0f} {mb:8.0f}")
        else:
            print(f"{command:8} {engine}")


def _same_outputs(folder: Path, command: str) -> bool:
    if command == "find":
        names = ["pairs.jsonl", "self.jsonl", "clusters.jsonl", "documents.jsonl"]
        pairs = [(folder / f"find-{e}" / n) for n in names for e in ("local", "spark")]
    else:
        names = ["kept.jsonl", "kept.jsonl.removed.jsonl"]
        pairs = [(folder / f"dedup-{e}" / n) for n in names for e in ("local", "spark")]
    sides = zip(pairs[::2], pairs[1::2], strict=True)
    return all(a.read_bytes() == b.read_bytes() for a, b in sides)


if __name__ == "__main__":
    main()
