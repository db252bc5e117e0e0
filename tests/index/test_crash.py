"""An add killed at any moment leaves the index as before or after it; queries keep
working, with consistent answers, while another process adds and compacts."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reprints.documents import Document
from reprints.index import Index, query
from tests.index.collections import collection

SRC = str(Path(__file__).resolve().parents[2] / "src")

# Opens the index, says so, then adds the documents of a JSON Lines file (and, with
# "compact", compacts): what `reprints index add` does, without the CLI's start-up.
WRITER = """
import json, sys
from reprints.documents import Document
from reprints.index import Index
index = Index(sys.argv[1])
docs = [Document(**json.loads(line)) for line in open(sys.argv[2])]
print("ready", flush=True)
if "no-add" not in sys.argv[3:]:
    index.add(docs)
if "compact" in sys.argv[3:]:
    print("added", flush=True)
    index.compact()
print("done", flush=True)
"""


def _writer(index_dir: Path, docs_file: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(index_dir), str(docs_file), *extra],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _answers(index_dir: Path, probes: list[Document]) -> list[object]:
    index = Index(index_dir)
    return [[m.to_json() for m in query(index, p).matches] for p in probes]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Document]]:
    root = tmp_path_factory.mktemp("crash")
    docs = collection(11, 400, words=150)
    base = root / "base"
    Index.create(base).add(docs[:200])
    added = root / "added.jsonl"
    added.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in docs[200:]))
    # Probes whose answers differ before and after the add.
    probes = [Document("probe-a", docs[250].text), Document("probe-b", docs[120].text)]
    return base, added, probes


def test_sigkill_during_add(setup: tuple[Path, Path, list[Document]], tmp_path: Path) -> None:
    base, added, probes = setup
    before = _answers(base, probes)
    full = tmp_path / "full"
    shutil.copytree(base, full)
    proc = _writer(full, added)
    started = time.perf_counter()
    assert proc.wait(timeout=120) == 0
    duration = time.perf_counter() - started
    after = _answers(full, probes)
    assert after != before

    rng = random.Random(1)
    outcomes = []
    for k in range(20):
        work = tmp_path / f"kill-{k}"
        shutil.copytree(base, work)
        proc = _writer(work, added)
        time.sleep(rng.uniform(0, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        answers = _answers(work, probes)
        assert answers in (before, after), f"kill {k}: neither before nor after the add"
        outcomes.append(answers == after)
        # The index stays writable: debris of the killed add is gone, a new add works.
        index = Index(work)
        assert not [p for p in (work / "segments").iterdir() if p.name.startswith("tmp-")]
        stats = index.stats()
        assert stats["documents"] in (200, 400)
        shutil.rmtree(work)
    print(f"kills that left the add committed: {sum(outcomes)} of {len(outcomes)}")


def test_sigkill_during_compact(setup: tuple[Path, Path, list[Document]], tmp_path: Path) -> None:
    base, added, probes = setup
    source = tmp_path / "source"
    shutil.copytree(base, source)
    Index(source).add(Document(**json.loads(line)) for line in added.read_text().splitlines())
    Index(source).remove([f"d11-{k:03d}" for k in range(0, 400, 5)])
    answers = _answers(source, probes)
    rng = random.Random(2)
    for k in range(6):
        work = tmp_path / f"kill-{k}"
        shutil.copytree(source, work)
        proc = _writer(work, added, "no-add", "compact")
        time.sleep(rng.uniform(0, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert _answers(work, probes) == answers  # compact never changes an answer
        assert Index(work).stats()["documents"] == 320
        shutil.rmtree(work)


def test_queries_during_add_and_compact(
    setup: tuple[Path, Path, list[Document]], tmp_path: Path
) -> None:
    base, added, probes = setup
    work = tmp_path / "live"
    shutil.copytree(base, work)
    index = Index(work)
    Index(work).remove([f"d11-{k:03d}" for k in range(0, 200, 7)])  # tombstones to compact
    before = _answers(work, probes)
    errors: list[BaseException] = []
    seen: list[object] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append([[m.to_json() for m in query(index, p).matches] for p in probes])
            except BaseException as err:
                errors.append(err)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    proc = _writer(work, added, "compact")
    assert proc.wait(timeout=120) == 0
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    after = _answers(work, probes)
    # Each query saw one version (two queries in a row may see two).
    assert seen and all(
        answer in (before[k], after[k]) for answers in seen for k, answer in enumerate(answers)
    )
    assert Index(work).stats()["segments"] == 1
