"""The ``loky-reusable`` strategy: loky's reusable pool, kept for the next caller unless it has a run's initializer."""

from __future__ import annotations

import re

import pytest
from futstrat_loky.executors import ReusedLokyExecutor
from futstrat_loky.plugin import make_reused_loky
from loky_tasks import SlowSecondTask, WorkerKiller, gone, own_pid

import futstrat
import futstrat.plugins
from futstrat import ExecutorConfig, RefusedError, RunStatus
from futstrat.testing import tasks

RUN_TIMEOUT = 60


@pytest.fixture
def reused():
    """A reusable pool that the test leaves stopped, so no worker outlives it."""
    executors = []

    def make(workers: int = 2):
        executor = make_reused_loky(ExecutorConfig(workers, None))
        executors.append(executor)
        return executor

    yield make
    if executors:
        executors[-1].terminate()


def test_pi_passes_and_records_no_standard_start_method():
    report = futstrat.run("pi", "loky-reusable", workers=2, params={"n": 20_000}, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.PASSED, report.error
    assert report.start_method is None


def test_the_next_run_reuses_the_same_workers(reused):
    first = reused()
    pids = {first.submit(own_pid).result(timeout=30) for _ in range(6)}
    first.shutdown(wait=True)
    assert all(process.is_alive() for process in first.worker_processes)
    second = reused()
    assert second.reused is first.reused
    assert {second.submit(own_pid).result(timeout=30) for _ in range(6)} <= set(first.worker_pids)
    assert pids <= set(second.worker_pids)


def test_the_reuse_option_false_gives_fresh_workers_stopped_at_shutdown(reused):
    first = reused()
    first.submit(own_pid).result(timeout=30)
    first.shutdown(wait=True)
    with futstrat.open_executor("loky-reusable", workers=2, options={"reuse": "false"}) as fresh:
        assert fresh.reused is not first.reused  # type: ignore[attr-defined]
        pids = {fresh.submit(own_pid).result(timeout=30) for _ in range(4)}
        assert not pids & set(first.worker_pids)
    assert all(gone(pid) for pid in pids)


def test_the_options_are_declared_typed_and_bounded():
    spec = futstrat.plugins.get_host().registry.strategies.get("loky-reusable")
    assert {p.name for p in spec.params} == {"reuse", "idle_timeout"}
    with pytest.raises(futstrat.UsageError, match=r"option idle_timeout must be at least 0\.1"):
        futstrat.plan_run("pi", "loky-reusable", workers=1, strategy_options={"idle_timeout": 0})


def test_a_handle_refuses_work_after_its_shutdown(reused):
    executor = reused()
    executor.shutdown()
    with pytest.raises(RuntimeError):
        executor.submit(own_pid)


def test_terminate_kills_the_workers_and_the_next_run_gets_a_fresh_pool(reused):
    first = reused()
    first.submit(own_pid).result(timeout=30)
    pids = first.worker_pids
    first.terminate()
    assert all(gone(pid) for pid in pids)
    second = reused()
    assert second.reused is not first.reused
    assert second.submit(own_pid).result(timeout=30) not in pids


def test_a_dead_worker_fails_the_run_and_the_next_run_passes():
    report = futstrat.run(WorkerKiller(), "loky-reusable", workers=2, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.ERROR
    assert re.fullmatch(
        r"worker process \d+ killed by SIGKILL while running task 1 \(.*\) \(strategy 'loky-reusable'\)",
        report.error or "",
    ), report.error
    again = futstrat.run("pi", "loky-reusable", workers=2, params={"n": 10_000}, timeout=RUN_TIMEOUT)
    assert again.status is RunStatus.PASSED, again.error


def test_manager_sharing_works_through_lokys_own_start_method():
    report = futstrat.run(
        "counter", "loky-reusable", sharing="manager", workers=2, params={"increments": 200}, timeout=RUN_TIMEOUT
    )
    assert report.status is RunStatus.PASSED, (report.error, report.traceback)
    assert report.value == 400


def test_the_counter_falls_back_to_manager_when_no_sharing_is_named():
    report = futstrat.run("counter", "loky-reusable", workers=2, params={"increments": 100}, timeout=RUN_TIMEOUT)
    assert report.sharing == "manager"
    assert report.ok, report.error


def test_a_run_stops_the_pool_that_carries_its_initializer(reused):
    """A run's workers carry its task tracker, which no later run can use: the run leaves none behind."""
    executor = ReusedLokyExecutor(2, initializer=tasks.install, initargs=("installed",))
    try:
        assert all(executor.submit(tasks.read_installed).result(timeout=30) == ["installed"] for _ in range(4))
        processes = executor.worker_processes
        executor.shutdown(wait=True)
        assert processes
        assert not any(process.is_alive() for process in processes)
    finally:
        executor.terminate()


def test_a_task_timeout_is_accepted_and_names_the_task():
    report = futstrat.run(SlowSecondTask(), "loky-reusable", workers=2, task_timeout=1, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.TIMEOUT, report.error
    assert re.match(r"task 1 \(.*\) ran past its 1 s task timeout", report.error or ""), report.error


def test_raw_shared_memory_is_refused_with_the_reason():
    with pytest.raises(RefusedError) as caught:
        futstrat.plan_run("counter", "loky-reusable", sharing="value", workers=2)
    assert any("initializer" in reason for reason in caught.value.reasons), caught.value.reasons


def test_an_explicit_start_method_is_refused_with_the_reason():
    with pytest.raises(RefusedError) as caught:
        futstrat.plan_run("pi", "loky-reusable", workers=2, start_method="spawn")
    assert any("starts its worker processes its own way" in reason for reason in caught.value.reasons), (
        caught.value.reasons
    )


def test_the_loky_strategy_is_not_refused_what_the_reusable_one_is():
    plan = futstrat.plan_run("counter", "loky", sharing="value", workers=2, start_method="spawn")
    assert plan.sharing.name == "value"
