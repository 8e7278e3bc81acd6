"""Many tiny tasks: what dispatch costs, and proof that none is lost or run twice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from futstrat.model import Check, Param, PlanContext, Task, Workload


def echo(index: int) -> int:
    return index


class TinyTasksWorkload(Workload):
    name = "tiny"
    description = "n tiny tasks that each return their own index: dispatch overhead, nothing lost or doubled"
    params = (Param("n", int, 100_000, "how many tasks", minimum=1, maximum=100_000_000),)

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return (Task(echo, (index,)) for index in range(params["n"]))

    def combine(self, results: Sequence[Any], params: Mapping[str, Any], shared_value: int | None) -> dict[str, int]:
        return {
            "results": len(results),
            "distinct": len(set(results)),
            "in_order": int(list(results) == sorted(results)),
        }

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        n = params["n"]
        passed = value["results"] == n and value["distinct"] == n and value["in_order"] == 1
        return Check(
            passed,
            {"results": n, "distinct": n, "in_order": 1},
            f"{value['distinct']} of {n} tasks came back once each, in order",
        )
