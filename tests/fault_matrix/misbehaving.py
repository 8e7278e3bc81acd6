"""A user workload whose task ``at`` misbehaves on demand, for the fault matrix.

``futstrat run tests.fault_matrix.misbehaving:misbehaving --param kind=K [--param at=N]``: every task
returns its own index, except task ``at`` (default 2 of 4), which does what ``kind`` names (``KINDS``
lists them; ``none`` is the run where nothing goes wrong). ``--param mark=PATH`` makes that task create
PATH just before it misbehaves, so a test knows the run has reached the fault (a worker exists and is
busy with it) before it sends a signal.

The workload is written as a user would write one, with nothing that knows about futstrat's internals.
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

#: The size of the ``huge`` result: large enough to take real time through a pipe, small enough for a
#: machine that runs two workers and the parent at once.
HUGE_RESULT_BYTES = 200 * 1024 * 1024


class TaskAbandoned(BaseException):
    """A ``BaseException`` that is neither ``Exception``, ``SystemExit`` nor ``KeyboardInterrupt``."""


class NeedsTwoArguments(Exception):
    """An exception that pickles but cannot be rebuilt: unpickling calls ``__init__`` with one argument."""

    def __init__(self, what: str, code: int) -> None:
        super().__init__(f"{what} (code {code})")
        self.what = what
        self.code = code


def _raise_value_error(index: int) -> None:
    raise ValueError("failed on purpose")


def _exit_zero(index: int) -> None:
    raise SystemExit(0)


def _exit_three(index: int) -> None:
    raise SystemExit(3)


def _interrupt(index: int) -> None:
    raise KeyboardInterrupt


def _abandon(index: int) -> None:
    raise TaskAbandoned("gave up")


def _unrebuildable(index: int) -> None:
    raise NeedsTwoArguments("failed on purpose", 7)


def _unpicklable_result(index: int) -> object:
    return threading.Lock()


def _os_exit_zero(index: int) -> None:
    os._exit(0)


def _os_exit_three(index: int) -> None:
    os._exit(3)


def _sigkill(index: int) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _segfault(index: int) -> None:
    ctypes.string_at(0)


def _hang(index: int) -> None:
    time.sleep(3600)


def _linger_thread(index: int) -> int:
    threading.Thread(target=time.sleep, args=(3600,), name="left-running", daemon=False).start()
    return index


def _fork(index: int) -> int:
    # The child does not exit: like a careless user's code, it returns into whatever called the task.
    os.fork()
    return index


def _popen_child(index: int) -> int:
    subprocess.Popen(["sleep", "600"])  # never waited for, on purpose
    return index


def _huge(index: int) -> bytes:
    return bytes(HUGE_RESULT_BYTES)


#: Each kind of misbehaviour and what task ``at`` does for it; ``none`` returns normally.
KINDS: dict[str, Any] = {
    "none": None,
    "raise": _raise_value_error,
    "system-exit-0": _exit_zero,
    "system-exit-3": _exit_three,
    "keyboard-interrupt": _interrupt,
    "base-exception": _abandon,
    "unrebuildable-exception": _unrebuildable,
    "unpicklable-result": _unpicklable_result,
    "os-exit-0": _os_exit_zero,
    "os-exit-3": _os_exit_three,
    "sigkill": _sigkill,
    "segfault": _segfault,
    "hang": _hang,
    "lingering-thread": _linger_thread,
    "fork": _fork,
    "popen-child": _popen_child,
    "huge-result": _huge,
}

#: Kinds that end, or copy, the whole process the task runs in: only for strategies whose workers are
#: processes of their own (on a thread they would end the test's own futstrat process, which proves
#: nothing about futstrat).
ENDS_ITS_PROCESS = frozenset({"os-exit-0", "os-exit-3", "sigkill", "segfault", "fork"})


def task(index: int, kind: str, at: int, mark: str) -> Any:
    if index != at or kind == "none":
        return index
    if mark:
        with open(mark, "w") as marker:
            marker.write(str(os.getpid()))
    return KINDS[kind](index)


class MisbehavingWorkload(futstrat.Workload):
    name = "misbehaving"
    description = "one task misbehaves as asked: raises, exits, dies, hangs, lingers or forks"
    params = (
        futstrat.Param("kind", str, "none", "what task 'at' does: " + ", ".join(KINDS)),
        futstrat.Param("at", int, 2, "the task that misbehaves", minimum=0),
        futstrat.Param("tasks", int, 4, "how many tasks", minimum=1),
        futstrat.Param("mark", str, "", "a file the misbehaving task creates first, if given"),
    )

    def tasks(self, params: Mapping[str, Any], plan: futstrat.PlanContext) -> Iterable[futstrat.Task]:
        if params["kind"] not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {params['kind']!r}")
        for index in range(params["tasks"]):
            yield futstrat.Task(task, (index, params["kind"], params["at"], params["mark"]))

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        # A result that is not its task's index (a huge blob, a lock that needed no pickling on a thread)
        # still counts as that task having come back.
        return sum(result if isinstance(result, int) else params["at"] for result in results)

    def check(
        self, value: Any, params: Mapping[str, Any], plan: futstrat.PlanContext, task_count: int
    ) -> futstrat.Check:
        expected = sum(range(task_count))
        return futstrat.Check(value == expected, expected, f"{value} against {expected}")


misbehaving = MisbehavingWorkload()
