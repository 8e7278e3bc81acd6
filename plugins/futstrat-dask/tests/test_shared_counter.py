"""The ``dask`` sharing backend's parts, each used from dask workers of a real local cluster."""

from __future__ import annotations

import pickle

import pytest
from dask_tasks import add_to_cell, arrive
from futstrat_dask.shared_counter import (
    SchedulerCell,
    SchedulerLock,
    SchedulerStartLine,
    open_scheduler_counter,
)

from futstrat import SharedCounter, SharingRequest

RESULT_SECONDS = 60


@pytest.mark.parametrize(
    "part", [SchedulerCell("c"), SchedulerLock("l"), SchedulerStartLine("s", 3)], ids=lambda p: type(p).__name__
)
def test_each_part_travels_as_its_name_alone(part):
    copy = pickle.loads(pickle.dumps(part))
    assert type(copy) is type(part)
    assert copy.name == part.name
    assert len(pickle.dumps(part)) < 200  # a name, not a connection


def test_a_cell_never_set_reads_zero_and_then_what_was_set(dask_client):
    cell = SchedulerCell("futstrat-test-cell-fresh")
    assert cell.value == 0
    cell.value = 41
    assert SchedulerCell("futstrat-test-cell-fresh").value == 41
    cell.forget(dask_client)
    assert SchedulerCell("futstrat-test-cell-fresh").value == 0


def test_the_lock_keeps_increments_from_two_workers_exact(dask_client):
    cell, lock = SchedulerCell("futstrat-test-cell-locked"), SchedulerLock("futstrat-test-lock")
    futures = dask_client.map(add_to_cell, [cell, cell], [lock, lock], [60, 60], pure=False)
    assert dask_client.gather(futures) == [60, 60]
    assert len({f.key for f in futures}) == 2
    assert cell.value == 120


def test_the_start_line_lets_everyone_go_once_all_arrived(dask_client):
    line = SchedulerStartLine("futstrat-test-start", 2)
    futures = dask_client.map(arrive, [line, line], [RESULT_SECONDS, RESULT_SECONDS], pure=False)
    assert dask_client.gather(futures) == [True, True]


def test_the_start_line_gives_up_when_a_party_never_comes(dask_client):
    line = SchedulerStartLine("futstrat-test-start-short", 3)
    assert dask_client.submit(arrive, line, 0.2, pure=False).result(timeout=RESULT_SECONDS) is False


def test_the_session_hands_tasks_a_shared_counter_and_reads_the_final_value(dask_client):
    session = open_scheduler_counter(SharingRequest(start_method=None, parties=2, crosses_processes=True))
    assert session.worker_initializer() is None
    counter = session.task_argument(True)
    assert isinstance(counter, SharedCounter)
    counter.value = 7
    assert session.final_value() == 7
    assert session.final_value() == 7
    session.close()
    assert pickle.loads(pickle.dumps(counter)).value == 0  # closing removed it from the scheduler


def test_two_sessions_never_share_state(dask_client):
    request = SharingRequest(start_method=None, parties=1, crosses_processes=True)
    first, second = open_scheduler_counter(request), open_scheduler_counter(request)
    first.task_argument(True).value = 3
    assert second.final_value() == 0
    assert first.final_value() == 3
