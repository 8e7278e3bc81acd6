"""Chunks, the auto chunk size, and streaming that keeps the parent's share of the work bounded."""

from __future__ import annotations

import itertools

import pytest

import futstrat
from futstrat.builtin.strategies import BUILTIN_STRATEGIES
from futstrat.builtin.tasks import echo
from futstrat.engine.chunking import (
    CHUNKS_PER_WORKER,
    LARGEST_AUTO_CHUNK,
    TARGET_CHUNK_SECONDS,
    ChunkSource,
    size_from_pilot,
    task_at,
)
from futstrat.engine.dispatch import InOrder
from futstrat.model import Task, TaskMap

from .streaming_workloads import lead_watching

STRATEGIES = [spec.name for spec in BUILTIN_STRATEGIES]


def test_a_task_map_is_a_sequence_of_tasks_that_slices_lazily():
    tasks = TaskMap(echo, range(10**12))
    assert len(tasks) == 10**12
    assert tasks[5] == Task(echo, (5,))
    assert tasks[10:12].items == range(10, 12)


def test_chunks_of_a_task_map_carry_slices_not_tasks():
    source = ChunkSource(TaskMap(echo, range(10)))
    assert source.count == 10
    first = source.take(4)
    assert first is not None
    assert (first.start, first.items, first.end) == (0, range(0, 4), 3)
    assert task_at(first, 2) == Task(echo, (2,))
    assert [len(c) for c in iter(lambda: source.take(4), None)] == [4, 2]
    assert source.take(4) is None


def test_a_task_stream_is_read_only_as_far_as_the_chunks_taken():
    made = itertools.count()
    stream = (Task(echo, (next(made),)) for _ in range(1000))
    source = ChunkSource(stream)
    assert source.count is None
    chunk = source.take(3)
    assert chunk is not None
    assert chunk.calls == ((echo, (0,)), (echo, (1,)), (echo, (2,)))
    assert next(made) == 3  # nothing beyond the chunk was made


@pytest.mark.parametrize(
    ("seconds_per_task", "remaining", "workers", "expected"),
    [
        (TARGET_CHUNK_SECONDS, None, 2, 1),  # a task is a chunk's worth on its own
        (TARGET_CHUNK_SECONDS / 10, None, 2, 10),
        (1e-9, None, 2, LARGEST_AUTO_CHUNK),  # tiny tasks, no count: as large as allowed
        (1e-9, 800, 2, 800 // (2 * CHUNKS_PER_WORKER)),  # never fewer than four chunks per worker
        (10.0, 10**6, 2, 1),
    ],
)
def test_auto_size(seconds_per_task, remaining, workers, expected):
    assert size_from_pilot(seconds_per_task, remaining, workers) == expected


def test_results_come_out_in_task_order_whatever_order_chunks_finish():
    in_order = InOrder(0)
    assert list(in_order.add(3, [3, 4])) == []
    assert list(in_order.add(5, [5])) == []
    assert list(in_order.add(0, [0, 1, 2])) == [[0, 1, 2], [3, 4], [5]]
    assert in_order.next_start == 6


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_auto_batches_many_tiny_tasks_and_reports_the_size(strategy):
    report = futstrat.run("tiny", strategy, workers=2, params={"n": 50_000})
    assert report.ok, report.error
    assert report.chunksize is not None
    assert report.chunksize > 1
    assert report.tasks == 50_000
    assert report.to_dict()["tasks_per_second"] > 0


@pytest.mark.parametrize("strategy", ["process", "pool-map", "thread"])
def test_a_given_chunk_size_is_used(strategy):
    report = futstrat.run("tiny", strategy, workers=2, params={"n": 1000}, chunksize=7)
    assert report.ok
    assert report.chunksize == 7


def test_few_tasks_travel_one_by_one_so_every_worker_gets_one():
    report = futstrat.run("pi", "process", workers=2, params={"n": 10_000})
    assert report.chunksize == 1
    report = futstrat.run("counter", "process", sharing="value", workers=2, params={"increments": 10})
    assert report.chunksize == 1


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_lazy_stream_is_never_read_far_ahead_of_the_results(strategy):
    report = futstrat.run(lead_watching, strategy, workers=2, params={"n": 200_000})
    assert report.ok, report.error
    assert report.tasks == 200_000
    # At most the chunks in flight, two windows of them for map-style dispatch, plus the pilot's.
    bound = 4 * report.chunksize * 2 + 4096 * 2
    assert lead_watching.largest_lead <= bound, (lead_watching.largest_lead, report.chunksize)
    assert lead_watching.largest_lead < 200_000 / 4


def test_a_failing_item_in_a_chunk_is_named():
    report = futstrat.run("tests.user_workloads.squares:failing", "process", workers=2, params={"n": 5000})
    assert not report.ok
    assert "raise_value_error(" in report.error
