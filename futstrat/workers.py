"""What the parent knows about its worker processes: which task each runs, since when, and how it died.

Each worker claims a slot in a small shared array when the pool starts it and notes there the task it
is running and when it started. That costs two stores in shared memory per task and lets the parent
say which task a dead worker was running, and kill a worker whose task ran past its time limit.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from attrs import frozen

from futstrat.sharing import resolve

_FIELDS = 3  # pid, task index, start time (time.monotonic is system-wide on the platforms we run on)
_IDLE = -1.0


def describe_exit(exitcode: int | None) -> str:
    """An exit code as words: 'killed by SIGKILL', 'exited with code 3'."""
    if exitcode is None:
        return "still running"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        extra = " (a segmentation fault)" if name == "SIGSEGV" else ""
        return f"killed by {name}{extra}"
    return f"exited with code {exitcode}"


class WorkerDiedError(BrokenProcessPool):
    """A worker process ended while tasks were outstanding; the pool cannot be trusted after it."""

    def __init__(self, pid: int | None, exitcode: int | None, detail: str = "") -> None:
        self.pid, self.exitcode = pid, exitcode
        who = f"worker process {pid}" if pid else "a worker process"
        super().__init__(f"{who} {describe_exit(exitcode)}{detail}")


@frozen
class RunningTask:
    pid: int
    task: int
    started: float


class TaskTracker:
    """Shared memory with one slot per worker process: its pid, its current task and when it began."""

    def __init__(self, context: Any, workers: int) -> None:
        self.slots = workers * 4 + 16  # room for workers that replace dead ones
        self._cells = context.RawArray(ctypes.c_double, self.slots * _FIELDS)
        self._lock = context.Lock()

    def worker_arguments(self) -> tuple[Any, Any]:
        """What :func:`install_tracker` needs in each worker, passed through the pool's initializer."""
        return self._cells, self._lock

    def running(self) -> list[RunningTask]:
        found = []
        for slot in range(self.slots):
            base = slot * _FIELDS
            pid, task = self._cells[base], self._cells[base + 1]
            if pid > 0 and task != _IDLE:
                found.append(RunningTask(int(pid), int(task), self._cells[base + 2]))
        return found

    def task_of(self, pid: int) -> int | None:
        for slot in range(self.slots):
            base = slot * _FIELDS
            if int(self._cells[base]) == pid and self._cells[base + 1] != _IDLE:
                return int(self._cells[base + 1])
        return None


# -- inside a worker process ---------------------------------------------------------------------------

_cells: Any = None
_slot_base = -1


def install_tracker(cells: Any, lock: Any) -> None:
    """Claim a free slot for this worker. A dead worker's slot is never reused: it holds the task it
    died running until the parent has read it. Without a free slot the worker runs untracked."""
    global _cells, _slot_base
    me = float(os.getpid())
    with lock:
        for slot in range(len(cells) // _FIELDS):
            base = slot * _FIELDS
            if cells[base] in (0.0, me):
                cells[base], cells[base + 1], cells[base + 2] = me, _IDLE, 0.0
                _cells, _slot_base = cells, base
                return


def note_task_started(index: int) -> None:
    if _cells is not None:
        _cells[_slot_base + 2] = time.monotonic()  # the time first, so a reader never pairs a new task
        _cells[_slot_base + 1] = float(index)  # with an old start


def note_task_finished() -> None:
    if _cells is not None:
        _cells[_slot_base + 1] = _IDLE


def initialize_worker(
    tracker: tuple[Any, Any] | None,
    then: Callable[..., None] | None,
    then_args: tuple[Any, ...],
) -> None:
    """The pool initializer futstrat gives every worker process.

    Ctrl-C goes to the whole process group: the parent handles it and ends the workers, so they ignore
    it instead of each printing a traceback. Then the tracker and the sharing backend's state go in.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if tracker is not None:
        install_tracker(*tracker)
    if then is not None:
        then(*then_args)


def kill_worker(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def call_task(fn: Callable[..., Any], args: tuple[Any, ...], extra: dict[str, Any] | None, index: int) -> Any:
    """Run task ``index`` in a worker, with its shared state (``shared=``, ``peers=``) resolved.

    Module-level so that it pickles by reference under every start method.
    """
    note_task_started(index)
    try:
        if not extra:
            return fn(*args)
        return fn(*args, **{name: resolve(value) for name, value in extra.items()})
    except Exception as exc:
        # Travels back with the exception (pickled with its __dict__), so even results that come
        # back unordered can say which task raised.
        with contextlib.suppress(AttributeError, TypeError):
            exc.futstrat_task_index = index  # type: ignore[attr-defined]
        raise
    finally:
        note_task_finished()


def call_packed(extra: dict[str, Any] | None, packed: tuple[int, Callable[..., Any], tuple[Any, ...]]) -> Any:
    """``call_task`` for map-style dispatch, where each item is ``(index, fn, args)``."""
    return call_task(packed[1], packed[2], extra, packed[0])


def call_indexed(
    extra: dict[str, Any] | None, packed: tuple[int, Callable[..., Any], tuple[Any, ...]]
) -> tuple[int, Any]:
    """``call_task`` for unordered dispatch: the result comes back with its task's index."""
    return packed[0], call_task(packed[1], packed[2], extra, packed[0])
