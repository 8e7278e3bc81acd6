"""Fault injection: every fault against every strategy it applies to, each bounded in time.

Each run is a real ``futstrat`` process in a session of its own, so a hang fails the test at its
timeout instead of blocking the suite, and whatever the run left behind (a worker, a Manager, a
resource tracker) is found by its session id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from futstrat.builtin.strategies import BUILTIN_STRATEGIES
from tests.sessions import ROOT, assert_nothing_left_behind, futstrat_isolated

STRATEGIES = [spec.name for spec in BUILTIN_STRATEGIES]
PROCESS_STRATEGIES = [spec.name for spec in BUILTIN_STRATEGIES if spec.crosses_processes]


def run_fault(strategy: str, kind: str, *extra: str, limit: float = 60):
    return futstrat_isolated(
        "run", "tests.faults:fault", "--strategy", strategy, "--workers", "2", "--param", f"kind={kind}", *extra,
        limit=limit,
    )  # fmt: skip


DEATHS = {"kill": "killed by SIGKILL", "exit": "exited with code 3", "segfault": "killed by SIGSEGV"}


@pytest.mark.parametrize("kind", sorted(DEATHS))
@pytest.mark.parametrize("strategy", PROCESS_STRATEGIES)
def test_a_dead_worker_ends_the_run_promptly_and_is_named(strategy, kind):
    result, elapsed = run_fault(strategy, kind, "--timeout", "60")
    assert result.returncode == 1, result.stdout + result.stderr
    assert DEATHS[kind] in result.stdout
    assert "while running task 1 (misbehave(1, " in result.stdout
    assert f"strategy '{strategy}'" in result.stdout
    assert elapsed < 30, "the death was noticed only at the watchdog's timeout"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_task_error_reaches_the_user_with_its_traceback(strategy):
    result, _ = run_fault(strategy, "raise")
    assert result.returncode == 1
    assert "task 1 (misbehave(1, 'raise')) raised ValueError: task 1 failed on purpose" in result.stdout
    if strategy in PROCESS_STRATEGIES:
        assert "traceback from the worker" in result.stdout
        assert 'raise ValueError(f"task {index} failed on purpose")' in result.stdout


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_hung_task_is_ended_by_the_watchdog(strategy):
    result, elapsed = run_fault(strategy, "hang", "--timeout", "2", limit=30)
    assert result.returncode == 1
    assert "TIMEOUT" in result.stdout
    assert elapsed < 2 + 6


@pytest.mark.parametrize("strategy", PROCESS_STRATEGIES)
def test_a_per_task_timeout_kills_the_stuck_worker_and_names_the_task(strategy):
    result, elapsed = run_fault(strategy, "hang", "--task-timeout", "1", "--timeout", "60", limit=30)
    assert result.returncode == 1
    assert "task 1 (misbehave(1, 'hang')) ran past its 1 s task timeout" in result.stdout
    assert elapsed < 20


@pytest.mark.parametrize("strategy", ["serial", "thread"])
def test_a_per_task_timeout_is_refused_where_nothing_can_be_killed(strategy):
    result, _ = run_fault(strategy, "none", "--task-timeout", "1")
    assert result.returncode == 2
    assert "a thread cannot be killed" in result.stderr


UNPICKLABLE = {
    "lambda": "cannot be sent to a worker process",
    "unpicklable-argument": "its argument 2 (lock) cannot be pickled",
    "unpicklable-result": "could not be pickled to come back from its worker process",
}


@pytest.mark.parametrize("kind", sorted(UNPICKLABLE))
@pytest.mark.parametrize("strategy", PROCESS_STRATEGIES)
def test_unpicklable_work_is_named_not_hung(strategy, kind):
    at = "0" if kind != "unpicklable-result" else "1"
    result, _ = run_fault(strategy, kind, "--param", f"at={at}", "--timeout", "60", limit=40)
    assert result.returncode == 1
    assert UNPICKLABLE[kind] in result.stdout


def test_the_seed_deadlock_returns_within_the_timeout_and_exits_cleanly():
    result, elapsed = futstrat_isolated("run", "deadlock", "--strategy", "thread", "--timeout", "3", limit=20)
    assert result.returncode == 1
    assert "DEADLOCK: task 0 waits on task 1's future; task 1 waits on task 0's future" in result.stdout.replace(
        "task 1 waits on task 0's future; task 0 waits on task 1's future",
        "task 0 waits on task 1's future; task 1 waits on task 0's future",
    )
    assert elapsed < 3 + 2


@pytest.mark.parametrize(
    ("strategy", "workload", "params"),
    [
        ("process", "sleep", ["seconds=30", "tasks=4"]),
        ("pool-map", "sleep", ["seconds=30", "tasks=4"]),
        ("pool-async", "sleep", ["seconds=30", "tasks=4"]),
        ("thread", "sleep", ["seconds=30", "tasks=4"]),
        ("process", "counter", ["increments=100000000"]),  # with its Manager
    ],
)
def test_ctrl_c_stops_within_two_seconds_and_ends_every_process(strategy, workload, params):
    args = [sys.executable, "-m", "futstrat", "run", workload, "--strategy", strategy, "--workers", "2"]
    if workload == "counter":
        args += ["--sharing", "manager"]
    for param in params:
        args += ["--param", param]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               start_new_session=True)  # fmt: skip
    try:
        time.sleep(2.5)  # the workers are up and busy
        assert process.poll() is None
        interrupted = time.monotonic()
        os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole process group
        _, err = process.communicate(timeout=10)
        stopped = time.monotonic() - interrupted
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130
    assert "interrupted" in err
    assert "Traceback" not in err
    assert stopped < 2
    assert_nothing_left_behind(process.pid)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_hundred_thousand_tiny_tasks_all_come_back_once(strategy):
    import futstrat

    report = futstrat.run("tiny", strategy, workers=2, params={"n": 100_000}, timeout=240)
    assert report.ok, report.error
    assert report.value == {"results": 100_000, "misplaced": 0}
