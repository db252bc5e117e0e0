"""The one process pool every parallel stage runs in: ``func(state, task)`` over tasks.

A stage function takes its read-only (or process-private) *state* as an explicit
argument, never from a module global: the token store's memory maps, the anchor index,
the tokeniser with its word cache. :class:`WorkerPool` gives each worker process its
own copy of that state once, when the process starts (inherited through ``fork``
where the platform has it, so the parent's arrays are shared copy-on-write and never
pickled; pickled once per worker under ``spawn``), and then sends only tasks.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: its workers can only receive
state through an ``initializer``, which has nowhere to put it but a module global of
the worker, and with one worker (run in-process) that global would be shared by every
thread of the caller (two ``find()`` calls in a server). Here the state lives in the
worker loop's local variable, and in-process it is just the argument.

Results come back in task order, with at most ``in_flight`` tasks submitted and not
yet taken, so a streaming input is never read far ahead of the workers. A worker that
dies (killed, a crash in native code) raises :class:`WorkerDied` in the caller instead
of hanging it; an exception raised by ``func`` is raised again in the caller.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle
import queue
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Self, TypeVar

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

_POLL_SECONDS = 0.5  # how often a waiting caller checks that every worker still lives


class WorkerDied(RuntimeError):
    """A worker process ended while it had work (killed, or crashed in native code)."""


class WorkerError(RuntimeError):
    """An exception raised in a worker that could not be sent back as itself."""


def worker_count(requested: int) -> int:
    """Processes to use: ``requested``, or every core for 0 (the CLI's default)."""
    return requested if requested > 0 else (os.cpu_count() or 1)


def _start_method() -> str:
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _return_freed_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``; nothing
    elsewhere), before workers are forked. A stage that made and dropped many arrays
    under glibc's mmap threshold (find's anchor index: its buffered rows, one small
    array a batch) leaves their pages in the heap, still resident, and every forked
    worker would count them too (measured: 300,000 documents, find's main process
    1,040 MB through alignment, 446 MB trimmed)."""
    try:
        # The process's own symbols: libc is loaded, so no search for it (find_library
        # runs ldconfig in a subprocess).
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)


def _serve(state: Any, tasks: Any, results: Any) -> None:
    """A worker's loop: take (number, func, task), send (number, pickled reply), the
    reply being (True, result) or (False, (error, its traceback as text)).

    The caller owns interruption: Ctrl-C reaches the whole process group, and the
    caller stops the workers itself, so a worker ignores SIGINT; SIGTERM (what
    :meth:`WorkerPool.close` sends a stuck worker) ends it at once, whatever handler
    the caller installed before forking.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()
    while True:
        try:
            item = tasks.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            # A caller killed with SIGKILL cannot stop its workers: they notice that
            # they were orphaned instead of waiting for work forever.
            if os.getppid() != parent:
                return
            continue
        if item is None:
            break
        number, func, task = item
        try:
            reply: tuple[bool, Any] = (True, func(state, task))
        except Exception as err:  # sent back and raised in the caller
            reply = (False, (err, "".join(traceback.format_exception(err))))
        results.put((number, _pickled(reply)))


def _pickled(reply: tuple[bool, Any]) -> bytes:
    """A reply as bytes, pickled here and now: a queue pickles what it is given in a
    background thread, where a failure would lose the reply and leave the caller
    waiting for it forever. What does not pickle comes back as a WorkerError."""
    try:
        return pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as problem:
        ok, value = reply
        detail = f"the result does not pickle: {problem!r}" if ok else value[1]
        return pickle.dumps((False, (WorkerError(detail), detail)))


class WorkerPool(Generic[S]):
    """``workers`` processes, each holding its own copy of ``state``; with one worker,
    everything runs in the caller's process on ``state`` itself.

    Use as a context manager (or call :meth:`close`): leaving it stops the workers.
    """

    def __init__(self, workers: int, state: S) -> None:
        self.workers = max(1, workers)
        self.state = state
        self._processes: list[Any] = []
        self._tasks: Any = None
        self._results: Any = None
        self._next = 0
        if self.workers > 1:
            self._start()

    def _start(self) -> None:
        method = _start_method()
        if method == "fork":
            _return_freed_memory()
        context: Any = multiprocessing.get_context(method)
        self._tasks = context.Queue()
        self._results = context.Queue()
        for _ in range(self.workers):
            process = context.Process(
                target=_serve, args=(self.state, self._tasks, self._results), daemon=True
            )
            process.start()
            self._processes.append(process)

    @property
    def in_process(self) -> bool:
        return not self._processes

    def map(
        self, func: Callable[[S, T], R], tasks: Iterable[T], in_flight: int | None = None
    ) -> Iterator[R]:
        """``func(state, task)`` for every task, results in task order.

        ``func`` must be a module-level function (it is sent to the workers by name).
        """
        if self.in_process:
            for task in tasks:
                yield func(self.state, task)
            return
        window = in_flight or 2 * self.workers + 1
        # Task numbers go on across calls: results of an earlier map that was left
        # unfinished (its numbers are below ``first``) are dropped when they arrive.
        first = sent = wanted = self._next
        done: dict[int, tuple[bool, Any]] = {}
        try:
            for task in tasks:
                self._tasks.put((sent, func, task))
                sent += 1
                while sent - wanted >= window:
                    yield self._take(wanted, first, done)
                    wanted += 1
            while wanted < sent:
                yield self._take(wanted, first, done)
                wanted += 1
        finally:
            self._next = sent

    def _take(self, number: int, first: int, done: dict[int, tuple[bool, Any]]) -> Any:
        while number not in done:
            try:
                got, reply = self._results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                self._check_alive()
                continue
            if got >= first:
                done[got] = pickle.loads(reply)
        ok, value = done.pop(number)
        if ok:
            return value
        err, detail = value
        if isinstance(err, BaseException):
            err.add_note(f"raised in a worker process:\n{detail}")
            raise err
        raise WorkerError(detail)

    def _check_alive(self) -> None:
        dead = [p for p in self._processes if not p.is_alive()]
        if dead:
            codes = ", ".join(str(p.exitcode) for p in dead)
            self.close()
            raise WorkerDied(f"{len(dead)} worker process(es) ended (exit code {codes})")

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        processes, self._processes = self._processes, []
        if not processes:
            return
        for _ in processes:
            with contextlib.suppress(Exception):
                self._tasks.put(None)
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        for q in (self._tasks, self._results):
            with contextlib.suppress(Exception):
                q.close()
                q.cancel_join_thread()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
