"""The local engine beside the Spark engine, on one collection, in one run.

    python benchmarks/spark_bench.py --docs 20000 [--words 300] [--master local[2]]

The collection is find_bench's (news-like articles of ``--words`` words, planted whole
and partial copies, site headers and footers), written once as JSON Lines. Each
command (``find``, then ``dedup --containment 0.8``) runs once per engine as a child
process: ``--engine local --workers 2`` and ``--engine spark --master local[2]``. The
benchmark prints each run's wall time, CPU seconds, documents per second and peak
memory (CPU and memory are the child's and all its descendants', sampled every 0.2 s
from /proc: for Spark that is the driver, the JVM and its Python workers), the ratios
Spark / local, and whether both engines wrote the same files. On a shared machine
compare the CPU seconds: wall time there depends on the neighbours.

Each Spark run writes an event log; the benchmark then prints where its wall time
went: before the application started (interpreter, JVM start), inside Spark stages
(by the source line that ran them, the largest first) and on the driver between
stages, with the number of jobs and stages (each costs scheduling, a Python worker
round trip and often a shuffle, whatever its size).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dedup_bench import _tree_rss, tree_cpu
from find_bench import write_collection


def run(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak tree RSS (bytes) of ``command``. The CPU
    seconds are the process tree's, sampled from /proc every 0.2 s (the last sample
    before the end: a run's final fraction of a second is missed), since the JVM of a
    Spark run is not reaped by its driver and ``RUSAGE_CHILDREN`` would miss it."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    started = time.perf_counter()
    child = subprocess.Popen(command)
    peak, cpu = 0, 0.0
    while child.poll() is None:
        peak = max(peak, _tree_rss(child.pid))
        cpu = max(cpu, tree_cpu(child.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{command[0]} failed with exit code {child.returncode}")
    return seconds, cpu, peak


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
        logs = folder / "events"
        logs.mkdir()
        engines["spark"] += ["--conf", "spark.eventLog.enabled=true"]
        engines["spark"] += ["--conf", f"spark.eventLog.dir={logs}"]
        # Spark 4 compresses event logs (zstd) by default: plain JSON lines are read here.
        engines["spark"] += ["--conf", "spark.eventLog.compress=false"]
        rows = []
        breakdowns: list[tuple[str, list[str]]] = []
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
                started = time.time()
                cli = [sys.executable, "-m", "reprints", "-q", command, str(data), *extra, *flags]
                seconds, cpu, peak = run(cli)
                timings[engine] = (seconds, cpu)
                rows.append((command, engine, seconds, cpu, args.docs / seconds, peak / 2**20))
                print(f"{command} {engine}: {seconds:.1f} s, {cpu:.1f} CPU s", flush=True)
                if engine == "spark":
                    breakdowns.append((command, _breakdown(logs, started, seconds)))
            same = _same_outputs(folder, command)
            wall, cpu = (timings["spark"][k] / max(timings["local"][k], 1e-9) for k in (0, 1))
            verdict = f"spark/local {wall:.2f}x wall, {cpu:.2f}x CPU, same files: {same}"
            rows.append((command, verdict, 0, 0, 0, 0))
    print(f"\n{args.docs:,} documents of ~{args.words} words, master {args.master}")
    header = f"{'wall s':>8} {'CPU s':>8} {'docs/s':>8} {'peak MB':>8}"
    print(f"{'command':8} {'engine':40} {header}")
    for command, engine, seconds, cpu, rate, mb in rows:
        if seconds:
            print(f"{command:8} {engine:40} {seconds:8.1f} {cpu:8.1f} {rate:8.0f} {mb:8.0f}")
        else:
            print(f"{command:8} {engine}")
    for command, lines in breakdowns:
        print(f"\nspark {command}, where the wall time went:")
        for line in lines:
            print(f"  {line}")


def _breakdown(logs: Path, started: float, seconds: float, top: int = 8) -> list[str]:
    """The newest event log in ``logs`` summarised: seconds before the application
    started, in stages (the union of their intervals, so parallel stages count once)
    and between them on the driver; then the stages' seconds by call site."""
    log = max(logs.iterdir(), key=lambda p: p.stat().st_mtime)
    app_start = app_end = 0.0
    stages: list[tuple[float, float, str]] = []
    jobs = 0
    # Spark 4 writes a folder of rolled event files per application.
    files = sorted(log.glob("events_*")) if log.is_dir() else [log]
    for line in (line for path in files for line in path.open()):
        if not line.startswith("{"):
            continue  # the unfinished last line of a log still being written
        event = json.loads(line)
        kind = event["Event"]
        if kind == "SparkListenerApplicationStart":
            app_start = event["Timestamp"] / 1000
        elif kind == "SparkListenerApplicationEnd":
            app_end = event["Timestamp"] / 1000
        elif kind == "SparkListenerJobStart":
            jobs += 1
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            if "Submission Time" in info and "Completion Time" in info:
                at, end = info["Submission Time"] / 1000, info["Completion Time"] / 1000
                stages.append((at, end, info["Stage Name"]))
    busy, reach = 0.0, 0.0
    for at, end, _ in sorted(stages):
        busy += max(0.0, end - max(at, reach))
        reach = max(reach, end)
    app_end = app_end or reach  # a session never stopped logs no end
    by_site: dict[str, list[float]] = {}
    for at, end, name in stages:
        site = name.split(" at ")[-1].rsplit("/", 1)[-1]
        by_site.setdefault(f"{name.split(' at ')[0]} at {site}", []).append(end - at)
    lines = [
        f"{app_start - started:.1f} s before the Spark application started",
        f"{busy:.1f} s in {len(stages)} stages of {jobs} jobs, "
        f"{app_end - app_start - busy:.1f} s on the driver between them",
        f"{started + seconds - app_end:.1f} s after the application ended",
    ]
    ranked = sorted(by_site.items(), key=lambda item: -sum(item[1]))
    for site, times in ranked[:top]:
        lines.append(f"  {sum(times):7.1f} s  {len(times):3d} stages  {site}")
    return lines


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
