"""Many tiny tasks: what dispatch costs, and proof that none is lost or run twice."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.builtin.tasks import echo
from futstrat.model import Check, Param, PlanContext, Task, TaskMap, Workload


class TinyTasksWorkload(Workload):
    name = "tiny"
    description = "n tiny tasks that each return their own index: dispatch overhead, nothing lost or doubled"
    params = (
        Param("n", int, 100_000, "how many tasks", minimum=1, maximum=1_000_000_000),
        Param("lazy", bool, False, "make the tasks one by one in a generator instead of mapping over a range"),
    )

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        if params["lazy"]:
            return (Task(echo, (index,)) for index in range(params["n"]))
        return TaskMap(echo, range(params["n"]))

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> dict[str, int]:
        # Folded as the results stream in, in C loops: a run of a billion tasks holds none of them.
        # map() stops at the end of the results before it takes the next index, so the counter's
        # next value is the number of results.
        indexes = itertools.count()
        misplaced = sum(map(operator.ne, results, indexes))
        return {"results": next(indexes), "misplaced": misplaced}

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        n = params["n"]
        passed = value == {"results": n, "misplaced": 0}
        detail = f"{value['results']} of {n} results, {value['misplaced']} not where their task's index says"
        return Check(passed, {"results": n, "misplaced": 0}, detail)
