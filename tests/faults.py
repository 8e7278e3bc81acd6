"""A workload that fails on demand, for the fault-injection suite (``tests.faults:fault``).

``--param kind=...`` picks the fault and ``--param at=N`` the task that suffers it; every other task
returns its index.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import futstrat

#: Faults that end the worker process: on a thread strategy they would end the test run itself.
PROCESS_ONLY = {"kill", "exit", "segfault", "unpicklable-result", "unpicklable-argument", "lambda", "fork"}
FAULTS = sorted(PROCESS_ONLY | {"hang", "raise", "thread", "popen", "popen-hang"})


def misbehave(index: int, kind: str) -> int:
    if kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "exit":
        os._exit(3)
    elif kind == "segfault":
        ctypes.string_at(0)
    elif kind == "hang":
        time.sleep(3600)
    elif kind == "raise":
        raise ValueError(f"task {index} failed on purpose")
    elif kind == "unpicklable-result":
        return threading.Lock()  # type: ignore[return-value]
    elif kind == "thread":  # a thread that keeps its process from exiting
        threading.Thread(target=time.sleep, args=(3600,), name="left-behind").start()
    elif kind == "fork":  # a copy of the worker that returns into the worker's loop
        if os.fork() != 0:
            time.sleep(0.2)  # so that the copy has taken its place among the workers
    elif kind in ("popen", "popen-hang"):  # a child process of its own, not waited for
        subprocess.Popen(["sleep", "600"])
        if kind == "popen-hang":
            time.sleep(3600)
    return index


def takes_anything(index: int, _payload: object) -> int:
    return index


class FaultWorkload(futstrat.Workload):
    name = "fault"
    description = "tasks that crash, hang, raise or cannot be pickled, on demand"
    params = (
        futstrat.Param("kind", str, "none", "which fault: " + ", ".join(FAULTS)),
        futstrat.Param("at", int, 1, "the task that suffers it", minimum=0),
        futstrat.Param("tasks", int, 4, "how many tasks", minimum=1),
    )

    def tasks(self, params: Mapping[str, Any], plan: futstrat.PlanContext) -> Iterable[futstrat.Task]:
        kind, at = params["kind"], params["at"]
        for index in range(params["tasks"]):
            if index == at and kind == "unpicklable-argument":
                yield futstrat.Task(takes_anything, (index, threading.Lock()))
            elif index == at and kind == "lambda":
                yield futstrat.Task(lambda i: i, (index,))
            else:
                yield futstrat.Task(misbehave, (index, kind if index == at else "none"))

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        return sum(results)

    def check(
        self, value: Any, params: Mapping[str, Any], plan: futstrat.PlanContext, task_count: int
    ) -> futstrat.Check:
        expected = sum(range(task_count))
        return futstrat.Check(value == expected, expected, f"{value} against {expected}")


fault = FaultWorkload()
