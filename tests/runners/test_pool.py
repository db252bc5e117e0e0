"""WorkerPool: results in task order, errors raised in the caller with the worker's
traceback, a killed worker reported instead of a hang, the in-process mode, and a map
left unfinished that does not disturb the next one."""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Iterator

import pytest

from reprints.runners.pool import WorkerDied, WorkerError, WorkerPool, worker_count


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A pool that hangs fails the test after 60 s instead of stalling the run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def fail(signum: int, frame: object) -> None:
        raise TimeoutError("the pool hung")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _scaled(state: int, task: int) -> tuple[int, int]:
    # Uneven work, so that workers finish out of order.
    sum(range((task % 7) * 20_000))
    return task * state, os.getpid()


def _fail_on_three(state: int, task: int) -> int:
    if task == 3:
        raise ValueError(f"task {task} failed")
    return task


class _Unpicklable(Exception):
    def __reduce__(self) -> object:
        raise pickle.PicklingError("not this one")


def _unpicklable_error(state: int, task: int) -> int:
    raise _Unpicklable("no way back")


def _unpicklable_result(state: int, task: int) -> object:
    return lambda: task


def _die_on_two(state: int, task: int) -> int:
    if task == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return task


def _state_identity(state: object, task: int) -> int:
    return id(state)


def test_results_come_back_in_task_order_from_several_processes() -> None:
    with WorkerPool(3, 10) as pool:
        found = list(pool.map(_scaled, range(60), in_flight=5))
    assert [value for value, _ in found] == [10 * k for k in range(60)]
    assert os.getpid() not in {pid for _, pid in found}


def test_an_error_in_a_worker_is_raised_in_the_caller_with_its_traceback() -> None:
    with WorkerPool(2, 0) as pool, pytest.raises(ValueError, match="task 3 failed") as caught:
        list(pool.map(_fail_on_three, range(8)))
    notes = "".join(getattr(caught.value, "__notes__", []))
    assert "raised in a worker process" in notes and "_fail_on_three" in notes


def test_an_error_that_does_not_pickle_comes_back_as_its_text() -> None:
    with WorkerPool(2, 0) as pool, pytest.raises(WorkerError, match="no way back"):
        list(pool.map(_unpicklable_error, range(3)))


def test_a_result_that_does_not_pickle_is_an_error_not_a_hang() -> None:
    with WorkerPool(2, 0) as pool, pytest.raises(WorkerError, match="does not pickle"):
        list(pool.map(_unpicklable_result, range(3)))


def test_a_killed_worker_raises_worker_died_instead_of_hanging() -> None:
    pool = WorkerPool(2, 0)
    with pytest.raises(WorkerDied, match="exit code -9"):
        list(pool.map(_die_on_two, range(10)))
    pool.close()  # idempotent after the pool closed itself


def test_one_worker_runs_in_process_on_the_state_itself() -> None:
    state = object()
    with WorkerPool(1, state) as pool:
        assert pool.in_process
        assert list(pool.map(_state_identity, range(3))) == [id(state)] * 3
        # errors are the function's own, without a note
        with pytest.raises(ValueError) as caught:
            list(pool.map(_fail_on_three, range(5)))
        assert not getattr(caught.value, "__notes__", None)


def test_a_map_left_unfinished_does_not_disturb_the_next() -> None:
    with WorkerPool(2, 1) as pool:
        first = pool.map(_scaled, range(100), in_flight=8)
        assert [next(first)[0] for _ in range(3)] == [0, 1, 2]
        first.close()  # abandoned: its results still in flight are dropped
        again = [value for value, _ in pool.map(_scaled, range(20))]
    assert again == list(range(20))


def test_worker_count() -> None:
    assert worker_count(3) == 3
    assert worker_count(0) == (os.cpu_count() or 1)
