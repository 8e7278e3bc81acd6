"""The ``dask`` sharing backend's parts, each used from dask workers of a real local cluster."""

from __future__ import annotations

import array
import asyncio
import pickle

import pytest
from dask_tasks import add_to_bins, add_to_cell, arrive, read_scaled_sum
from distributed import Variable
from futstrat_dask.scattered import scatter_read_only
from futstrat_dask.shared_counter import (
    SchedulerCell,
    SchedulerCells,
    SchedulerLock,
    SchedulerStartLine,
    open_scheduler_counter,
    open_scheduler_state,
)

from futstrat import (
    Array,
    Counter,
    Mapping,
    ReadOnly,
    RefusedError,
    SharedArray,
    SharedCounter,
    SharedState,
    SharingRequest,
    plan_run,
)

RESULT_SECONDS = 60


@pytest.mark.parametrize(
    "part",
    [SchedulerCell("c"), SchedulerCells("a", 50, float), SchedulerLock("l"), SchedulerStartLine("s", 3)],
    ids=lambda p: type(p).__name__,
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
    state = session.task_argument(True)
    assert isinstance(state, SharedState)
    counter = state.counter  # a request without slots asks for the one counter
    assert isinstance(counter, SharedCounter)
    counter.value = 7
    assert session.final_value() == 7
    assert session.final_value() == 7
    session.close()
    assert pickle.loads(pickle.dumps(counter)).value == 0  # closing removed it from the scheduler


def test_two_sessions_never_share_state(dask_client):
    request = SharingRequest(start_method=None, parties=1, crosses_processes=True)
    first, second = open_scheduler_counter(request), open_scheduler_counter(request)
    first.task_argument(True).counter.value = 3
    assert second.final_value() == 0
    assert first.final_value() == 3


def test_array_cells_start_at_zero_and_keep_their_number_type(dask_client):
    cells = SchedulerCells("futstrat-test-cells", 3, float)
    assert cells[:] == [0.0, 0.0, 0.0]
    cells[1] = 2.5
    assert pickle.loads(pickle.dumps(cells))[1] == 2.5
    assert isinstance(cells[0], float)
    cells.forget(dask_client)


def test_array_updates_from_two_workers_are_exact_under_the_lock(dask_client):
    request = SharingRequest(None, 2, True, {"bins": Array("q", 3)})
    session = open_scheduler_state(request)
    try:
        bins = session.task_argument(True).bins
        assert isinstance(bins, SharedArray)
        futures = dask_client.map(add_to_bins, [bins, bins], [30, 30], pure=False)
        assert dask_client.gather(futures) == [30, 30]
        assert session.final_state() == {"bins": [20, 20, 20]}
    finally:
        session.close()


def test_read_only_data_is_scattered_once_and_read_in_the_workers(dask_client):
    table = array.array("d", (float(k) for k in range(1000)))
    request = SharingRequest(None, 2, True, {"table": ReadOnly(table), "settings": ReadOnly({"scale": 2})})
    session = open_scheduler_state(request)
    try:
        state = session.task_argument(True)
        with pytest.raises(RuntimeError, match="scatters it to the cluster"):
            pickle.dumps(state)  # only the strategy sends it, once scattered
        scatter_read_only(dask_client, [state])
        futures = dask_client.map(read_scaled_sum, [state, state], pure=False)
        assert dask_client.gather(futures) == [2 * sum(table)] * 2
        assert len(pickle.dumps(state)) < 1000  # the slot travels as its key, not as the data
        assert session.final_state() == {}
        session.close()
        with pytest.raises(asyncio.TimeoutError):  # closing let the cluster drop the data
            Variable(state.table.name).get(timeout=1)
    finally:
        session.close()


def test_read_only_data_stays_in_this_process_for_tasks_that_are_not_pickled():
    session = open_scheduler_state(SharingRequest(None, 1, False, {"blob": ReadOnly(b"abc")}))
    blob = session.task_argument(False).blob
    assert blob.readonly
    assert bytes(blob) == b"abc"


def test_a_mapping_slot_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="dask keeps no dict"):
        open_scheduler_state(SharingRequest(None, 1, True, {"counts": Mapping(), "hits": Counter()}))


def test_a_workload_with_a_mapping_slot_is_refused_before_anything_starts_with_one_reason():
    with pytest.raises(RefusedError) as refused:
        plan_run("wordcount", "dask", sharing="dask", workers=2)
    [reason] = refused.value.reasons  # futstrat's own slot rule; the plugin does not say it again
    assert "needs a mapping slot 'counts'" in reason
    assert "use --sharing manager" in reason  # what to use instead
