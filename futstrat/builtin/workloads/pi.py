"""pi by the Leibniz series, the seed article's CPU-bound example."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.builtin.tasks import leibniz_terms
from futstrat.model import Check, Param, PlanContext, Task, Workload
from futstrat.splitting import TASKS_PARAM, contiguous_ranges, task_count


def leibniz_error_bound(terms: int) -> float:
    """How far ``terms`` terms of the series may be from pi, with room for rounding in the sum."""
    return 4 / (2 * terms + 1) + terms * 4e-16


class PiWorkload(Workload):
    name = "pi"
    description = "pi by the Leibniz series, split into contiguous ranges of terms (CPU-bound)"
    params = (
        Param("n", int, 10_000_000, "number of terms of the series", minimum=1, maximum=10**10),
        TASKS_PARAM,
    )

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return [
            Task(leibniz_terms, (first, last))
            for first, last in contiguous_ranges(1, params["n"], task_count(params, plan))
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
