"""Every hook a futstrat plugin may implement.

Registration hooks receive a ``register`` callable from the core instead of returning objects, so the
core validates, names the plugin that registered each thing and reports duplicates in one place. The
built-in strategies, sharing backends and workloads use exactly these hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from futstrat.measure import Trial
    from futstrat.model import Combination, RunReport, SharingSpec, StrategySpec, Workload
    from futstrat.runner import RunPlan

PROJECT_NAME = "futstrat"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Old hook names that still work, and the hook that replaces each.
DEPRECATED_HOOKS = {"futstrat_register_executors": "futstrat_register_strategies"}


@hookspec
def futstrat_register_workloads(register: Callable[[Workload], None]) -> None:
    """Register workloads by calling ``register(workload)`` once for each.

    A workload is a :class:`futstrat.Workload` instance; its ``name`` must be unique across plugins.
    """


@hookspec
def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    """Register strategies by calling ``register(StrategySpec(...))`` once for each.

    The spec's factory is called in the parent process with an :class:`futstrat.ExecutorConfig` and
    must return a ``concurrent.futures.Executor``-compatible object.
    """


@hookspec(
    warn_on_impl=DeprecationWarning(
        "futstrat_register_executors is deprecated; implement futstrat_register_strategies, which takes"
        " the same register callable"
    )
)
def futstrat_register_executors(register: Callable[[StrategySpec], None]) -> None:
    """The old name of :func:`futstrat_register_strategies`; it still works and warns once per plugin."""


@hookspec
def futstrat_register_sharing(register: Callable[[SharingSpec], None]) -> None:
    """Register sharing backends by calling ``register(SharingSpec(...))`` once for each."""


@hookspec
def futstrat_veto(combination: Combination) -> str | None:
    """Return a sentence saying why ``combination`` cannot work, or None to let it run.

    Every plugin is asked; all reasons given are shown to the user. The built-in rules (raw shared
    memory needs an initializer, futures are not shared between processes ...) are implemented here too.
    """


@hookspec
def futstrat_run_started(plan: RunPlan) -> None:
    """Called in the parent when a vetted run is about to open its sharing backend and executor."""


@hookspec
def futstrat_run_finished(report: RunReport) -> None:
    """Called in the parent with the report of every run that got past vetting, passed or not."""


@hookspec
def futstrat_trial_finished(trial: Trial, done: int, total: int) -> None:
    """Called in the parent after each run of ``futstrat compare`` (or ``futstrat claims``) ends.

    ``trial`` is a :class:`futstrat.measure.Trial`: the combination, whether it was a warm-up, its
    ``RunReport`` and the CPU time used during it. ``done`` of ``total`` planned runs are finished, so
    a reporter can show progress. It is called for warm-ups and failed runs too.
    """
