"""One run: vet, open sharing, start the executor, dispatch, watch, combine, check, shut down, close."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from attrs import frozen

from futstrat import params as param_rules
from futstrat.dispatch import (
    DeadlockFoundError,
    RunTimedOutError,
    TaskFailedError,
    run_tasks,
    wait_until_ready,
)
from futstrat.dotted import load_workload
from futstrat.errors import RefusedError, UsageError
from futstrat.model import (
    Check,
    Combination,
    ExecutorConfig,
    ExecutorSpec,
    PlanContext,
    RunReport,
    RunStatus,
    SharedStateNeed,
    SharingRequest,
    SharingSpec,
    Task,
    Timings,
    Workload,
)
from futstrat.peers import PeerFutureBoard
from futstrat.plugins import PluginHost, get_host
from futstrat.sharing import SharingSession

#: The watchdog's bound on one run when the caller gives none.
DEFAULT_TIMEOUT_SECONDS = 300.0


def usable_cpus() -> int:
    """The CPUs this process may run on, which can be fewer than the machine has."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@frozen
class RunPlan:
    """A vetted combination with its parameters resolved: everything a run needs to start."""

    workload: Workload
    strategy: ExecutorSpec
    sharing: SharingSpec
    workers: int
    start_method: str | None
    params: Mapping[str, Any]
    timeout: float

    @property
    def context(self) -> PlanContext:
        return PlanContext(workers=self.workers, sharing=self.sharing.name, strategy=self.strategy.name)

    @property
    def label(self) -> str:
        return f"{self.workload.name} x {self.strategy.name} x {self.sharing.name}"


def vet(combination: Combination, host: PluginHost | None = None) -> list[str]:
    """Every reason the plugins give against this combination (none means it may run)."""
    host = host or get_host()
    return [reason for reason in host.hook.futstrat_veto(combination=combination) if reason]


def plan_run(
    workload: Workload | str,
    strategy: ExecutorSpec | str = "serial",
    *,
    sharing: SharingSpec | str | None = None,
    workers: int | None = None,
    params: Mapping[str, Any] | None = None,
    start_method: str | None = None,
    timeout: float | None = None,
    host: PluginHost | None = None,
) -> RunPlan:
    """Resolve names and parameters and vet the combination; raises ``UsageError`` subclasses."""
    host = host or get_host()
    registry = host.registry
    chosen_workload = _resolve_workload(workload, host)
    chosen_strategy = strategy if isinstance(strategy, ExecutorSpec) else registry.strategies.get(strategy)
    if workers is None:
        workers = usable_cpus()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers must be a whole number of at least 1, got {workers!r}")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT_SECONDS
    if not timeout > 0:
        raise UsageError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if start_method is not None and start_method not in multiprocessing.get_all_start_methods():
        known = ", ".join(multiprocessing.get_all_start_methods())
        raise UsageError(f"unknown start method {start_method!r} (this platform offers: {known})")
    values = param_rules.resolve(chosen_workload, params or {})

    def combination(spec: SharingSpec) -> Combination:
        return Combination(chosen_workload, chosen_strategy, spec, workers, start_method)

    if sharing is None:
        chosen_sharing = _default_sharing(chosen_workload, chosen_strategy, combination, host)
    else:
        chosen_sharing = sharing if isinstance(sharing, SharingSpec) else registry.sharing.get(sharing)
    reasons = vet(combination(chosen_sharing), host)
    if reasons:
        raise RefusedError(f"{chosen_workload.name} x {chosen_strategy.name} x {chosen_sharing.name}", reasons)
    uses_processes = chosen_strategy.uses_start_method or chosen_sharing.uses_start_method
    method = (start_method or multiprocessing.get_start_method()) if uses_processes else None
    return RunPlan(chosen_workload, chosen_strategy, chosen_sharing, workers, method, values, float(timeout))


def _resolve_workload(workload: Workload | str, host: PluginHost) -> Workload:
    if isinstance(workload, Workload):
        return workload
    if ":" in workload:
        return load_workload(workload)
    return host.registry.workloads.get(workload)


def _default_sharing(
    workload: Workload,
    strategy: ExecutorSpec,
    combination: Callable[[SharingSpec], Combination],
    host: PluginHost,
) -> SharingSpec:
    """The first of the workload's preferred backends that is registered and not refused."""
    refusals: list[str] = []
    for name in workload.preferred_sharing:
        if name in host.registry.sharing:
            spec = host.registry.sharing.get(name)
            reasons = vet(combination(spec), host)
            if not reasons:
                return spec
            refusals.append(f"with sharing {name}: {'; '.join(reasons)}")
    if not refusals:
        refusals.append(f"none of its sharing backends ({', '.join(workload.preferred_sharing)}) is registered")
    raise RefusedError(f"{workload.name} x {strategy.name}", refusals)


def run(
    workload: Workload | str,
    strategy: ExecutorSpec | str = "serial",
    *,
    sharing: SharingSpec | str | None = None,
    workers: int | None = None,
    params: Mapping[str, Any] | None = None,
    start_method: str | None = None,
    timeout: float | None = None,
) -> RunReport:
    """Run ``workload`` under ``strategy`` and return its report; a refusal raises ``RefusedError``.

    >>> report = run("pi", "process", params={"n": 1_000_000})   # doctest: +SKIP
    >>> report.ok, report.value
    """
    plan = plan_run(
        workload,
        strategy,
        sharing=sharing,
        workers=workers,
        params=params,
        start_method=start_method,
        timeout=timeout,
    )
    return execute(plan)


def execute(plan: RunPlan, host: PluginHost | None = None) -> RunReport:
    """Carry out a vetted plan under the watchdog and report; never raises for a failing run."""
    host = host or get_host()
    host.hook.futstrat_run_started(plan=plan)
    report = _Run(plan).carry_out()
    host.hook.futstrat_run_finished(report=report)
    return report


class _Run:
    """The state of one run while it is under way."""

    def __init__(self, plan: RunPlan) -> None:
        self.plan = plan
        self.session: SharingSession | None = None
        self.executor: Any = None
        self.board: PeerFutureBoard | None = None
        self.tasks: list[Task] = []

    def carry_out(self) -> RunReport:
        plan = self.plan
        started = time.perf_counter()
        ready = computed = None
        deadline = time.monotonic() + plan.timeout
        status, value, check, error, remote_tb = RunStatus.ERROR, None, None, None, None
        try:
            self.tasks = list(plan.workload.tasks(plan.params, plan.context))
            extra = self._open()
            wait_until_ready(self.executor, plan.workers if plan.strategy.concurrent else 1, deadline)
            ready = time.perf_counter()
            results = run_tasks(self.executor, plan.strategy, self.tasks, extra, self.board, plan.workers, deadline)
            computed = time.perf_counter()
            shared_value = self.session.final_value() if self.session is not None else None
            value = plan.workload.combine(results, plan.params, shared_value)
            check = plan.workload.check(value, plan.params, plan.context, len(self.tasks))
            status = RunStatus.PASSED if check.passed else RunStatus.CHECK_FAILED
        except DeadlockFoundError as exc:
            status, error = RunStatus.DEADLOCK, str(exc)
        except RunTimedOutError as exc:
            status, error = RunStatus.TIMEOUT, f"{exc} ({plan.timeout:g} s)"
        except TaskFailedError as exc:
            status, error, remote_tb = RunStatus.ERROR, str(exc), exc.remote_traceback
        except Exception as exc:
            status, error = RunStatus.ERROR, f"{type(exc).__name__}: {exc}"
        finally:
            stopping = time.perf_counter()
            self._close(graceful=status in (RunStatus.PASSED, RunStatus.CHECK_FAILED))
            stopped = time.perf_counter()
        ready = ready or stopping
        computed = computed or stopping
        return RunReport(
            workload=plan.workload.name,
            strategy=plan.strategy.name,
            sharing=plan.sharing.name,
            workers=plan.workers,
            start_method=plan.start_method,
            params=dict(plan.params),
            status=status,
            value=value,
            check=check,
            timings=Timings(startup=ready - started, compute=computed - ready, shutdown=stopped - stopping),
            tasks=len(self.tasks),
            error=error,
            traceback=remote_tb,
        )

    def _open(self) -> dict[str, Any] | None:
        """Open the sharing backend and start the executor; return the tasks' extra arguments."""
        plan = self.plan
        crosses = plan.strategy.crosses_processes
        extra: dict[str, Any] | None = None
        initializer, initargs = None, ()
        if plan.sharing.open is not None and plan.workload.shared_state is not SharedStateNeed.NONE:
            parties = min(len(self.tasks), plan.workers) if plan.strategy.concurrent else 1
            self.session = plan.sharing.open(SharingRequest(plan.start_method, max(1, parties), crosses))
            extra = {"shared": self.session.task_argument(crosses)}
            if crosses:
                installer = self.session.worker_initializer()
                if installer is not None:
                    initializer, initargs = installer
        if plan.workload.needs_peer_futures:
            self.board = PeerFutureBoard()
            extra = {"peers": self.board}
        self.executor = plan.strategy.factory(ExecutorConfig(plan.workers, plan.start_method, initializer, initargs))
        return extra

    def _close(self, *, graceful: bool) -> None:
        if self.board is not None:
            self.board.abort()
        try:
            if self.executor is not None:
                if graceful:
                    self.executor.shutdown(wait=True)
                elif hasattr(self.executor, "terminate"):
                    self.executor.terminate()
                else:
                    self.executor.shutdown(wait=False, cancel_futures=True)
        finally:
            if self.session is not None:
                self.session.close()


__all__ = ["DEFAULT_TIMEOUT_SECONDS", "Check", "RunPlan", "execute", "plan_run", "run", "usable_cpus", "vet"]
