"""The rules that refuse combinations which cannot work, read from the specs' capabilities."""

from __future__ import annotations

from futstrat.hookspecs import hookimpl
from futstrat.model import Combination, SharedStateNeed, SharingSpec, StrategySpec


def refusal_reason(combination: Combination) -> str | None:
    workload, strategy, sharing = combination.workload, combination.strategy, combination.sharing
    if workload.needs_peer_futures:
        if not strategy.concurrent:
            return (
                f"{workload.name!r} needs two tasks waiting on each other at the same time,"
                f" and {strategy.name!r} runs one task at a time"
            )
        if not strategy.shares_futures:
            return (
                f"futures are not shared between processes: {workload.name!r} has tasks wait on each"
                f" other's futures, which only a thread strategy allows, not {strategy.name!r}"
            )
        if combination.workers < 2:
            return f"{workload.name!r} needs at least 2 workers so that both tasks run at once"
    if workload.shared_state is SharedStateNeed.NONE and sharing.open is not None:
        return (
            f"{workload.name!r} shares no state (its results come back through futures),"
            f" so sharing {sharing.name!r} has nothing to carry: use --sharing none"
        )
    if workload.shared_state is SharedStateNeed.REQUIRED and sharing.open is None:
        return f"{workload.name!r} needs shared state: choose a sharing backend such as 'value' or 'manager'"
    if strategy.pickles_tasks and sharing.open is not None:
        return _refusal_for_pickled_tasks(strategy, sharing)
    return None


def _refusal_for_pickled_tasks(strategy: StrategySpec, sharing: SharingSpec) -> str | None:
    """Why the state cannot reach tasks that are pickled to their workers, if it cannot."""
    if not sharing.crosses_processes:
        if not strategy.crosses_processes:
            return (
                f"sharing {sharing.name!r} only works inside one process, and {strategy.name!r} pickles"
                " its tasks to workers that do not share this process's objects"
            )
        return f"sharing {sharing.name!r} only works inside one process, and {strategy.name!r} uses several"
    if sharing.raw_shared_memory and not strategy.carries_raw_shared_memory:
        installed = (
            f"which {strategy.name!r} does not offer"
            if not strategy.supports_initializer
            else f"and {strategy.name!r}'s cannot carry it (its workers do not inherit memory from this process)"
        )
        return (
            f"sharing {sharing.name!r} is raw shared memory, which cannot be passed to another process"
            f" as a task argument; it must be installed by the pool's initializer, {installed}"
        )
    if sharing.needs_initializer and not strategy.supports_initializer:
        return (
            f"sharing {sharing.name!r} installs its state in each worker through the pool's initializer,"
            f" which {strategy.name!r} does not offer"
        )
    return None


@hookimpl
def futstrat_veto(combination: Combination) -> str | None:
    return refusal_reason(combination)
