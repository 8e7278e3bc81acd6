"""Workloads that watch how the runner consumes their tasks (``tests.streaming_workloads:...``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import futstrat
from futstrat.builtin.tasks import echo


class LeadWatchingWorkload(futstrat.Workload):
    """Tasks from a generator, results folded as they come; records how far task creation ever ran
    ahead of the results the workload had received, which is what the parent holds at once."""

    name = "lead-watching"
    description = "a lazy task stream that records how far ahead of the results it was read"
    params = (futstrat.Param("n", int, 200_000, "how many tasks", minimum=1),)

    def __init__(self) -> None:
        self.made = 0
        self.received = 0
        self.largest_lead = 0

    def tasks(self, params: Mapping[str, Any], plan: futstrat.PlanContext) -> Iterable[futstrat.Task]:
        self.made = self.received = self.largest_lead = 0
        return self._stream(params["n"])

    def _stream(self, n: int) -> Iterator[futstrat.Task]:
        for index in range(n):
            self.made += 1
            self.largest_lead = max(self.largest_lead, self.made - self.received)
            yield futstrat.Task(echo, (index,))

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        total = 0
        for result in results:
            self.received += 1
            total += result
        return total

    def check(
        self, value: Any, params: Mapping[str, Any], plan: futstrat.PlanContext, task_count: int
    ) -> futstrat.Check:
        expected = sum(range(params["n"]))
        return futstrat.Check(value == expected, expected, f"{value} against {expected}")


lead_watching = LeadWatchingWorkload()


def slow_square(x: int) -> int:
    total = 0
    for _ in range(20_000):
        total += 1
    return x * x + total - total


@futstrat.workload(params={"n": 64}, combine=sum, expected=lambda p: sum(i * i for i in range(p["n"])))
def squares_of_some_weight(i: int) -> int:
    return slow_square(i)


def first_items(n: int) -> list[int]:
    return list(itertools.islice(itertools.count(), n))
