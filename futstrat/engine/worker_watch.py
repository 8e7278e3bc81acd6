"""What the parent knows about its worker processes: which task each runs, since when, and how it died.

Each worker claims a slot in a small shared array when the pool starts it and notes there the task it
is running and when it started (:mod:`futstrat.engine.workers` holds the worker's side). That costs two stores
in shared memory per task and lets the parent say which task a dead worker was running, and kill a
worker whose task ran past its time limit.
"""

from __future__ import annotations

import contextlib
import os
import signal
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from attrs import frozen

from futstrat.engine.workers import TRACKER_FIELDS, TRACKER_IDLE

if TYPE_CHECKING:
    from futstrat.model import StrategySpec


def has_killable_workers(strategy: StrategySpec) -> bool:
    """Whether a run of ``strategy`` can track each task in its worker, and so kill the worker of a
    task that runs too long: its tasks run in worker processes of their own, and its initializer runs
    there to install the tracker (see ``initialize_worker``)."""
    return strategy.crosses_processes and strategy.supports_initializer


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
        self._cells = context.RawArray("d", self.slots * TRACKER_FIELDS)
        self._lock = context.Lock()

    def worker_arguments(self) -> tuple[Any, Any]:
        """What :func:`futstrat.engine.workers.install_tracker` needs in each worker, passed through the pool's
        initializer."""
        return self._cells, self._lock

    def running(self) -> list[RunningTask]:
        found = []
        for slot in range(self.slots):
            base = slot * TRACKER_FIELDS
            pid, task = self._cells[base], self._cells[base + 1]
            if pid > 0 and task != TRACKER_IDLE:
                found.append(RunningTask(int(pid), int(task), int(self._cells[base + 2]), self._cells[base + 3]))
        return found

    def finished_tasks(self) -> int:
        """Tasks the workers have finished so far, whether or not their results reached the parent yet."""
        return int(sum(self._cells[slot * TRACKER_FIELDS + 4] for slot in range(self.slots)))

    def worker_pids(self) -> set[int]:
        """Every worker process that has claimed a slot, alive or not."""
        return {int(self._cells[slot * TRACKER_FIELDS]) for slot in range(self.slots)} - {0}

    def task_of(self, pid: int) -> RunningTask | None:
        """What the worker ``pid`` was running, if anything (a dead worker's slot keeps it)."""
        for running in self.running():
            if running.pid == pid:
                return running
        return None


def kill_worker(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
