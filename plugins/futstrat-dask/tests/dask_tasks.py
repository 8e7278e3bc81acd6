"""Task functions for the tests; a module of their own so that workers import them by name."""

from __future__ import annotations

import os
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
