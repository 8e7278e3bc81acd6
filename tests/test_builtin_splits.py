"""How the built-in workloads split their work: pi in ranges that cover the series exactly, four per
worker by default; the counter in one task per worker, as the seed article has it."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from futstrat.builtin.workloads.counter import CounterWorkload
from futstrat.builtin.workloads.pi import RANGES_PER_WORKER, PiWorkload
from futstrat.model import PlanContext


def plan(workers: int, sharing: str = "none") -> PlanContext:
    return PlanContext(workers=workers, sharing=sharing, strategy="process")


def pi_ranges(n: int, workers: int, tasks: int | None = None) -> list[tuple[int, int]]:
    return [task.args for task in PiWorkload().tasks({"n": n, "tasks": tasks}, plan(workers))]


@given(n=st.integers(1, 10**7), workers=st.integers(1, 64), tasks=st.none() | st.integers(1, 1000))
def test_pi_ranges_cover_every_term_once_in_order(n, workers, tasks):
    ranges = pi_ranges(n, workers, tasks)
    assert ranges[0][0] == 1
    assert ranges[-1][1] == n
    assert all(stop + 1 == start for (_, stop), (start, _) in itertools.pairwise(ranges))
    assert all(first <= last for first, last in ranges)
    sizes = [last - first + 1 for first, last in ranges]
    assert max(sizes) - min(sizes) <= 1


def test_pi_splits_into_four_ranges_per_worker_unless_told():
    assert RANGES_PER_WORKER == 4
    assert len(pi_ranges(10_000_000, 2)) == 8
    assert len(pi_ranges(10_000_000, 3)) == 12
    assert len(pi_ranges(10_000_000, 2, tasks=2)) == 2
    assert len(pi_ranges(5, 2)) == 5  # never an empty range


def test_the_counter_runs_one_task_of_ten_thousand_increments_per_worker():
    tasks = list(CounterWorkload().tasks({"increments": 10_000, "tasks": None}, plan(3, sharing="value")))
    assert [task.args for task in tasks] == [(10_000,)] * 3
