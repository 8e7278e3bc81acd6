"""A workload that fails on demand, for the fault-injection suite (``tests.faults:fault``).

``--param kind=...`` picks the fault and ``--param at=N`` the task that suffers it; every other task
returns its index.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import futstrat

#: Faults that end the worker process: on a thread strategy they would end the test run itself.
PROCESS_ONLY = {"kill", "exit", "exit0", "segfault", "unpicklable-result", "unpicklable-argument", "lambda", "fork"}
#: Exceptions a task raises that are not an ordinary ``Exception``, or cannot be rebuilt from a pickle.
ODD_EXCEPTIONS = {"sysexit", "sysexit3", "keyboardinterrupt", "baseexception", "unrebuildable"}
FAULTS = sorted(PROCESS_ONLY | ODD_EXCEPTIONS | {"hang", "raise", "thread", "popen", "popen-hang"})


class OddBaseError(BaseException):
    """Neither an Exception nor one of Python's own BaseExceptions."""


class NeedsTwoArgumentsError(Exception):
    """Pickles, but cannot be rebuilt from its pickle: its constructor needs more than its args."""

    def __init__(self, what: str, code: int) -> None:
        super().__init__(f"{what} (code {code})")


#: Faults that end the process running the task on the spot.
WORKER_ENDINGS = {"kill", "exit", "exit0", "segfault"}


def end_the_process(kind: str) -> None:
    if kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "exit":
        os._exit(3)
    elif kind == "exit0":
        os._exit(0)
    elif kind == "segfault":
        ctypes.string_at(0)


def misbehave(index: int, kind: str) -> int:
    if kind in WORKER_ENDINGS:
        end_the_process(kind)
    elif kind in ODD_EXCEPTIONS:
        raise_odd_exception(index, kind)
    elif kind == "hang":
        if os.environ.get("FAULTS_HANG_MARK"):  # tells a test that the task is under way
            open(os.environ["FAULTS_HANG_MARK"], "w").close()
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


def raise_odd_exception(index: int, kind: str) -> None:
    if kind == "sysexit":
        sys.exit(0)
    elif kind == "sysexit3":
        sys.exit(3)
    elif kind == "keyboardinterrupt":
        raise KeyboardInterrupt
    elif kind == "baseexception":
        raise OddBaseError(f"task {index} raised a BaseException")
    raise NeedsTwoArgumentsError(f"task {index} failed on purpose", 7)


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


def logged_task(item: tuple[int, int, str]) -> int:
    """Append the task's index to the log, then return it; the task at ``fail_at`` raises."""
    index, fail_at, log = item
    with open(log, "a") as out:
        out.write(f"{index}\n")
    if index == fail_at:
        raise ValueError(f"task {index} failed on purpose")
    return index


class LoggedFaultWorkload(FaultWorkload):
    """Map-style tasks (one function over items, sent in tight chunks) that leave a trace each time
    they run, so a task run twice shows."""

    name = "logged-fault"
    description = "map-style tasks that log each run; one raises"
    params = (
        futstrat.Param("at", int, 1, "the task that raises", minimum=0),
        futstrat.Param("tasks", int, 4, "how many tasks", minimum=1),
        futstrat.Param("log", str, "", "the file every task appends its index to as it runs"),
    )

    def tasks(self, params: Mapping[str, Any], plan: futstrat.PlanContext) -> Iterable[futstrat.Task]:
        return futstrat.TaskMap(logged_task, [(index, params["at"], params["log"]) for index in range(params["tasks"])])


logged_fault = LoggedFaultWorkload()
