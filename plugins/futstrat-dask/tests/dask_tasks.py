"""Task functions for the tests; a module of their own so that workers import them by name."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from futstrat import Check, Param, PlanContext, SharedCounter, Task, Workload


def fresh_token() -> str:
    """A different answer on every call: two equal submissions must run twice."""
    return uuid.uuid4().hex


def own_pid() -> int:
    return os.getpid()


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def add_under_lock(times: int, shared: SharedCounter) -> int:
    for _ in range(times):
        with shared.lock:
            shared.value = shared.value + 1
    return times


def add_to_bins(bins: Any, times: int) -> int:
    """Spreads ``times`` additions over the cells of a shared array, each under its lock."""
    for step in range(times):
        bins.add(step % len(bins), 1)
    return times


def read_scaled_sum(shared: Any) -> float:
    """Reads a shared state's read-only table and settings as a task in a worker does."""
    from futstrat_dask.scattered import fill_read_only

    fill_read_only([shared])
    state = shared
    table = state.table
    if not table.readonly or table.format != "d":
        raise AssertionError(f"the table reached the worker changed: {table!r}")
    return float(sum(table) * state.settings["scale"])


def arrive(start_line: Any, timeout: float) -> bool:
    """Wait at the start line; returns whether everyone came in time."""
    return bool(start_line.wait(timeout))


def add_to_cell(cell: Any, lock: Any, times: int) -> int:
    for _ in range(times):
        with lock:
            cell.value = cell.value + 1
    return times


def refuse(index: int) -> int:
    if index == 1:
        raise ValueError(f"task {index} refuses")
    return index


class RaisingWorkload(Workload):
    """The second of two tasks raises."""

    name = "raising"
    description = "the second task raises ValueError"

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        yield Task(refuse, (0,))
        yield Task(refuse, (1,))

    def combine(self, results: Sequence[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return list(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(False, "an error", "every task finished, but the second should have raised")


def mark_then_nap(folder: str, index: int, seconds: float) -> int:
    """Leave a mark that this task has started, then sleep."""
    with open(os.path.join(folder, str(index)), "w"):
        pass
    time.sleep(seconds)
    return index


class MarkedNaps(Workload):
    """Two long naps, each of which marks in ``--param folder=...`` that it has started."""

    name = "marked-naps"
    description = "two tasks that mark their start in a folder, then sleep"
    params = (
        Param("folder", str, "", "where the tasks mark their start"),
        Param("seconds", float, 60.0, "how long each task sleeps"),
    )

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        for index in range(2):
            yield Task(mark_then_nap, (params["folder"], index, params["seconds"]))

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return sum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(value == 1, 1, f"{value} against 1")


marked_naps = MarkedNaps()


def note_then_die(folder: str, index: int) -> int:
    """Note in ``folder`` that this task ran, then, as task 1, kill the worker process running it."""
    with open(os.path.join(folder, "runs"), "a") as runs:
        runs.write(f"{index}\n")
    if index == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return index


def start_a_sleeper() -> int:
    """Start a process that would sleep for ten minutes, and leave it running; return its pid."""
    return subprocess.Popen(["sleep", "600"]).pid


class WorkerKillingWorkload(Workload):
    """The second of two tasks kills its worker process; ``--param folder=...`` collects the runs."""

    name = "worker-killing"
    description = "the second task kills its worker process"
    params = (Param("folder", str, "", "where the tasks note that they ran"),)

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        for index in range(2):
            yield Task(note_then_die, (params["folder"], index))

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return list(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(False, "a dead worker", "every task finished, but the second should have killed its worker")


def tasks_the_scheduler_holds(dask_scheduler: Any) -> int:
    """Run on the scheduler (``Client.run_on_scheduler``): how many tasks it has been given."""
    return len(dask_scheduler.tasks)
