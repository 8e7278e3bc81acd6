"""A user's own workloads whose code goes wrong in the parent, or answers in ways a user meets first."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from typing import Any

import futstrat


def identity(i: int) -> int:
    return i


def _first_of_nothing(params: Mapping[str, Any]) -> list[int]:
    return [[]][0][0]  # IndexError, raised on this line


def _combine_badly(results: Iterable[int]) -> int:
    total = sum(results)
    return [total][1]  # noqa: PLE0643 (the IndexError is the point)


def _expect_badly(params: Mapping[str, Any]) -> int:
    return {}["missing"]  # KeyError, raised on this line


def _twice(results: Iterable[int]) -> tuple[int, int]:
    return sum(results), max(results)


broken_items = futstrat.workload(name="broken-items", items=_first_of_nothing, combine=sum)(identity)
broken_combine = futstrat.workload(name="broken-combine", combine=_combine_badly)(identity)
broken_check = futstrat.workload(name="broken-check", combine=sum, expected=_expect_badly)(identity)
no_expected = futstrat.workload(name="no-expected", params={"n": 10}, combine=sum)(identity)
many_entries = futstrat.workload(
    name="many-entries", params={"n": 50}, combine=lambda results: {f"item-{i:02d}": i for i in results}
)(identity)
counted = futstrat.workload(name="counted", params={"n": 30}, combine=len, expected=lambda p: p["n"])(identity)
sorted_answer = futstrat.workload(name="sorted-answer", params={"n": 5}, combine=sorted)(identity)
largest = futstrat.workload(name="largest", params={"n": 5}, combine=max, expected=lambda p: p["n"] - 1)(identity)
tallied = futstrat.workload(name="tallied", params={"n": 6}, combine=collections.Counter)(identity)
read_twice = futstrat.workload(name="read-twice", params={"n": 5}, combine=_twice, expected=lambda p: (10, 4))(identity)


class BrokenTasks(futstrat.Workload):
    """A class-based workload whose task generator raises after two tasks."""

    name = "broken-tasks"
    description = "a task stream that breaks"

    def tasks(self, params: Mapping[str, Any], plan: futstrat.PlanContext) -> Iterable[futstrat.Task]:
        for i in range(5):
            if i == 2:
                raise ValueError("no third task")  # raised on this line
            yield futstrat.Task(identity, (i,))

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        return sum(results)

    def check(
        self, value: Any, params: Mapping[str, Any], plan: futstrat.PlanContext, task_count: int
    ) -> futstrat.Check:
        return futstrat.Check(True, None, "anything goes")


streamed_len = futstrat.workload(name="streamed-len", params={"n": 5}, combine=len, stream=True)(identity)


@futstrat.workload(params={"n": 4}, combine=list)
def scaled(i: int, *, factor: int = 1, label: str = "x") -> str:
    return f"{label}{i * factor}"
