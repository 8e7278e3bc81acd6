"""Task functions and a workload for the tests; a module of its own so workers import it by name."""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from futstrat import Check, Param, PlanContext, Task, Workload


def kill_own_worker(delay: float) -> int:
    """Die the way a crash or the out-of-memory killer ends a worker: with no chance to report."""
    time.sleep(delay)
    os.kill(os.getpid(), signal.SIGKILL)
    return 0  # not reached


def gone(pid: int, patience: float = 10.0) -> bool:
    """Whether process ``pid`` has exited and been reaped, waiting up to ``patience`` seconds for it."""
    deadline = time.monotonic() + patience
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def own_pid() -> int:
    return os.getpid()


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


class WorkerKiller(Workload):
    """One task kills the worker running it; the others would pass."""

    name = "worker-killer"
    description = "one task kills its own worker process"

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        yield Task(nap, (0.01,))
        yield Task(kill_own_worker, (0.05,))

    def combine(self, results: Sequence[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return list(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(False, "a dead worker", "every task finished, but one of them should have died")


class SlowSecondTask(Workload):
    """The second of two tasks sleeps far longer than any task timeout a test gives it."""

    name = "slow-second-task"
    description = "the second task sleeps for a minute"

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        yield Task(nap, (0.01,))
        yield Task(nap, (60.0,))

    def combine(self, results: Sequence[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return list(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(False, "a timeout", "every task finished, but the second one should have been stopped")


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


def end_worker(index: int, how: str) -> int:
    """Task ``index`` ends its worker process ``how``: killed, exited, or by a segmentation fault."""
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif how == "exit":
        os._exit(3)
    elif how == "segfault":
        ctypes.string_at(0)
    return index


class WorkerEnder(Workload):
    """Task 1 of four ends its worker the way ``--param how=...`` says; the others return at once."""

    name = "worker-ender"
    description = "task 1 ends its own worker process"
    params = (Param("how", str, "kill", "kill, exit or segfault"),)

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        for index in range(4):
            yield Task(end_worker, (index, params["how"] if index == 1 else "no"))

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return sum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(False, "a dead worker", "every task finished, but task 1 should have ended its worker")


worker_ender = WorkerEnder()
