"""Output sets: all files of a run appear together; a failed or killed run never
leaves new and old files mixed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reprints.output_set import OutputSet, recover


def _write(folder: Path, version: str) -> None:
    for name in ("pairs.jsonl", "summary.json", "report.html"):
        (folder / name).write_text(f"{name} {version}\n")


def _versions(folder: Path) -> set[str]:
    return {p.read_text().split()[1] for p in folder.iterdir() if p.is_file()}


def test_commit_replaces_the_whole_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputSet(out) as outputs:
        _write(outputs.folder, "1")
    with OutputSet(out) as outputs:
        _write(outputs.folder, "2")
        assert _versions(out) == {"1"}  # nothing visible before the commit
    assert _versions(out) == {"2"}
    assert sorted(p.name for p in out.iterdir()) == ["pairs.jsonl", "report.html", "summary.json"]


def test_a_failed_run_leaves_the_previous_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputSet(out) as outputs:
        _write(outputs.folder, "1")
    with pytest.raises(RuntimeError), OutputSet(out) as outputs:
        (outputs.folder / "pairs.jsonl").write_text("pairs.jsonl 2\n")
        raise RuntimeError("the run failed half way")
    assert _versions(out) == {"1"}
    assert sorted(p.name for p in out.iterdir()) == ["pairs.jsonl", "report.html", "summary.json"]


_KILLED_MID_COMMIT = """
import os, signal, sys
from pathlib import Path
import reprints.output_set as m
real = os.replace
def replace(src, dst):
    real(src, dst)
    if str(dst).endswith("pairs.jsonl"):
        os.kill(os.getpid(), signal.SIGKILL)  # after the first rename of the set
m.os.replace = replace
with m.OutputSet(sys.argv[1]) as outputs:
    for name in ("pairs.jsonl", "summary.json", "report.html"):
        (outputs.folder / name).write_text(name + " 2\\n")
"""


def test_a_run_killed_between_renames_is_completed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputSet(out) as outputs:
        _write(outputs.folder, "1")
    child = subprocess.run([sys.executable, "-c", _KILLED_MID_COMMIT, str(out)], check=False)
    assert child.returncode == -signal.SIGKILL
    visible = {p.name: p.read_text().split()[1] for p in out.iterdir() if p.is_file()}
    assert visible["pairs.jsonl"] == "2" and visible["summary.json"] == "1"  # mixed...
    assert len(recover(out)) == 1  # ... until the next run rolls the commit forward
    assert _versions(out) == {"2"}
    assert sorted(p.name for p in out.iterdir()) == ["pairs.jsonl", "report.html", "summary.json"]


def test_recover_removes_staging_of_dead_runs_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = out / f".reprints-staging-{child.pid}"
    dead.mkdir()
    (dead / "pairs.jsonl").write_text("x")
    live = out / f".reprints-staging-{os.getppid()}"
    live.mkdir()
    assert recover(out) == []
    assert not dead.exists() and live.exists()


def test_find_failing_while_writing_leaves_the_previous_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reprints.cli import main

    examples = Path(__file__).resolve().parents[1] / "examples"
    out = tmp_path / "out"
    assert main(["-q", "find", str(examples), "-o", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"pairs.jsonl", "summary.json", "report.html"} <= set(before)

    import reprints.report

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reprints.report, "write_report", disk_full)
    with pytest.raises(OSError, match="No space"):
        main(["-q", "find", str(examples), "-o", str(out), "--min-tokens", "8"])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
