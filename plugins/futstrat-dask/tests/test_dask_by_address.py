"""The ``dask`` strategy connected by address to a ``dask scheduler`` with ``dask worker`` processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from futstrat_dask import executor as executor_module
from futstrat_dask.plugin import ADDRESS_ENV, make_dask_executor

import futstrat
from futstrat import ExecutorConfig, RefusedError, RunStatus

RUN_TIMEOUT = 90


@pytest.fixture
def by_address(monkeypatch, scheduler_address):
    monkeypatch.setenv(ADDRESS_ENV, scheduler_address)
    return scheduler_address


def test_the_counter_is_exact_on_a_cluster_reached_by_address(by_address):
    report = futstrat.run("counter", "dask", sharing="dask", workers=2, params={"increments": 60}, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.PASSED, (report.error, report.traceback)
    assert report.value == 120


def test_runs_leave_the_cluster_running_for_the_next(by_address):
    for _ in range(2):
        report = futstrat.run("pi", "dask", workers=2, params={"n": 10_000}, timeout=RUN_TIMEOUT)
        assert report.status is RunStatus.PASSED, (report.error, report.traceback)


def test_the_executor_reports_the_clusters_threads(by_address):
    executor = make_dask_executor(ExecutorConfig(8, None))
    try:
        assert not executor.local
        assert executor.address == by_address
        assert executor.max_workers == 2  # two single-threaded workers, whatever was asked
    finally:
        executor.shutdown()


def test_manager_sharing_is_refused_for_a_remote_cluster(by_address):
    with pytest.raises(RefusedError) as caught:
        futstrat.plan_run("counter", "dask", sharing="manager", workers=2)
    assert any("cannot use them" in r for r in caught.value.reasons), caught.value.reasons


def test_the_command_line_counts_exactly_on_the_cluster(scheduler_address):
    completed = subprocess.run(
        [sys.executable, "-m", "futstrat", "run", "counter", "--strategy", "dask", "--sharing", "dask",
         "--workers", "2", "--param", "increments=50", "--timeout", "90"],
        capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, ADDRESS_ENV: scheduler_address},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "100 of 100 increments counted" in completed.stdout


def test_an_unreachable_address_fails_the_run_in_words(monkeypatch):
    monkeypatch.setattr(executor_module, "CONNECT_SECONDS", 2.0)
    monkeypatch.setenv(ADDRESS_ENV, "tcp://127.0.0.1:9")  # the discard port: nothing listens there
    report = futstrat.run("pi", "dask", workers=1, params={"n": 1000}, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.ERROR
    assert "127.0.0.1:9" in (report.error or "")
