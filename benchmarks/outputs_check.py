"""Every output file of `find` and `dedup` on four collections, to compare two commits.

    python benchmarks/outputs_check.py DIR [--docs 20000] [--only NAME,...]
    diff -r BEFORE_DIR AFTER_DIR      # or: cmp each file

The collections: `examples/`, `../shared/seeds/` (skipped when absent), a
`find_bench.py` collection and a `dedup_bench.py` collection of ``--docs`` documents
(same seeds as those benchmarks). For each, `find` writes its folder (pairs, self,
clusters, documents, report) and `dedup` its three files, plain and with
``--containment 0.8 --drop-repeats``. Timings in the summaries are blanked, so that
two runs of the same code give identical bytes; everything else is compared as is.
Used to show that a refactoring changed no result (issue "Stages as a library").
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEEDS = ROOT.parent / "shared" / "seeds"
sys.path.insert(0, str(HERE))

_SECONDS = re.compile(r'("seconds": )\{[^{}]*\}', re.S)


def _blank_timings(folder: Path) -> None:
    """Seconds differ from run to run: blank them in every JSON summary and the report."""
    for path in folder.rglob("*"):
        if path.is_file() and (path.name.endswith("summary.json") or path.suffix == ".html"):
            text = path.read_text(encoding="utf-8")
            text = _SECONDS.sub(r"\1{}", text)
            text = re.sub(r'(\\?"seconds\\?": ?)\{[^{}]*\}', r"\1{}", text)
            path.write_text(text, encoding="utf-8")


def _run(args: list[str], cwd: Path) -> None:
    # Run inside the output folder with relative output paths: the dedup summary
    # names its output file, and two folders must give the same bytes.
    # The code under test is this checkout's, whatever is installed: PYTHONPATH made
    # absolute (a relative "src" would not survive the change of folder).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *_pythonpath()])}
    command = [sys.executable, "-m", "reprints", "-q", *args]
    subprocess.run(command, check=True, cwd=cwd, env=env)


def _pythonpath() -> list[str]:
    return [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]


def _collections(tmp: Path, docs: int) -> dict[str, Path]:
    import dedup_bench
    import find_bench

    out = {"examples": ROOT / "examples"}
    if SEEDS.is_dir():
        out["seeds"] = SEEDS
    path = tmp / "find_bench.jsonl"
    find_bench.write_collection(path, docs, 500, 1)
    out["find_bench"] = path
    path = tmp / "dedup_bench.jsonl"
    dedup_bench.build(docs, 600, 1, path)
    out["dedup_bench"] = path
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("out", type=Path, help="folder for the outputs (created)")
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--only", default="", help="comma-separated collection names")
    args = parser.parse_args(argv)
    only = {name for name in args.only.split(",") if name}
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="outputs-check-") as tmp:
        for name, source in _collections(Path(tmp), args.docs).items():
            if only and name not in only:
                continue
            here, target = args.out.resolve(), args.out.resolve() / name
            source = source.resolve()
            _run(["find", str(source), "-o", f"{name}/find"], here)
            _run(["dedup", str(source), "-o", f"{name}/dedup/kept.jsonl"], here)
            contained = f"{name}/dedup-contained/kept.jsonl"
            _run(
                ["dedup", str(source), "-o", contained, "--containment", "0.8", "--drop-repeats"],
                here,
            )
            _blank_timings(target)
            print(f"{name}: {sum(1 for p in target.rglob('*') if p.is_file())} files in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
