"""A workload whose reason is known: each task ships a large argument and does almost nothing with it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import futstrat


def length_of(payload: bytes) -> int:
    return len(payload)


class LargeArgument(futstrat.Workload):
    name = "large-argument"
    description = "tasks that each receive a large bytes argument and return its length (pickling-bound)"
    params = (
        futstrat.Param("tasks", int, 16, "how many tasks", minimum=1),
        futstrat.Param("kib", int, 1024, "the size of each task's argument in KiB", minimum=1),
    )

    def tasks(self, params: Mapping[str, Any], plan: futstrat.PlanContext) -> Iterable[futstrat.Task]:
        size = params["kib"] * 1024
        # A fresh object per task: one shared object would be pickled once per chunk, not once per task.
        return [futstrat.Task(length_of, (bytes(size),)) for _ in range(params["tasks"])]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        return sum(results)

    def check(
        self, value: Any, params: Mapping[str, Any], plan: futstrat.PlanContext, task_count: int
    ) -> futstrat.Check:
        expected = params["tasks"] * params["kib"] * 1024
        return futstrat.Check(value == expected, expected, f"{value} bytes arrived of {expected}")
