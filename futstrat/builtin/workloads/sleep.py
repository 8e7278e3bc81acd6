"""Tasks that wait, as I/O does: where threads shine despite the GIL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.builtin.tasks import nap
from futstrat.model import Check, Param, PlanContext, Task, TaskMap, Workload


class SleepWorkload(Workload):
    name = "sleep"
    description = "tasks that sleep, standing in for I/O waits"
    params = (
        Param("tasks", int, 20, "how many tasks", minimum=1, maximum=10_000_000),
        Param("seconds", float, 0.05, "how long each task sleeps", minimum=0.0, maximum=3600.0),
    )

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return TaskMap(nap, [params["seconds"]] * params["tasks"])

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        return sum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(value == params["tasks"], params["tasks"], f"{value} of {params['tasks']} tasks ran")
