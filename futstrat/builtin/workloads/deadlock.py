"""Two tasks that each wait on the other's future: the seed article's deadlock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.builtin.tasks import wait_on_peer
from futstrat.model import Check, Param, PlanContext, Task, Workload


class DeadlockWorkload(Workload):
    name = "deadlock"
    description = "two tasks each wait on the other's future; the runner must detect it and return"
    params = (Param("delay", float, 0.1, "seconds each task sleeps before waiting", minimum=0.0, maximum=60.0),)
    needs_peer_futures = True

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return [Task(wait_on_peer, (0, 1, params["delay"])), Task(wait_on_peer, (1, 0, params["delay"]))]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return list(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(False, "a deadlock", "the tasks finished, but each should have waited on the other forever")
