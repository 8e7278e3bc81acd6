"""The ``dask`` strategy on the local cluster it starts for each run."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import CancelledError

import psutil
import pytest
from dask_tasks import RaisingWorkload, fresh_token, mark_then_nap
from futstrat_dask.executor import DaskExecutor
from futstrat_dask.plugin import ADDRESS_ENV, make_dask_executor

import futstrat
from futstrat import ExecutorConfig, RefusedError, RunStatus

RUN_TIMEOUT = 90


@pytest.fixture(autouse=True)
def _local_cluster_only(monkeypatch):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)


def test_pi_passes_on_a_local_cluster_and_leaves_no_process(no_process_left_behind):
    report = futstrat.run("pi", "dask", workers=2, params={"n": 20_000}, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.PASSED, (report.error, report.traceback)
    assert report.tasks == 8  # pi: four ranges per worker
    assert report.start_method is None


def test_the_counter_is_exact_with_dask_sharing(no_process_left_behind):
    report = futstrat.run("counter", "dask", sharing="dask", workers=2, params={"increments": 60}, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.PASSED, (report.error, report.traceback)
    assert report.value == 120


def test_the_race_without_the_lock_is_reported_honestly():
    report = futstrat.run(
        "counter-race", "dask", sharing="dask", workers=2, params={"increments": 60}, timeout=RUN_TIMEOUT
    )
    assert report.status is RunStatus.PASSED, (report.error, report.traceback)
    assert 0 < report.value <= 120


def test_manager_proxies_reach_the_workers_of_a_local_cluster():
    report = futstrat.run(
        "counter", "dask", sharing="manager", workers=2, params={"increments": 60}, timeout=RUN_TIMEOUT
    )
    assert report.status is RunStatus.PASSED, (report.error, report.traceback)
    assert report.value == 120


def test_a_task_that_raises_fails_the_run_naming_the_error():
    report = futstrat.run(RaisingWorkload(), "dask", workers=2, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.ERROR
    assert "ValueError: task 1 refuses" in (report.error or "")


@pytest.mark.parametrize(
    ("sharing", "reason"),
    [("value", "does not cross machines")],
)
def test_raw_shared_memory_is_refused_with_the_reason(sharing, reason):
    with pytest.raises(RefusedError) as caught:
        futstrat.plan_run("counter", "dask", sharing=sharing, workers=2)
    assert any(reason in r for r in caught.value.reasons), caught.value.reasons


def test_a_start_method_is_refused_because_dask_starts_its_workers():
    with pytest.raises(RefusedError) as caught:
        futstrat.plan_run("pi", "dask", workers=2, start_method="spawn")
    assert any("starts its worker processes its own way" in r for r in caught.value.reasons), caught.value.reasons


@pytest.mark.parametrize("strategy", ["process", "thread", "serial"])
def test_dask_sharing_is_refused_for_strategies_that_know_no_scheduler(strategy):
    with pytest.raises(RefusedError) as caught:
        futstrat.plan_run("counter", strategy, sharing="dask", workers=2)
    assert any("use --strategy dask" in r for r in caught.value.reasons), caught.value.reasons


def test_the_counter_picks_a_backend_that_works_when_none_is_named():
    plan = futstrat.plan_run("counter", "dask", workers=2)
    assert plan.sharing.name == "manager"  # 'value' is refused; the workload prefers manager next


def test_equal_submissions_both_run(no_process_left_behind):
    executor = make_dask_executor(ExecutorConfig(2, None))
    try:
        first, second = executor.submit(fresh_token), executor.submit(fresh_token)
        assert first.result(timeout=RUN_TIMEOUT) != second.result(timeout=RUN_TIMEOUT)
        assert list(executor.map(abs, [-1, -2, -3], timeout=RUN_TIMEOUT)) == [1, 2, 3]
        assert executor.submit(lambda: 41 + 1).result(timeout=RUN_TIMEOUT) == 42  # cloudpickle carries it
        assert executor.max_workers == 2
        assert executor.local
        assert executor.address.startswith("tcp://127.0.0.1:")
    finally:
        executor.shutdown(wait=True)
    with pytest.raises(RuntimeError):
        executor.submit(fresh_token)


def test_terminate_stops_a_busy_local_cluster_at_once(no_process_left_behind, tmp_path):
    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    executor = DaskExecutor(1)
    workers = [child for child in me.children(recursive=True) if child.pid not in before]
    workers = [child for child in workers if "resource_tracker" not in " ".join(child.cmdline())]
    assert workers, "the local cluster started no worker process"
    busy = executor.submit(mark_then_nap, str(tmp_path), 0, 600)
    give_up = time.monotonic() + RUN_TIMEOUT
    while not (tmp_path / "0").exists():
        assert time.monotonic() < give_up, "the task never started"
        time.sleep(0.02)
    stopping = time.monotonic()
    executor.terminate()
    # Not a timing target: dask's own close waits four seconds for a busy worker before it ends it,
    # whatever the machine's load, and Ctrl-C is promised to end a run within two.
    assert time.monotonic() - stopping < 3.5, "terminate() waited for the busy worker"
    with pytest.raises((CancelledError, RuntimeError)):
        busy.result(timeout=RUN_TIMEOUT)
    _gone, alive = psutil.wait_procs(workers, timeout=RUN_TIMEOUT / 3)
    assert not alive


def test_the_command_line_counts_exactly_on_a_local_cluster():
    completed = subprocess.run(
        [sys.executable, "-m", "futstrat", "run", "counter", "--strategy", "dask", "--sharing", "dask",
         "--workers", "2", "--param", "increments=50", "--timeout", "90"],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "100 of 100 increments counted" in completed.stdout


def test_the_shared_state_workloads_are_exact_with_dask_sharing(no_process_left_behind, caplog):
    small = {"mb": 1, "reads": 2000}
    lookup = futstrat.run("lookup", "dask", sharing="dask", workers=2, params=small, timeout=RUN_TIMEOUT)
    assert lookup.ok, lookup.error or lookup.check
    small = {"samples": 300}
    histogram = futstrat.run("histogram", "dask", sharing="dask", workers=2, params=small, timeout=RUN_TIMEOUT)
    assert histogram.ok, histogram.error or histogram.check
    # The scattered table is let go before the cluster closes, so the scheduler has no loss to report.
    assert "lose scattered data" not in caplog.text
