"""One run: vet, open sharing, start the executor, dispatch, watch, combine, check, shut down, close."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
from attrs import frozen

from futstrat import params as param_rules
from futstrat.dotted import load_workload
from futstrat.engine.execution import ComputeObserver, RunExecution
from futstrat.engine.worker_watch import has_killable_workers
from futstrat.errors import RefusedError
from futstrat.guest import guest_code
from futstrat.machine.cpus import UsableCpus, read_usable_cpus
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
from futstrat.options import DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, MAX_WORKERS, RunOptions, options_from
from futstrat.plugins import PluginHost, get_host
from futstrat.start_methods import resolve_start_method


def usable_cpus() -> int:
    """The CPUs this process may use, which can be fewer than the machine has: the default worker count."""
    return usable_cpus_and_source().count


def usable_cpus_and_source() -> UsableCpus:
    """The usable CPUs with the limit that decided them: affinity, a control group's quota or an override."""
    return read_usable_cpus()


@frozen
class RunPlan:
    """A vetted combination with its parameters resolved: everything a run needs to start."""

    workload: Workload
    strategy: StrategySpec
    sharing: SharingSpec
    #: The workers the run starts (the options' number, or the usable CPUs).
    workers: int
    #: The start method resolved once for the whole run; None when nothing in it starts processes.
    start_method: str | None
    params: Mapping[str, Any]
    #: The options as asked for; ``workers`` and ``start_method`` above are what they resolved to.
    options: RunOptions = attrs.field(factory=RunOptions)
    #: The strategy's options, converted and with their defaults, as its factory receives them.
    strategy_options: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def timeout(self) -> float:
        return self.options.timeout

    @property
    def task_timeout(self) -> float | None:
        """Seconds one task may run before its worker process is killed; None for no such limit."""
        return self.options.task_timeout

    @property
    def chunksize(self) -> int | None:
        """Tasks sent to a worker together; None for "auto" (a pilot chooses)."""
        return self.options.chunksize

    @property
    def context(self) -> PlanContext:
        return PlanContext(workers=self.workers, sharing=self.sharing.name, strategy=self.strategy.name)

    @property
    def label(self) -> str:
        return f"{self.workload.name} x {self.strategy.name} x {self.sharing.name}"

    @property
    def running_workers(self) -> int:
        """The workers that run tasks: one for a strategy that runs them one at a time (serial), whose
        tasks are still split for ``workers`` so that it does the same work as the others."""
        return self.workers if self.strategy.concurrent else 1


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
    strategy_options: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
    host: PluginHost | None = None,
) -> RunPlan:
    """Resolve names and parameters and vet the combination; raises ``UsageError`` subclasses.

    The run options come as ``options=RunOptions(...)`` or as the loose keywords, not both.
    """
    refuse_inside_worker_bootstrap("a futstrat run")
    options = options_from(
        options,
        workers=workers,
        start_method=start_method,
        timeout=timeout,
        task_timeout=task_timeout,
        chunksize=chunksize,
        strategy_options=strategy_options,
    )
    host = host or get_host()
    registry = host.registry
    chosen_workload = _resolve_workload(workload, host)
    chosen_strategy = strategy if isinstance(strategy, StrategySpec) else registry.strategies.get(strategy)
    resolved_workers = usable_cpus() if options.workers is None else options.workers
    values = param_rules.resolve(chosen_workload, params or {})
    chosen_options = param_rules.resolve_options(chosen_strategy, options.strategy_options)

    def method_for(spec: SharingSpec) -> str | None:
        """The one start method of the run: resolved here, and seen alike by the vetoes and the run."""
        if chosen_strategy.start_methods is not None:
            return resolve_start_method(options.start_method, chosen_strategy.start_methods)
        if spec.uses_start_method:
            return resolve_start_method(options.start_method, None)
        return None

    def combination(spec: SharingSpec) -> Combination:
        return Combination(
            chosen_workload, chosen_strategy, spec, resolved_workers, method_for(spec), chosen_options, values
        )

    if sharing is None:
        chosen_sharing = _default_sharing(chosen_workload, chosen_strategy, combination, host)
    else:
        chosen_sharing = sharing if isinstance(sharing, SharingSpec) else registry.sharing.get(sharing)
    chosen = combination(chosen_sharing)
    reasons = [*core_refusals(chosen, options), *vet(chosen, host)]
    if reasons:
        raise RefusedError(chosen_workload.name, chosen_strategy.name, chosen_sharing.name, reasons)
    return RunPlan(
        chosen_workload,
        chosen_strategy,
        chosen_sharing,
        resolved_workers,
        chosen.start_method,
        values,
        options,
        chosen_options,
    )


def core_refusals(combination: Combination, options: RunOptions) -> list[str]:
    """The reasons futstrat itself, from the strategy's declarations, gives against running as asked."""
    strategy, reasons = combination.strategy, []
    supported = strategy.start_methods
    method = combination.start_method
    if supported is not None and method is not None and method not in supported:
        reasons.append(
            f"{strategy.name!r} supports the start methods {', '.join(supported)}, not {method}:"
            f" choose one of those with --start-method"
        )
    asked = options.start_method
    if asked is not None and supported is None and strategy.crosses_processes and method is None:
        reasons.append(
            f"{strategy.name!r} starts its worker processes its own way (it declares no start method),"
            f" so --start-method {asked} cannot apply: leave it out"
        )
    if options.task_timeout is not None and not has_killable_workers(strategy):
        reasons.append(
            f"a per-task timeout kills the worker process of a task that runs too long, and {strategy.name!r}"
            " has no worker process to kill (a thread cannot be killed): use --timeout for the whole run"
        )
    return reasons


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
    raise RefusedError(workload.name, strategy.name, None, refusals)


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
    strategy_options: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
) -> RunReport:
    """Run ``workload`` under ``strategy`` and return its report; a refusal raises ``RefusedError``.

    >>> report = run("pi", "process", params={"n": 1_000_000})   # doctest: +SKIP
    >>> report.ok, report.value
    """
    plan = plan_run(
        workload,
        strategy,
        sharing=sharing,
        params=params,
        options=options_from(
            options,
            workers=workers,
            start_method=start_method,
            timeout=timeout,
            task_timeout=task_timeout,
            chunksize=chunksize,
            strategy_options=strategy_options,
        ),
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
    "MAX_WORKERS",
    "Check",
    "RunOptions",
    "RunPlan",
    "execute",
    "plan_run",
    "run",
    "usable_cpus",
    "usable_cpus_and_source",
    "vet",
]
