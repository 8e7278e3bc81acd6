"""What a task's own exceptions become, on every strategy: a task failure, named once, never an exit.

A task's ``SystemExit`` or ``KeyboardInterrupt`` must not decide futstrat's exit code, an exception that
cannot be rebuilt in the parent must not break the executor, a worker that ends with status 0 is a death
like any other, and no task runs twice to find out which one raised.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import BrokenExecutor, Executor, Future
from concurrent.futures.process import BrokenProcessPool

import pytest

from futstrat.builtin.strategies import BUILTIN_STRATEGIES
from futstrat.engine.dispatch import Dispatcher
from futstrat.engine.execution import WatchdogAlarm
from futstrat.engine.workers import Chunk, StandInTaskError, run_chunk
from futstrat.errors import TaskFailedError
from futstrat.interrupts import UserInterrupt
from futstrat.model import Task
from tests.faults import NeedsTwoArgumentsError, OddBaseError
from tests.test_faults import PROCESS_STRATEGIES, ROOT, STRATEGIES, futstrat_isolated, run_fault

ODD = {
    "sysexit": ("SystemExit: 0", "sys.exit(0)"),
    "sysexit3": ("SystemExit: 3", "sys.exit(3)"),
    "keyboardinterrupt": ("KeyboardInterrupt", "raise KeyboardInterrupt"),
    "baseexception": ("OddBaseError: task 1 raised a BaseException", "raise OddBaseError("),
    "unrebuildable": ("NeedsTwoArgumentsError: task 1 failed on purpose (code 7)", "raise NeedsTwoArgumentsError("),
}


# -- through the command line -----------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(ODD))
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_task_s_odd_exception_is_that_task_s_failure(strategy, kind):
    result, elapsed = run_fault(strategy, kind, "--timeout", "30", limit=45)
    named, source_line = ODD[kind]
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"ERROR: task 1 (misbehave(1, '{kind}')) raised {named}" in result.stdout, result.stdout
    assert source_line in result.stdout, "the task's traceback was lost"
    assert "Traceback" not in result.stderr, result.stderr
    assert "interrupted" not in result.stderr
    assert elapsed < 20, "the failure was noticed only at the watchdog's timeout"


@pytest.mark.parametrize("strategy", PROCESS_STRATEGIES)
def test_a_worker_that_exits_with_status_0_is_a_dead_worker_named_with_its_task(strategy):
    result, elapsed = run_fault(strategy, "exit0", "--timeout", "30", limit=45)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "exited with code 0 while running task 1 (misbehave(1, 'exit0'))" in result.stdout, result.stdout
    assert elapsed < 20, "the death was noticed only at the watchdog's timeout"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_task_runs_once_and_the_one_that_raised_is_named(strategy, tmp_path):
    log = tmp_path / "runs"
    result, _ = futstrat_isolated(
        "run", "tests.faults:logged_fault", "--strategy", strategy, "--workers", "2", "--chunksize", "10",
        "--param", "tasks=40", "--param", "at=17", "--param", f"log={log}", limit=45,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ERROR: task 17 (logged_task((17, 17, " in result.stdout, result.stdout
    runs = Counter(int(line) for line in log.read_text().split())
    assert runs[17] == 1
    assert max(runs.values()) == 1, f"tasks run more than once: {sorted(i for i, n in runs.items() if n > 1)}"


# -- run_chunk itself ------------------------------------------------------------------------------
calls: list[int] = []


def record_then_fail_at_3(item: int) -> int:
    calls.append(item)
    if item == 3:
        raise ValueError("three")
    return item


def record_then_fail_once(item: int, **kwargs: object) -> int:
    calls.append(item)
    if item == 3 and calls.count(3) == 1:
        raise ValueError("only the first time")
    return item


class NoLengthHint:
    """A sequence whose iterator cannot say how many items are left."""

    def __init__(self, items: list[int]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        yield from self.items


@pytest.mark.parametrize("items", [list(range(8)), tuple(range(8)), range(8), NoLengthHint(list(range(8)))])
@pytest.mark.parametrize("each", [False, True])
def test_a_tight_chunk_names_the_task_that_raised_without_running_any_again(items, each):
    calls.clear()
    with pytest.raises(ValueError, match="three") as raised:
        run_chunk(None, each, Chunk(100, fn=record_then_fail_at_3, items=items))
    assert calls == [0, 1, 2, 3]
    assert raised.value.futstrat_task_index == 103


def test_a_task_that_fails_only_once_is_still_the_one_named():
    calls.clear()
    with pytest.raises(ValueError, match="only the first time") as raised:
        run_chunk(None, False, Chunk(10, fn=record_then_fail_once, items=list(range(6))))
    assert raised.value.futstrat_task_index == 13
    assert calls == [0, 1, 2, 3]


def exit_with(code: object) -> None:
    raise SystemExit(code)


def raise_this(error: BaseException) -> None:
    raise error


@pytest.mark.parametrize(
    ("error", "type_name", "message"),
    [
        (SystemExit(0), "SystemExit", "0"),
        (KeyboardInterrupt(), "KeyboardInterrupt", ""),
        (OddBaseError("odd"), "OddBaseError", "odd"),
        (NeedsTwoArgumentsError("cannot be rebuilt", 7), "NeedsTwoArgumentsError", "cannot be rebuilt (code 7)"),
    ],
)
def test_an_exception_that_must_not_travel_as_it_is_gets_a_picklable_stand_in(error, type_name, message):
    chunk = Chunk(5, calls=((raise_this, (error,)),))
    with pytest.raises(StandInTaskError) as raised:
        run_chunk(None, False, chunk)
    stand_in = pickle.loads(pickle.dumps(raised.value))
    assert (stand_in.type_name, str(stand_in), stand_in.futstrat_task_index) == (type_name, message, 5)
    assert "in raise_this" in stand_in.worker_traceback
    assert type_name in stand_in.worker_traceback


def test_an_ordinary_exception_travels_as_itself():
    with pytest.raises(ValueError, match="three") as raised:
        run_chunk(None, False, Chunk(0, calls=((record_then_fail_at_3, (3,)),)))
    assert type(raised.value) is ValueError


@pytest.mark.parametrize("error", [WatchdogAlarm(), UserInterrupt()])
def test_the_watchdog_s_alarm_and_a_real_ctrl_c_pass_through_a_task(error):
    with pytest.raises(type(error)):
        run_chunk(None, False, Chunk(0, calls=((raise_this, (error,)),)))


def test_the_serial_executor_puts_a_task_s_base_exception_into_its_future():
    from futstrat.builtin.serial_executor import SerialExecutor

    executor = SerialExecutor()
    assert isinstance(executor.submit(exit_with, 0).exception(timeout=0), SystemExit)
    with pytest.raises(WatchdogAlarm):
        executor.submit(raise_this, WatchdogAlarm())


# -- dead workers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("attempt", range(6))
def test_a_worker_killed_between_results_is_named_every_time(attempt):
    # Each task is short, so the next submit often meets the pool already broken; and no
    # "Bad file descriptor" traceback from concurrent.futures at exit.
    result, _ = run_fault(
        "process", "kill", "--param", "at=150", "--param", "tasks=400", "--chunksize", "1", "--timeout", "30", limit=45
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "killed by SIGKILL while running task 150 (misbehave(150, 'kill'))" in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr


class BreaksAfterFirstCall(Executor):
    """An executor whose pool broke after its first task: as a ProcessPoolExecutor whose worker died."""

    def __init__(self) -> None:
        self.calls = 0

    def submit(self, fn, /, *args, **kwargs):
        self.calls += 1
        if self.calls > 1:
            raise BrokenProcessPool("A child process terminated abruptly")
        future = Future()
        future.set_result(fn(*args, **kwargs))
        return future

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        self.calls += 1
        if self.calls > 1:
            raise BrokenProcessPool("A child process terminated abruptly")
        return iter([fn(*args) for args in zip(*iterables)])


@pytest.mark.parametrize("strategy", ["process", "process-map"])
def test_a_pool_found_broken_at_submit_is_a_task_failure_like_a_broken_future(strategy):
    spec = next(spec for spec in BUILTIN_STRATEGIES if spec.name == strategy)
    dispatcher = Dispatcher(
        BreaksAfterFirstCall(), spec, [Task(abs, (-i,)) for i in range(40)], None,
        board=None, workers=2, deadline=time.monotonic() + 30, chunksize=2, track_each_task=False,
    )  # fmt: skip
    with pytest.raises(TaskFailedError) as raised:
        list(dispatcher.chunk_results())
    assert isinstance(raised.value.error, BrokenExecutor)


def test_a_real_ctrl_c_during_a_serial_task_still_reads_as_interrupted(tmp_path):
    mark = tmp_path / "task-started"
    process = subprocess.Popen(
        [sys.executable, "-m", "futstrat", "run", "tests.faults:fault", "--strategy", "serial", "--param", "kind=hang"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True,
        env={**os.environ, "FAULTS_HANG_MARK": str(mark)},
    )  # fmt: skip
    try:
        give_up = time.monotonic() + 30
        while not mark.exists() and time.monotonic() < give_up:  # until the task is under way
            time.sleep(0.02)
        assert process.poll() is None
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
