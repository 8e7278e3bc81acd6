"""How the built-in workloads cut a range of work into tasks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from futstrat.model import Param, PlanContext

TASKS_PARAM = Param(
    name="tasks",
    kind=int,
    default=None,
    help="how many tasks to split the work into (default: one per worker)",
    minimum=1,
    maximum=10_000_000,
)


def task_count(params: Mapping[str, Any], plan: PlanContext, per_worker: int = 1) -> int:
    """The ``tasks`` parameter, or ``per_worker`` tasks for each worker when it is not set."""
    tasks = params.get("tasks")
    return int(tasks) if tasks is not None else plan.workers * per_worker


def contiguous_ranges(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """Split ``first..last`` (inclusive) into at most ``parts`` contiguous, nearly equal ranges."""
    total = last - first + 1
    parts = max(1, min(parts, total))
    size, extra = divmod(total, parts)
    ranges = []
    start = first
    for index in range(parts):
        stop = start + size + (1 if index < extra else 0) - 1
        ranges.append((start, stop))
        start = stop + 1
    return ranges
