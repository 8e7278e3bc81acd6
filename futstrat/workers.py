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

from futstrat.chunking import Chunk
from futstrat.sharing import resolve

_FIELDS = 4  # pid, first task, last task, start time (time.monotonic is system-wide where we run)
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
    last_task: int
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
                found.append(RunningTask(int(pid), int(task), int(self._cells[base + 2]), self._cells[base + 3]))
        return found

    def task_of(self, pid: int) -> RunningTask | None:
        """What the worker ``pid`` was running, if anything (a dead worker's slot keeps it)."""
        for running in self.running():
            if running.pid == pid:
                return running
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
                cells[base], cells[base + 1], cells[base + 2], cells[base + 3] = me, _IDLE, _IDLE, 0.0
                _cells, _slot_base = cells, base
                return


def note_task_started(first: int, last: int) -> None:
    if _cells is not None:
        _cells[_slot_base + 3] = time.monotonic()  # the time first, so a reader never pairs a new task
        _cells[_slot_base + 2] = float(last)  # with an old start
        _cells[_slot_base + 1] = float(first)


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


def run_chunk(extra: dict[str, Any] | None, each: bool, chunk: Chunk) -> tuple[int, float, list[Any]]:
    """Run a chunk of tasks in a worker: ``(its start, seconds it took, results in order)``.

    Module-level so that it pickles by reference under every start method. With ``each`` the tracker
    notes every task (a per-task timeout needs that); otherwise it notes the chunk once, which keeps a
    chunk of tiny tasks close to the cost of the calls themselves.
    """
    started = time.perf_counter()
    kwargs = {name: resolve(value) for name, value in extra.items()} if extra else {}
    index = chunk.start
    note_task_started(index, chunk.end)
    try:
        if chunk.fn is not None:
            fn = chunk.fn
            if each:
                results = []
                for index, item in enumerate(chunk.items, chunk.start):
                    note_task_started(index, index)
                    results.append(fn(item, **kwargs))
            elif kwargs:
                results = [fn(item, **kwargs) for item in chunk.items]
            else:
                results = [fn(item) for item in chunk.items]
        else:
            results = []
            for index, (call, args) in enumerate(chunk.calls, chunk.start):
                if each:
                    note_task_started(index, index)
                results.append(call(*args, **kwargs))
    except Exception as exc:
        # Travels back with the exception (pickled with its __dict__), so the parent can say which task
        # raised. In a tight loop over items the index is found again from the item that failed.
        if chunk.fn is not None and not each:
            index = chunk.start + _position_of_failure(chunk, kwargs)
        with contextlib.suppress(AttributeError, TypeError):
            exc.futstrat_task_index = index  # type: ignore[attr-defined]
        raise
    finally:
        note_task_finished()
    return chunk.start, time.perf_counter() - started, results


def _position_of_failure(chunk: Chunk, kwargs: dict[str, Any]) -> int:
    """Which item of a failed chunk raises: run again, one by one, only when a chunk has failed."""
    assert chunk.fn is not None
    for position, item in enumerate(chunk.items):
        try:
            chunk.fn(item, **kwargs)
        except Exception:
            return position
    return 0
