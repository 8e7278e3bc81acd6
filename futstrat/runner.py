"""One run: vet, open sharing, start the executor, dispatch, watch, combine, check, shut down, close."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping
from typing import Any

from attrs import frozen

from futstrat import params as param_rules
from futstrat.dotted import load_workload
from futstrat.engine.execution import ComputeObserver, RunExecution
from futstrat.errors import RefusedError, UsageError
from futstrat.guest import guest_code
from futstrat.main_guard import refuse_inside_worker_bootstrap
from futstrat.model import (
    Check,
    Combination,
    PlanContext,
    RunReport,
    SharingSpec,
    StrategySpec,
    Workload,
)
from futstrat.plugins import PluginHost, get_host
from futstrat.start_methods import start_method_or_default

#: The watchdog's bound on one run when the caller gives none.
DEFAULT_TIMEOUT_SECONDS = 300.0
#: A longer timeout is a typo, and past about 292 years the clocks a deadline is set on overflow.
MAX_TIMEOUT_SECONDS = 365 * 24 * 3600.0
#: More workers than this is a typo, not a plan.
MAX_WORKERS = 1024


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
    strategy: StrategySpec
    sharing: SharingSpec
    workers: int
    start_method: str | None
    params: Mapping[str, Any]
    timeout: float
    #: Seconds one task may run before its worker process is killed; None for no such limit.
    task_timeout: float | None = None
    #: Tasks sent to a worker together; None for "auto" (a pilot chooses).
    chunksize: int | None = None

    @property
    def context(self) -> PlanContext:
        return PlanContext(workers=self.workers, sharing=self.sharing.name, strategy=self.strategy.name)

    @property
    def label(self) -> str:
        return f"{self.workload.name} x {self.strategy.name} x {self.sharing.name}"


def vet(combination: Combination, host: PluginHost | None = None) -> list[str]:
    """Every reason the plugins give against this combination (none means it may run)."""
    host = host or get_host()
    with guest_code("a plugin's futstrat_veto hook"):
        reasons = host.hook.futstrat_veto(combination=combination)
    return [reason for reason in reasons if reason]


def plan_run(
    workload: Workload | str,
    strategy: StrategySpec | str = "serial",
    *,
    sharing: SharingSpec | str | None = None,
    workers: int | None = None,
    params: Mapping[str, Any] | None = None,
    start_method: str | None = None,
    timeout: float | None = None,
    task_timeout: float | None = None,
    chunksize: int | None = None,
    host: PluginHost | None = None,
) -> RunPlan:
    """Resolve names and parameters and vet the combination; raises ``UsageError`` subclasses."""
    refuse_inside_worker_bootstrap("a futstrat run")
    host = host or get_host()
    registry = host.registry
    chosen_workload = _resolve_workload(workload, host)
    chosen_strategy = strategy if isinstance(strategy, StrategySpec) else registry.strategies.get(strategy)
    if workers is None:
        workers = usable_cpus()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers must be a whole number of at least 1, got {workers!r}")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT_SECONDS
    _check_timeouts(timeout, task_timeout)
    if workers > MAX_WORKERS:
        raise UsageError(f"workers must be at most {MAX_WORKERS}, got {workers}")
    if chunksize is not None and (isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1):
        raise UsageError(f"the chunk size must be a whole number of at least 1 (or auto), got {chunksize!r}")
    if start_method is not None and start_method not in multiprocessing.get_all_start_methods():
        known = ", ".join(multiprocessing.get_all_start_methods())
        raise UsageError(f"unknown start method {start_method!r} (this platform offers: {known})")
    values = param_rules.resolve(chosen_workload, params or {})

    def combination(spec: SharingSpec) -> Combination:
        return Combination(chosen_workload, chosen_strategy, spec, workers, start_method, values)

    if sharing is None:
        chosen_sharing = _default_sharing(chosen_workload, chosen_strategy, combination, host)
    else:
        chosen_sharing = sharing if isinstance(sharing, SharingSpec) else registry.sharing.get(sharing)
    reasons = vet(combination(chosen_sharing), host)
    if task_timeout is not None and not (chosen_strategy.crosses_processes and chosen_strategy.supports_initializer):
        reasons.append(
            f"a per-task timeout kills the worker process of a task that runs too long, and {chosen_strategy.name!r}"
            " has no worker process to kill (a thread cannot be killed): use --timeout for the whole run"
        )
    if reasons:
        raise RefusedError(f"{chosen_workload.name} x {chosen_strategy.name} x {chosen_sharing.name}", reasons)
    uses_processes = chosen_strategy.uses_start_method or chosen_sharing.uses_start_method
    method = start_method_or_default(start_method) if uses_processes else None
    return RunPlan(
        chosen_workload,
        chosen_strategy,
        chosen_sharing,
        workers,
        method,
        values,
        float(timeout),
        None if task_timeout is None else float(task_timeout),
        chunksize,
    )


def _check_timeouts(timeout: float, task_timeout: float | None) -> None:
    if not timeout > 0:
        raise UsageError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if task_timeout is not None and not task_timeout > 0:
        raise UsageError(f"the task timeout must be a positive number of seconds, got {task_timeout!r}")
    if timeout > MAX_TIMEOUT_SECONDS or (task_timeout is not None and task_timeout > MAX_TIMEOUT_SECONDS):
        raise UsageError(f"a timeout must be at most {MAX_TIMEOUT_SECONDS:,.0f} seconds (a year)")


def _resolve_workload(workload: Workload | str, host: PluginHost) -> Workload:
    if isinstance(workload, Workload):
        return workload
    if ":" in workload:
        return load_workload(workload)
    return host.registry.workloads.get(workload)


def _default_sharing(
    workload: Workload,
    strategy: StrategySpec,
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
    strategy: StrategySpec | str = "serial",
    *,
    sharing: SharingSpec | str | None = None,
    workers: int | None = None,
    params: Mapping[str, Any] | None = None,
    start_method: str | None = None,
    timeout: float | None = None,
    task_timeout: float | None = None,
    chunksize: int | None = None,
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
        task_timeout=task_timeout,
        chunksize=chunksize,
    )
    return execute(plan)


def execute(plan: RunPlan, host: PluginHost | None = None, observer: ComputeObserver | None = None) -> RunReport:
    """Carry out a vetted plan under the watchdog and report; never raises for a failing run.

    ``observer`` is told when the compute phase starts and ends, outside the phase's timing.
    """
    host = host or get_host()
    with guest_code("a plugin's futstrat_run_started hook"):
        host.hook.futstrat_run_started(plan=plan)
    report = RunExecution(plan, observer).carry_out()
    with guest_code("a plugin's futstrat_run_finished hook"):
        host.hook.futstrat_run_finished(report=report)
    return report


__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_TIMEOUT_SECONDS",
    "Check",
    "RunPlan",
    "execute",
    "plan_run",
    "run",
    "usable_cpus",
    "vet",
]
