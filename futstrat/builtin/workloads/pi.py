"""pi by the Leibniz series, the seed article's CPU-bound example."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.builtin.tasks import leibniz_terms
from futstrat.engine.splitting import contiguous_ranges, task_count
from futstrat.model import Check, Param, PlanContext, Task, Workload

#: Ranges of the series per worker by default. One each would leave a fast core idle while a slow one
#: finishes its half; on a shared or throttled machine the cores' speeds differ from second to second,
#: and with four ranges each the fast core takes over part of the slow one's share.
RANGES_PER_WORKER = 4


def leibniz_error_bound(terms: int) -> float:
    """How far ``terms`` terms of the series may be from pi, with room for rounding in the sum."""
    return 4 / (2 * terms + 1) + terms * 4e-16


class PiWorkload(Workload):
    name = "pi"
    description = "pi by the Leibniz series, split into contiguous ranges of terms (CPU-bound)"
    params = (
        Param("n", int, 10_000_000, "number of terms of the series", minimum=1, maximum=10**10),
        Param(
            "tasks",
            int,
            None,
            f"how many ranges to split the series into (default: {RANGES_PER_WORKER} per worker)",
            minimum=1,
            maximum=10_000_000,
        ),
    )

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return [
            Task(leibniz_terms, (first, last))
            for first, last in contiguous_ranges(1, params["n"], task_count(params, plan, RANGES_PER_WORKER))
        ]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> float:
        return math.fsum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        bound = leibniz_error_bound(params["n"])
        error = abs(value - math.pi)
        return Check(
            passed=error <= bound,
            expected=math.pi,
            detail=f"|pi - {value!r}| = {error:.3g}, series bound {bound:.3g}",
        )
