"""Tasks wait in the executor and reach dask only as its workers free up, so that cancelling one that
waits is exact: dask cannot be relied on to withdraw a task it has been given."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import Future
from typing import Any

import pytest
from conftest import LOOPBACK
from dask_tasks import tasks_the_scheduler_holds
from futstrat_dask.executor import RECOUNT_SECONDS
from futstrat_dask.plugin import ADDRESS_ENV, MAX_IN_FLIGHT, make_dask_executor

from futstrat import ExecutorConfig
from futstrat.testing.tasks import Gate, add, leave_trace, wait_at_gate

PATIENCE = 90.0
#: How long the scheduler is given to receive what was sent to it, before counting its tasks.
SETTLE_SECONDS = 0.5


def held_by_the_scheduler(executor: Any, at_least: int) -> int:
    """The tasks the executor's scheduler holds, once it has at least ``at_least`` and a moment has
    passed for any more that were sent to arrive."""
    give_up = time.monotonic() + PATIENCE
    while (held := executor.client.run_on_scheduler(tasks_the_scheduler_holds)) < at_least:
        assert time.monotonic() < give_up, f"the scheduler holds {held} tasks, fewer than {at_least}"
        time.sleep(0.05)
    time.sleep(SETTLE_SECONDS)
    return int(executor.client.run_on_scheduler(tasks_the_scheduler_holds))


def blocked(executor: Any, gate: Gate, count: int) -> list[Future[Any]]:
    return [executor.submit(wait_at_gate, gate.key, PATIENCE, i) for i in range(count)]


@pytest.mark.parametrize(("options", "handed"), [({}, 3), ({MAX_IN_FLIGHT: 1}, 1)], ids=["workers+1", "option"])
def test_dask_is_given_only_the_tasks_in_flight_and_the_rest_wait_cancellable(
    monkeypatch, no_process_left_behind, tmp_path, options, handed
):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    gate = Gate(tmp_path)
    executor = make_dask_executor(ExecutorConfig(2, None, options=options))
    try:
        futures = blocked(executor, gate, 8)
        assert held_by_the_scheduler(executor, handed) == handed, "dask was given tasks no worker is free for"
        assert [f.running() for f in futures] == [True] * handed + [False] * (8 - handed)
        traces = [executor.submit(leave_trace, str(tmp_path / f"ran-{i}"), i) for i in range(4)]
        assert all(f.cancel() for f in futures[handed:] + traces)
        gate.open()
        assert [f.result(timeout=PATIENCE) for f in futures[:handed]] == list(range(handed))
    finally:
        gate.open()
        executor.shutdown(wait=True)
    assert all(f.cancelled() for f in futures[handed:] + traces)
    assert not list(tmp_path.glob("ran-*")), "a cancelled task ran"


def test_shutdown_cancels_the_waiting_tasks_and_lets_those_in_flight_finish(
    monkeypatch, no_process_left_behind, tmp_path
):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    gate = Gate(tmp_path)
    executor = make_dask_executor(ExecutorConfig(2, None))
    try:
        futures = blocked(executor, gate, 6)
        executor.shutdown(wait=False, cancel_futures=True)
        assert [f.cancelled() for f in futures] == [False] * 3 + [True] * 3
        gate.open()
        assert [f.result(timeout=PATIENCE) for f in futures[:3]] == [0, 1, 2]
    finally:
        gate.open()
        executor.shutdown(wait=True)


def test_on_a_cluster_reached_by_address_the_bound_follows_its_threads(monkeypatch, scheduler_address, tmp_path):
    monkeypatch.setenv(ADDRESS_ENV, scheduler_address)
    gate = Gate(tmp_path)
    executor = make_dask_executor(ExecutorConfig(8, None))  # the cluster has two single-threaded workers
    try:
        futures = blocked(executor, gate, 6)
        assert [f.running() for f in futures] == [True] * 3 + [False] * 3
        gate.open()
        assert [f.result(timeout=PATIENCE) for f in futures] == list(range(6))
    finally:
        gate.open()
        executor.shutdown(wait=True)


def threads_of(executor: Any, count: int) -> None:
    """Wait until the executor's cluster has ``count`` threads."""
    give_up = time.monotonic() + PATIENCE
    while executor.max_workers != count:
        assert time.monotonic() < give_up, f"the cluster has {executor.max_workers} threads, not {count}"
        time.sleep(0.1)


def test_workers_that_join_a_cluster_reached_by_address_during_a_run_get_work(monkeypatch, scheduler_address, tmp_path):
    monkeypatch.setenv(ADDRESS_ENV, scheduler_address)
    gate = Gate(tmp_path)
    executor = make_dask_executor(ExecutorConfig(2, None))
    command = [sys.executable, "-m", "dask", "worker", scheduler_address, "--nworkers", "1", "--nthreads", "1"]
    with (tmp_path / "worker.log").open("wb") as log:
        joining = subprocess.Popen([*command, "--host", LOOPBACK, "--no-dashboard"], stdout=log, stderr=log)
    try:
        threads_of(executor, 3)
        time.sleep(RECOUNT_SECONDS)
        assert executor.submit(add, 2, 3).result(timeout=PATIENCE) == 5  # its result counts the threads again
        futures = blocked(executor, gate, 6)
        assert [f.running() for f in futures] == [True] * 4 + [False] * 2
        gate.open()
        assert [f.result(timeout=PATIENCE) for f in futures] == list(range(6))
    finally:
        gate.open()
        joining.terminate()
        try:
            joining.wait(timeout=PATIENCE / 3)
        except subprocess.TimeoutExpired:
            joining.kill()
            joining.wait(timeout=PATIENCE / 3)
        threads_of(executor, 2)  # gone again, for the tests that count on two
        executor.shutdown(wait=True)
