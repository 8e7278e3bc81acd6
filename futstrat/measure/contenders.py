"""The combinations a comparison measures, each vetted up front: a refusal is kept with its reasons."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from attrs import frozen

from futstrat.errors import RefusedError, UnknownNameError, UsageError
from futstrat.model import StrategySpec
from futstrat.options import RunOptions, options_from
from futstrat.plugins import PluginHost, get_host
from futstrat.runner import RunPlan, plan_run

#: Written for the strategies or sharing backends to mean every registered one.
ALL = "all"


@frozen
class Contender:
    """One workload x strategy x sharing combination: a vetted plan, or the reasons it was refused."""

    workload: str
    strategy: str
    sharing: str | None  # None when no sharing backend was named and none could be chosen
    plan: RunPlan | None
    reasons: tuple[str, ...] = ()
    #: The worker count when a sweep measures several (see ``measure.sweep``); None otherwise.
    sweep_workers: int | None = None

    @property
    def refused(self) -> bool:
        return self.plan is None

    @property
    def label(self) -> str:
        label = f"{self.workload} x {self.strategy} x {self.sharing or 'default sharing'}"
        if self.sweep_workers is not None:
            label += f" x {self.sweep_workers} worker{'s' if self.sweep_workers != 1 else ''}"
        return label

    @property
    def short_name(self) -> str:
        """The combination as a list of them names it, as the tables do: the strategy, its worker count in
        a sweep (``process x2``), and its sharing backend unless that is none (``thread (sharing shm)``),
        so that no two combinations of one comparison read the same."""
        name = self.strategy if self.sweep_workers is None else f"{self.strategy} x{self.sweep_workers}"
        return name if self.sharing in (None, "none") else f"{name} (sharing {self.sharing})"


def split_names(text: str | None) -> list[str] | None:
    """``"a, b,c"`` to ``["a", "b", "c"]``; None (not given) stays None."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UsageError("give at least one name, or 'all'")
    return names


def resolve_names(requested: Sequence[str] | None, known: Sequence[str], kind: str) -> list[str] | None:
    """Expand ``all`` and check every name against the registry, in the order given, without repeats."""
    if requested is None:
        return None
    chosen: list[str] = []
    for name in requested:
        for item in known if name == ALL else [name]:
            if item not in known:
                raise UnknownNameError(kind, item, known)
            if item not in chosen:
                chosen.append(item)
    return chosen


def plan_contenders(
    workload: str,
    strategies: Sequence[str] | None = None,
    sharing: Sequence[str] | None = None,
    *,
    workers: int | None = None,
    params: Mapping[str, Any] | None = None,
    start_method: str | None = None,
    timeout: float | None = None,
    task_timeout: float | None = None,
    chunksize: int | None = None,
    strategy_options: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
    host: PluginHost | None = None,
) -> list[Contender]:
    """Plan each strategy x sharing backend; ``None`` means every strategy, and each one's default sharing.

    Unknown names and bad parameters raise ``UsageError`` at once: those are typing mistakes, not
    combinations to report on. A strategy option goes to the strategies that declare it; one that no
    chosen strategy declares is such a mistake.
    """
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
    strategy_names = resolve_names(strategies, registry.strategies.names(), "strategy") or registry.strategies.names()
    sharing_names: Iterable[str | None] = resolve_names(sharing, registry.sharing.names(), "sharing backend") or [None]
    sharing_list = list(sharing_names)
    specs = [registry.strategies.get(name) for name in strategy_names]
    check_options_are_declared(options.strategy_options, specs)
    contenders: list[Contender] = []
    for spec in specs:
        own = options.replace(strategy_options=options_declared_by(spec, options.strategy_options))
        for backend in sharing_list:
            contenders.append(_plan_one(workload, spec.name, backend, params, own, host))
    return contenders


def options_declared_by(spec: StrategySpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """The strategy options among ``given`` that ``spec`` declares."""
    declared = {param.name for param in spec.params}
    return {name: value for name, value in given.items() if name in declared}


def check_options_are_declared(given: Mapping[str, Any], specs: Sequence[StrategySpec]) -> None:
    """An option that none of the chosen strategies declares is a typing mistake: say which ones exist."""
    declared = {param.name: spec.name for spec in specs for param in spec.params}
    for name in given:
        if name not in declared:
            raise UnknownNameError("option", name, declared, owner="the chosen strategies")


def _plan_one(
    workload: str,
    strategy: str,
    sharing: str | None,
    params: Mapping[str, Any] | None,
    options: RunOptions,
    host: PluginHost,
) -> Contender:
    try:
        plan = plan_run(workload, strategy, sharing=sharing, params=params, options=options, host=host)
    except RefusedError as exc:
        return Contender(exc.workload, strategy, sharing, None, tuple(exc.reasons))
    return Contender(plan.workload.name, plan.strategy.name, plan.sharing.name, plan)
