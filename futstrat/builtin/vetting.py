"""The rules that refuse combinations which cannot work, read from the specs' capabilities."""

from __future__ import annotations

import attrs

from futstrat.hookspecs import hookimpl
from futstrat.model import Combination, PlanContext, SharingSpec, StrategySpec
from futstrat.shared_state import SLOT_KINDS, SharedStateNeed, slots_for


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
        reason = _refusal_for_pickled_tasks(strategy, sharing)
        if reason is not None:
            return reason
    return slot_refusal(combination)


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


#: Why a built-in kind of backend cannot serve a slot kind, where the reason is more than "it does not".
_CANNOT_SERVE = {"mapping": "is raw memory and has no dict"}


def slot_refusal(combination: Combination) -> str | None:
    """Refuse a backend that does not serve every slot kind the workload declares, naming one that does."""
    workload, sharing = combination.workload, combination.sharing
    if workload.shared_state is SharedStateNeed.NONE or sharing.open is None:
        return None
    plan = PlanContext(combination.workers, sharing.name, combination.strategy.name)
    try:
        slots, _legacy = slots_for(workload, combination.params, plan)
    except Exception as exc:  # the workload's own code: its mistake is the reason
        return f"{workload.name!r} could not declare its shared slots: {type(exc).__name__}: {exc}"
    for name, slot in slots.items():
        if slot.kind not in sharing.slot_kinds:
            served = ", ".join(kind for kind in SLOT_KINDS if kind in sharing.slot_kinds) or "no"
            why = _CANNOT_SERVE.get(slot.kind, "") if sharing.raw_shared_memory else ""
            reason = f"sharing {sharing.name!r} {why or f'serves {served} slots only'}:"
            article = "an" if slot.kind[0] in "aeiou" else "a"
            reason += f" {workload.name!r} needs {article} {slot.kind} slot {name!r}"
            others = _backends_serving(frozenset(s.kind for s in slots.values()), combination)
            return reason + (f"; use --sharing {others[0]}" if others else "")
    return None


def _backends_serving(kinds: frozenset[str], refused: Combination) -> list[str]:
    """The registered backends that serve all of ``kinds`` and that no plugin refuses for this
    combination, to suggest one in a refusal: a suggestion that is itself refused sends the user in
    circles (a plugin may refuse one backend and suggest the one refused here)."""
    from futstrat.plugins import get_host

    try:
        host = get_host()
        serving = [
            backend
            for backend in host.registry.sharing.items()
            if backend.open is not None and kinds <= backend.slot_kinds and backend.name != refused.sharing.name
        ]
        return [
            backend.name
            for backend in serving
            if not any(host.hook.futstrat_veto(combination=attrs.evolve(refused, sharing=backend)))
        ]
    except Exception:  # a refusal is still a refusal without its suggestion
        return []


@hookimpl
def futstrat_veto(combination: Combination) -> str | None:
    return refusal_reason(combination)
