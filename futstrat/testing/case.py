"""What the ``futstrat_combination`` fixture gives a test: one strategy and sharing backend to run under."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from attrs import frozen

from futstrat.errors import RefusedError, UsageError
from futstrat.model import RunReport, SharingSpec, StrategySpec, Workload
from futstrat.runner import RunPlan, execute, plan_run

#: The watchdog's bound on a run started from a test, unless the test gives its own.
DEFAULT_RUN_TIMEOUT_SECONDS = 60.0


@frozen
class StrategyCase:
    """One cell of the strategy matrix: a strategy, a sharing backend, a start method and a worker count.

    ``run`` and ``plan`` go through the runner with exactly this combination; a combination the vetting
    rules refuse skips the test with the refusal's reasons, so the matrix shows what cannot work and why.
    """

    strategy: StrategySpec
    sharing: SharingSpec
    start_method: str | None
    workers: int
    #: The workload named by the test's ``futstrat`` marker, used when ``run`` is given none.
    workload: Workload | str | None = None

    @property
    def label(self) -> str:
        method = f", start method {self.start_method}" if self.start_method else ""
        return f"{self.strategy.name} x {self.sharing.name} ({self.workers} workers{method})"

    def plan(
        self,
        workload: Workload | str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> RunPlan:
        """The vetted plan of ``workload`` under this combination; the test is skipped if it is refused."""
        chosen = workload if workload is not None else self.workload
        if chosen is None:
            raise UsageError("name the workload: case.run('pi'), or @pytest.mark.futstrat(workload='pi') on the test")
        try:
            return plan_run(
                chosen,
                self.strategy,
                sharing=self.sharing,
                workers=self.workers,
                params=params,
                start_method=self.start_method,
                timeout=DEFAULT_RUN_TIMEOUT_SECONDS if timeout is None else timeout,
            )
        except RefusedError as refusal:
            pytest.skip(f"refused: {'; '.join(refusal.reasons)}")

    def run(
        self,
        workload: Workload | str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> RunReport:
        """Run ``workload`` under this combination and return its report (failures are in the report)."""
        return execute(self.plan(workload, params=params, timeout=timeout))
