"""Scratch folders of a run: where the pipelines spool texts, tokens and records.

Each run's folder (``reprints-<kind>-*`` in the system's temporary folder) holds an
``owner`` file naming the process that made it. The folder goes when the run ends,
normally or by an exception; the CLI turns SIGTERM into a normal exit so that this
cleanup runs then too (:func:`exit_on_sigterm`). Nothing runs at SIGKILL, so every
run first sweeps the folders whose owner is gone (:func:`sweep_stale`): a killed run
costs disk space only until the next one starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sys import UnraisableHookArgs

PREFIX = "reprints-"
_OWNER = "owner"
# Folders of older versions carry no owner file: swept once they are this old.
_UNOWNED_AGE = 24 * 3600
# Seconds before a stop that a hook swallowed is sent again (exit_on_sigterm).
_RESEND_DELAY = 0.05


def _process_start(pid: int) -> str | None:
    """The start time of a process (field 22 of /proc/PID/stat), which tells a live
    owner from a later process that reused its pid; None where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def process_alive(pid: int, started: str | None = None) -> bool:
    """Whether process ``pid`` runs (someone else's counts as running); with
    ``started`` (its start time, from :func:`_process_start`), only that same process,
    not a later one that reused the pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return started is None or _process_start(pid) in (None, started)


def scratch_folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A new scratch folder for a run of ``kind``, owned by this process."""
    folder = tempfile.TemporaryDirectory(prefix=f"{PREFIX}{kind}-")
    pid = os.getpid()
    (Path(folder.name) / _OWNER).write_text(f"{pid} {_process_start(pid) or ''}\n")
    return folder


def _stale(folder: Path) -> bool:
    try:
        fields = (folder / _OWNER).read_text().split()
    except FileNotFoundError:
        return time.time() - folder.stat().st_mtime > _UNOWNED_AGE
    if not fields or not fields[0].isdigit():
        return False
    return not process_alive(int(fields[0]), fields[1] if len(fields) > 1 else None)


def sweep_stale(root: str | Path | None = None) -> list[Path]:
    """Remove the scratch folders of runs that ended without cleaning up (killed);
    returns the folders removed. Only folders of this user are considered."""
    base = Path(root or tempfile.gettempdir())
    removed = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    for folder in base.glob(f"{PREFIX}*"):
        with contextlib.suppress(OSError):
            if not folder.is_dir() or folder.is_symlink():
                continue
            if uid is not None and folder.stat().st_uid != uid:
                continue
            if _stale(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def exit_on_sigterm() -> None:
    """Make SIGTERM end the process as an exception would (exit status 143), so that
    ``finally`` blocks and context managers (scratch folders, worker pools) run."""

    code = 128 + signal.SIGTERM

    def stop(signum: int, frame: FrameType | None) -> None:
        sys.exit(code)

    # The handler's SystemExit is raised wherever the main thread was: inside a hook
    # whose exceptions Python only reports (an at-fork hook, such as logging's, when a
    # worker pool forks; a __del__), it is printed as "Exception ignored" and the run
    # goes on. Such reports reach sys.unraisablehook: there, the signal is sent again a
    # moment later, from a thread, so that it lands once the hook has returned (should
    # it land in a hook again, that report sends it once more).
    report = sys.unraisablehook

    def stop_again(unraisable: UnraisableHookArgs) -> None:
        value = unraisable.exc_value
        if isinstance(value, SystemExit) and value.code == code:
            resend = threading.Timer(_RESEND_DELAY, os.kill, (os.getpid(), signal.SIGTERM))
            resend.daemon = True
            resend.start()
            return
        report(unraisable)

    signal.signal(signal.SIGTERM, stop)
    sys.unraisablehook = stop_again
