"""The ``loky`` strategy: a loky pool of its own per run, under every standard start method."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import CancelledError

import pytest
from futstrat_loky.executors import LokyPoolExecutor, ReusedLokyExecutor
from futstrat_loky.plugin import make_loky_pool
from loky_tasks import RaisingWorkload, WorkerKiller, gone, nap, own_pid

import futstrat
from futstrat import ExecutorConfig, RunStatus

RUN_TIMEOUT = 60


def test_pi_passes_and_the_report_records_the_start_method(start_method):
    report = futstrat.run("pi", "loky", workers=2, params={"n": 20_000}, start_method=start_method, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.PASSED, report.error
    assert report.start_method == start_method
    assert report.tasks == 8  # pi: four ranges per worker


@pytest.mark.parametrize("sharing", ["value", "manager"])
def test_the_counter_is_exact_with_shared_state(start_method, sharing):
    report = futstrat.run(
        "counter",
        "loky",
        sharing=sharing,
        workers=2,
        params={"increments": 300},
        start_method=start_method,
        timeout=RUN_TIMEOUT,
    )
    assert report.status is RunStatus.PASSED, (report.error, report.traceback)
    assert report.value == 600


def test_the_race_loses_no_more_than_it_counted():
    report = futstrat.run(
        "counter-race", "loky", sharing="value", workers=2, params={"increments": 2000}, timeout=RUN_TIMEOUT
    )
    assert report.status is RunStatus.PASSED, report.error
    assert 0 < report.value <= 4000


def test_a_task_that_raises_fails_the_run_with_the_workers_traceback():
    report = futstrat.run(RaisingWorkload(), "loky", workers=2, start_method="spawn", timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.ERROR
    assert "ValueError: task 1 refuses" in (report.error or "")


def test_a_dead_worker_ends_the_run_with_an_error_naming_it():
    report = futstrat.run(WorkerKiller(), "loky", workers=2, start_method="spawn", timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.ERROR
    assert "killed by SIGKILL while running task 1 (kill_own_worker(0.05))" in (report.error or ""), report.error


def test_each_run_owns_its_pool_and_shutdown_stops_its_workers():
    first = make_loky_pool(ExecutorConfig(2, "spawn"))
    second = make_loky_pool(ExecutorConfig(2, "spawn"))
    try:
        assert first is not second
        pids = {first.submit(own_pid).result(timeout=30) for _ in range(4)}
        processes = first.worker_processes
        assert pids <= set(first.worker_pids)
    finally:
        first.shutdown(wait=True)
        second.shutdown(wait=True)
    assert all(gone(process.pid) for process in processes)


def test_terminate_kills_a_busy_worker_and_fails_its_future():
    executor = LokyPoolExecutor(1, start_method="spawn")
    busy = executor.submit(nap, 60)
    waiting = executor.submit(nap, 60)
    deadline = time.monotonic() + 30
    while not busy.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    pids = executor.worker_pids
    assert pids
    executor.terminate()
    assert all(gone(pid) for pid in pids)
    with pytest.raises((RuntimeError, CancelledError)):  # loky's ShutdownExecutorError, or a cancellation
        busy.result(timeout=30)
    assert waiting.done()


def test_shutdown_accepts_the_standard_library_keywords():
    executor = LokyPoolExecutor(1, start_method="spawn")
    assert executor.submit(own_pid).result(timeout=30) > 0
    executor.shutdown(wait=True, cancel_futures=True)
    with pytest.raises(RuntimeError):
        executor.submit(own_pid)


def test_the_command_line_runs_the_counter_on_loky():
    completed = subprocess.run(
        [sys.executable, "-m", "futstrat", "run", "counter", "--strategy", "loky", "--sharing", "manager",
         "--workers", "2", "--param", "increments=200", "--start-method", "spawn", "--timeout", "60"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "400 of 400 increments counted" in completed.stdout
    assert "start method spawn" in completed.stdout


class LambdaWorkload(futstrat.Workload):
    """Tasks that the standard pickle refuses (a lambda), and loky's cloudpickle carries."""

    name = "lambdas"
    description = "two tasks whose function is a lambda"

    def tasks(self, params, plan):
        return [futstrat.Task(lambda x: x * 2, (i,)) for i in range(2)]

    def combine(self, results, params, shared_value):
        return list(results)

    def check(self, value, params, plan, task_count):
        return futstrat.Check(value == [0, 2], [0, 2], f"got {value}")


def test_tasks_travel_with_cloudpickle():
    report = futstrat.run(LambdaWorkload(), "loky", workers=2, start_method="spawn", timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.PASSED, report.error


@pytest.mark.parametrize("reusable", [False, True])
def test_after_terminate_worker_exit_codes_says_every_busy_worker_ended(reusable: bool) -> None:
    executor = ReusedLokyExecutor(2) if reusable else LokyPoolExecutor(2, start_method="spawn")
    busy = [executor.submit(nap, 60) for _ in range(6)]
    deadline = time.monotonic() + 30
    while not all(future.running() for future in busy[:2]) and time.monotonic() < deadline:
        time.sleep(0.01)
    executor.terminate()
    deadline = time.monotonic() + 10
    while None in executor.worker_exit_codes().values() and time.monotonic() < deadline:
        time.sleep(0.05)
    codes = executor.worker_exit_codes()
    assert codes, "no worker was ever seen"
    assert None not in codes.values(), f"terminate() killed every worker, but worker_exit_codes() says {codes}"
    assert all(future.done() for future in busy)
