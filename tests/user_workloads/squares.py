"""A user's own workloads, found by dotted path with no plugin (``tests.user_workloads.squares:...``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import futstrat


@futstrat.workload(params={"n": 300}, combine=sum, expected=lambda p: sum(i * i for i in range(p["n"])))
def square(i: int) -> int:
    return i * i


@futstrat.workload(combine=sum, expected=lambda p: -1)
def wrong_answer(i: int) -> int:
    return i


def cube(x: int) -> int:
    return x**3


class SumOfCubes(futstrat.Workload):
    name = "sum-of-cubes"
    description = "a class-based workload"
    params = (futstrat.Param("n", int, 10, "how many cubes", minimum=1),)

    def tasks(self, params: Mapping[str, Any], plan: futstrat.PlanContext) -> Iterable[futstrat.Task]:
        return [futstrat.Task(cube, (i,)) for i in range(params["n"])]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        return sum(results)

    def check(
        self, value: Any, params: Mapping[str, Any], plan: futstrat.PlanContext, task_count: int
    ) -> futstrat.Check:
        expected = (params["n"] * (params["n"] - 1) // 2) ** 2
        return futstrat.Check(value == expected, expected, f"{value} vs {expected}")


def raise_value_error(i: int) -> int:
    raise ValueError(f"item {i} is not welcome")


failing = futstrat.workload(name="failing", combine=sum)(raise_value_error)

NOT_A_WORKLOAD = 42
