"""User workloads whose own code exits or raises ``KeyboardInterrupt`` in the parent, and other mistakes."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import futstrat


def identity(i: int) -> int:
    return i


def exit_zero(results: Iterable[Any]) -> Any:
    sys.exit(0)


def interrupt(results: Iterable[Any]) -> Any:
    raise KeyboardInterrupt


def exit_in_items(params: Mapping[str, Any]) -> list[int]:
    sys.exit(0)


def ctrl_c_while_combining(results: Iterable[Any]) -> Any:
    """The user's real Ctrl-C, arriving while combine runs: it must still stop futstrat."""
    total = sum(results)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
    return total


exits_in_combine = futstrat.workload(name="exits-in-combine", params={"n": 5}, combine=exit_zero)(identity)
interrupts_in_combine = futstrat.workload(name="interrupts-in-combine", params={"n": 5}, combine=interrupt)(identity)
exits_in_items = futstrat.workload(name="exits-in-items", items=exit_in_items, combine=sum)(identity)
ctrl_c_in_combine = futstrat.workload(name="ctrl-c-in-combine", params={"n": 5}, combine=ctrl_c_while_combining)(
    identity
)


def close_stdout(i: int) -> int:
    os.close(1)
    return i


def close_sys_stdout(i: int) -> int:
    sys.stdout.close()
    return i


closes_stdout = futstrat.workload(name="closes-stdout", params={"n": 3}, combine=sum)(close_stdout)
closes_sys_stdout = futstrat.workload(name="closes-sys-stdout", params={"n": 3}, combine=sum)(close_sys_stdout)


def _exiting_tasks(count: int) -> Iterator[futstrat.Task]:
    for i in range(count):
        yield futstrat.Task(identity, (i,))
    sys.exit(3)


class ExitsInTasks(futstrat.Workload):
    """Its task stream calls sys.exit after a few tasks; its check raises KeyboardInterrupt."""

    name = "exits-in-tasks"
    params = (futstrat.Param("n", int, 3, "tasks before the exit"),)

    def tasks(self, params: Mapping[str, Any], plan: futstrat.PlanContext) -> Iterable[futstrat.Task]:
        return _exiting_tasks(params["n"])

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return sum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: futstrat.PlanContext, task_count: int) -> Any:
        return futstrat.Check(True, None, "never reached")


class InterruptsInCheck(futstrat.Workload):
    name = "interrupts-in-check"

    def tasks(self, params: Mapping[str, Any], plan: futstrat.PlanContext) -> Iterable[futstrat.Task]:
        return [futstrat.Task(identity, (i,)) for i in range(3)]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return sum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: futstrat.PlanContext, task_count: int) -> Any:
        raise KeyboardInterrupt


class NeedsArguments(futstrat.Workload):
    """A workload class whose constructor needs arguments, so it cannot be named by path."""

    name = "needs-arguments"

    def __init__(self, size: int) -> None:
        self.size = size


def _sleep_on_one(i: int) -> int:
    if i == 1:
        time.sleep(60)
    return i


one_task_hangs = futstrat.workload(name="one-task-hangs", params={"n": 6}, combine=sum)(_sleep_on_one)
