"""Misbehaving tasks on the local cluster: run once, reported in futstrat's words, nothing left behind."""

from __future__ import annotations

import logging
import re
import signal
import time

import psutil
import pytest
from dask_tasks import WorkerKillingWorkload, note_then_die, start_a_sleeper
from futstrat_dask.executor import DaskExecutor, DaskWorkerDiedError
from futstrat_dask.plugin import ADDRESS_ENV
from futstrat_dask.worker_setup import DropComputeFailed

import futstrat
from futstrat import RunStatus

RUN_TIMEOUT = 90


@pytest.fixture(autouse=True)
def _local_cluster_only(monkeypatch):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)


def test_a_task_that_kills_its_worker_runs_once_and_names_the_dead_process(tmp_path):
    executor = DaskExecutor(2)
    try:
        error = executor.submit(note_then_die, str(tmp_path), 1).exception(timeout=RUN_TIMEOUT)
    finally:
        executor.shutdown(wait=True)
    assert isinstance(error, DaskWorkerDiedError), repr(error)
    assert error.exitcode == -signal.SIGKILL
    assert isinstance(error.pid, int)
    # dask would retry the task on another worker, and lose that one too.
    assert (tmp_path / "runs").read_text() == "1\n"


def test_a_dead_worker_fails_the_run_in_one_line_naming_its_task(tmp_path):
    report = futstrat.run(
        WorkerKillingWorkload(), "dask", workers=2, params={"folder": str(tmp_path)}, timeout=RUN_TIMEOUT
    )
    assert report.status is RunStatus.ERROR
    pattern = r"^worker process \d+ killed by SIGKILL while running (task 1 \(|tasks 0 to 1\b)"
    assert re.search(pattern, report.error or ""), report.error
    assert (tmp_path / "runs").read_text().count("1\n") == 1


def test_a_process_a_task_started_does_not_outlive_the_cluster():
    executor = DaskExecutor(1)
    try:
        sleeper = executor.submit(start_a_sleeper).result(timeout=RUN_TIMEOUT)
    finally:
        executor.shutdown(wait=True)
    give_up = time.monotonic() + 10
    while psutil.pid_exists(sleeper) and psutil.Process(sleeper).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < give_up, f"the task's child {sleeper} outlived the cluster"
        time.sleep(0.05)


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, message, (), None)


def test_the_workers_drop_only_their_record_of_a_failed_task():
    drop = DropComputeFailed()
    assert not drop.filter(_record("Compute Failed\nKey:       %s\n"))
    assert drop.filter(_record("Failed to communicate with scheduler during heartbeat."))
