"""The workload contract: split into any number of tasks, combine, and the answer checks out.

A plugin's tests subclass :class:`WorkloadContract` and override the ``workload`` fixture. The checks
run the workload through the runner, in this process for every worker count in ``worker_counts`` and
once in worker processes started by ``spawn``, where only the tasks' names and picklable arguments
reach the workers: the way a plugin's code must be found again under ``spawn`` and ``forkserver``.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import pytest

from futstrat.errors import RefusedError
from futstrat.model import NAME_PATTERN, Param, PlanContext, RunReport, RunStatus, Workload
from futstrat.testing.bounded import time_limit
from futstrat.testing.counting import assert_explained

#: The strategy that runs tasks in worker processes for the cross-process check.
PROCESS_STRATEGY = "process"


def resolve_workload(named: Workload | str) -> Workload:
    """The workload itself, a registered name, or ``package.module:name``."""
    if isinstance(named, Workload):
        return named
    if ":" in named:
        from futstrat.dotted import load_workload

        return load_workload(named)
    from futstrat.plugins import get_host

    return get_host().registry.workloads.get(named)


class WorkloadContract:
    """A workload checked from any number of workers and across a process boundary.

    Override the ``workload`` fixture to return your :class:`~futstrat.Workload`, its registered name or
    ``"package.module:name"``; override ``workload_params`` to give parameters small enough for a test.
    """

    #: Worker counts the workload is split for.
    worker_counts: ClassVar[tuple[int, ...]] = (1, 2, 3, 5, 8)
    #: The status a run must end with; a workload that demonstrates a failure (such as a deadlock)
    #: names the failure the runner must report.
    expected_status: ClassVar[RunStatus] = RunStatus.PASSED
    #: Start method of the cross-process check: spawn imports everything afresh in the worker.
    process_start_method: ClassVar[str] = "spawn"
    #: Seconds after which any one test fails instead of waiting on.
    time_limit: ClassVar[float] = 60.0

    @pytest.fixture
    def workload(self) -> Workload | str:
        """Override: your workload, the name it is registered under, or ``package.module:name``."""
        pytest.fail(f"{type(self).__name__} must override the workload fixture", pytrace=False)

    @pytest.fixture
    def workload_params(self) -> Mapping[str, Any]:
        """Override to give parameters small enough for a test: the checks run the workload many times."""
        return {}

    @pytest.fixture(autouse=True)
    def _bounded_in_time(self) -> Iterator[None]:
        advice = "the workload hangs, or make params smaller (or raise time_limit) if it is just slow"
        with time_limit(self.time_limit, advice):
            yield

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "worker_count" in metafunc.fixturenames:
            counts = getattr(metafunc.cls, "worker_counts", self.worker_counts)
            metafunc.parametrize("worker_count", counts, ids=[f"{n}-workers" for n in counts])

    @pytest.fixture
    def resolved(self, workload: Workload | str) -> Workload:
        return resolve_workload(workload)

    def run(
        self,
        workload: Workload,
        params: Mapping[str, Any],
        strategy: str,
        workers: int,
        start_method: str | None = None,
    ) -> RunReport:
        """Plan and run; a refusal skips the test with its reasons, which are then the finding."""
        from futstrat.runner import execute, plan_run

        try:
            plan = plan_run(
                workload,
                strategy,
                workers=workers,
                params=params,
                start_method=start_method,
                timeout=self.time_limit,
            )
        except RefusedError as refusal:
            assert_explained(refusal, f"{workload.name} x {strategy}")
            pytest.skip(f"refused: {'; '.join(refusal.reasons)}")
        return execute(plan)

    def assert_expected(self, report: RunReport) -> None:
        where = f"{report.workload} x {report.strategy} x {report.sharing}, {report.workers} workers"
        unchecked_is_enough = self.expected_status is RunStatus.PASSED and report.status is RunStatus.UNCHECKED
        assert report.status is self.expected_status or unchecked_is_enough, (
            f"{where}: expected {self.expected_status.value}, got {report.status.value}:"
            f" {report.error or (report.check and report.check.detail)}"
        )
        if self.expected_status is RunStatus.PASSED:
            assert report.check is not None
            assert report.check.passed or not report.check.checked, f"{where}: {report.check.detail}"

    # -- the workload itself -------------------------------------------------------------------------
    def test_describes_itself(self, resolved: Workload, workload_params: Mapping[str, Any]) -> None:
        assert isinstance(resolved, Workload), f"workload gave {resolved!r}, not a Workload"
        assert NAME_PATTERN.match(resolved.name), f"name {resolved.name!r} is not lower-case words joined by - or _"
        assert resolved.description.strip(), "the description says in one line what the workload does"
        assert "\n" not in resolved.description, "the description is one line"
        names = [param.name for param in resolved.params]
        assert all(isinstance(param, Param) for param in resolved.params)
        assert len(names) == len(set(names)), f"parameter names repeat: {names}"
        from futstrat import params as param_rules

        param_rules.resolve(resolved, workload_params)  # the test's own parameters are valid

    def test_tasks_travel_by_name(self, resolved: Workload, workload_params: Mapping[str, Any]) -> None:
        """Workers started by spawn or forkserver get only pickles: functions by module and name."""
        if resolved.needs_peer_futures:
            pytest.skip(f"{resolved.name} waits on futures, so its tasks never leave this process")
        from futstrat import params as param_rules

        values = param_rules.resolve(resolved, workload_params)
        sharing = "none" if "none" in resolved.preferred_sharing else resolved.preferred_sharing[0]
        plan = PlanContext(workers=2, sharing=sharing, strategy=PROCESS_STRATEGY)
        for task in resolved.tasks(values, plan):
            name = getattr(task.fn, "__qualname__", repr(task.fn))
            for nested in ("<locals>", "<lambda>"):
                assert nested not in name, f"task function {name} is not module-level: no worker can import it"
            assert pickle.loads(pickle.dumps(task.fn)) is task.fn, f"{name} does not pickle by reference"
            pickle.dumps(task.args)

    # -- split and combine ---------------------------------------------------------------------------
    def test_answer_checks_out_from_any_number_of_workers(
        self, resolved: Workload, workload_params: Mapping[str, Any], worker_count: int
    ) -> None:
        # Waiting on peers' futures needs tasks that run at once; everything else runs in this thread.
        strategy = "thread" if resolved.needs_peer_futures else "serial"
        self.assert_expected(self.run(resolved, workload_params, strategy, worker_count))

    def test_answer_checks_out_in_worker_processes(
        self, resolved: Workload, workload_params: Mapping[str, Any]
    ) -> None:
        report = self.run(resolved, workload_params, PROCESS_STRATEGY, 2, self.process_start_method)
        self.assert_expected(report)
