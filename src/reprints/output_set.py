"""All output files of a run appear together, or none do.

One file is made atomic by writing it under a temporary name and renaming it
(:func:`reprints.output.atomic_open`); a *set* of files (pairs.jsonl, summary.json
and report.html of one run) needs more, or a run killed between two renames leaves
new and old files mixed. :class:`OutputSet` gives the writers a staging folder
beside the destination (same file names, so writers need not know); committing
first writes a *journal* listing the renames (atomically, synced), then renames,
then deletes the journal. A run that dies before the journal exists leaves the
previous set as it was (its staging folder is removed at the next start); one that
dies after is rolled forward by :func:`recover`, which the next run calls first. A
failed run (exception) removes what it staged and leaves the previous set intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import Self

from reprints.scratch import process_alive

_STAGING = ".reprints-staging-"
_JOURNAL = ".reprints-commit-"


def _sync_folder(folder: Path) -> None:
    """Make renames in ``folder`` durable (a no-op where folders cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class OutputSet:
    """The files of one run, written into :attr:`folder` and committed together into
    ``destination`` (a folder, created if needed).

    Use as a context manager: leaving it normally commits, an exception discards.
    """

    def __init__(self, destination: str | Path) -> None:
        self.destination = Path(destination).absolute()
        self.destination.mkdir(parents=True, exist_ok=True)
        self.folder = self.destination / f"{_STAGING}{os.getpid()}"
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir()

    def commit(self) -> None:
        """Move every staged file to the destination: all, or (after a crash in
        between) none until :func:`recover` completes the set."""
        names = sorted(p.name for p in self.folder.iterdir() if p.is_file())
        journal = self.destination / f"{_JOURNAL}{os.getpid()}.json"
        tmp = journal.with_suffix(".tmp")
        moves = [[str(self.folder / n), str(self.destination / n)] for n in names]
        with open(tmp, "w", encoding="utf-8") as stream:
            json.dump({"staging": str(self.folder), "moves": moves}, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, journal)
        _sync_folder(self.destination)
        _apply(journal)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def _apply(journal: Path) -> None:
    """Do (or finish) the renames a journal lists, then delete it and the staging."""
    plan = json.loads(journal.read_text(encoding="utf-8"))
    for staged, destination in plan["moves"]:
        if Path(staged).exists():
            os.replace(staged, destination)
    _sync_folder(journal.parent)
    journal.unlink()
    shutil.rmtree(plan["staging"], ignore_errors=True)


def recover(destination: str | Path) -> list[Path]:
    """Before a run writes into ``destination``: finish a commit that a killed run
    left half done, and remove what killed runs staged but never committed.
    Returns the journals completed."""
    folder = Path(destination).absolute()
    if not folder.is_dir():
        return []
    done = []
    for journal in sorted(folder.glob(f"{_JOURNAL}*.json")):
        with contextlib.suppress(FileNotFoundError, ValueError, KeyError):
            _apply(journal)
            done.append(journal)
    for leftover in folder.glob(f"{_JOURNAL}*.tmp"):
        leftover.unlink(missing_ok=True)
    for staging in folder.glob(f"{_STAGING}*"):
        pid = staging.name[len(_STAGING) :]
        if not pid.isdigit() or int(pid) == os.getpid() or not process_alive(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)
    return done
