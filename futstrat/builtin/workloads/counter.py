"""The shared counter: 10,000 increments per task, under its lock or racing without it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.builtin.tasks import count_locally, count_racing, count_under_lock
from futstrat.engine.splitting import TASKS_PARAM, task_count
from futstrat.model import Check, Param, PlanContext, Task, Workload
from futstrat.shared_state import SharedStateNeed

INCREMENTS_PARAM = Param("increments", int, 10_000, "increments each task makes", minimum=1, maximum=100_000_000)


class CounterWorkload(Workload):
    name = "counter"
    description = "each task increments a shared counter under its lock; with sharing none, counts come back as results"
    params = (INCREMENTS_PARAM, TASKS_PARAM)
    shared_state = SharedStateNeed.OPTIONAL
    preferred_sharing: tuple[str, ...] = ("value", "manager", "none")

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        fn = count_locally if plan.sharing == "none" else count_under_lock
        return [Task(fn, (params["increments"],))] * task_count(params, plan)

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        return sum(results) if shared_value is None else shared_value

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        expected = task_count * params["increments"]
        return Check(
            passed=value == expected,
            expected=expected,
            detail=f"{value} of {expected} increments counted",
        )


class CounterRaceWorkload(CounterWorkload):
    name = "counter-race"
    description = "the shared counter without its lock: tasks start together and updates get lost"
    shared_state = SharedStateNeed.REQUIRED
    preferred_sharing = ("value", "manager")

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return [Task(count_racing, (params["increments"],))] * task_count(params, plan)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        # A demonstration: it passes when it reports what happened, lost updates or none.
        expected = task_count * params["increments"]
        lost = expected - value
        if lost > 0:
            detail = f"{lost} of {expected} updates lost ({lost / expected:.1%}) without the lock"
        else:
            detail = f"no updates lost this time ({value} of {expected}); the race is still there"
        return Check(passed=0 <= lost < expected, expected=expected, detail=detail)
