"""Scratch folders: gone after SIGTERM, swept at the next start after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reprints.scratch import scratch_folder, sweep_stale
from reprints.synthetic import TextGenerator


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_sweep_removes_folders_of_dead_owners_and_keeps_live_ones(tmp_path: Path) -> None:
    dead = tmp_path / "reprints-find-dead"
    dead.mkdir()
    (dead / "owner").write_text(f"{_dead_pid()} 1\n")
    (dead / "texts.bin").write_bytes(b"x" * 100)
    unowned_recent = tmp_path / "reprints-old-format"
    unowned_recent.mkdir()
    other = tmp_path / "not-ours"
    other.mkdir()
    live = scratch_folder("find")
    try:
        live_path = Path(live.name)
        removed = sweep_stale(tmp_path)
        assert removed == [dead]
        assert not dead.exists()
        assert unowned_recent.exists() and other.exists()
        assert sweep_stale(live_path.parent) == [] or live_path.exists()
        assert live_path.exists()
    finally:
        live.cleanup()


def test_unowned_folders_go_once_a_day_old(tmp_path: Path) -> None:
    old = tmp_path / "reprints-legacy"
    old.mkdir()
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))
    assert sweep_stale(tmp_path) == [old]


def _corpus(path: Path, docs: int) -> None:
    gen = TextGenerator(7)
    with open(path, "w", encoding="utf-8") as stream:
        for k in range(docs):
            stream.write(json.dumps({"id": f"d{k}", "text": gen.article(400)}) + "\n")


def _start_find(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path]:
    corpus = tmp_path / "corpus.jsonl"
    _corpus(corpus, 4000)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    command = [sys.executable, "-m", "reprints", "-q", "find", str(corpus), "-o"]
    child = subprocess.Popen([*command, str(tmp_path / "out"), "--workers", "2"], env=env)
    deadline = time.monotonic() + 60
    # Wait for the owner file, written just after the folder: a kill in between leaves
    # an unowned folder, which only the once-a-day rule sweeps.
    while not list(scratch.glob("reprints-*/owner")):
        if child.poll() is not None or time.monotonic() > deadline:
            pytest.fail("find ended or stalled before making its scratch folder")
        time.sleep(0.05)
    return child, scratch


@pytest.mark.slow
def test_sigterm_removes_the_scratch_folder(tmp_path: Path) -> None:
    child, scratch = _start_find(tmp_path)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) == 128 + signal.SIGTERM
    assert list(scratch.glob("reprints-*")) == []


@pytest.mark.slow
def test_after_sigkill_the_next_run_sweeps_the_folder(tmp_path: Path) -> None:
    child, scratch = _start_find(tmp_path)
    child.kill()
    child.wait(timeout=60)
    left = list(scratch.glob("reprints-*"))
    assert left, "SIGKILL runs no cleanup: the folder must still be there"
    assert sorted(sweep_stale(scratch)) == sorted(left)


_SWALLOWED_STOP = """
import os, signal, sys, time
from reprints.scratch import exit_on_sigterm

exit_on_sigterm()
# What the SIGTERM handler does when the signal lands inside an at-fork hook (logging's,
# as a worker pool forks): its SystemExit is raised there, and Python only reports it.
os.register_at_fork(after_in_parent=lambda: signal.raise_signal(signal.SIGTERM))
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
time.sleep(5)
print("the run went on")
"""


def test_a_stop_swallowed_by_an_at_fork_hook_still_stops_the_run() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SWALLOWED_STOP], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert "the run went on" not in done.stdout
