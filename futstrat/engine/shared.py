"""Opening a run's shared state: the slots the workload declares, the argument its tasks get, and the
value ``combine`` reads once they are done.

A workload that declares slots gets a :class:`~futstrat.sharing.SharedState` and, in ``combine``, a
:class:`~futstrat.sharing.SharedSnapshot`. A counter workload that declares none (the first kind, and
every user workload written before slots) gets the :class:`~futstrat.SharedCounter` and its final int,
also from a backend written before slots, whose session knows nothing of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from attrs import frozen

from futstrat.errors import FutstratError
from futstrat.model import SharingRequest
from futstrat.shared_state import LEGACY_SLOT_NAME, Slot, slots_for
from futstrat.sharing import SharedCounter, SharedSnapshot, SharedState, legacy_argument
from futstrat.user_code import user_code

if TYPE_CHECKING:
    from futstrat.model import SharingSession
    from futstrat.runner import RunPlan


@frozen
class OpenedState:
    """A run's open sharing session, what each task gets, and how combine's value is read."""

    session: SharingSession
    argument: Any
    final_value: Callable[[], Any]


def open_shared_state(plan: RunPlan, parties: int, crosses_processes: bool) -> OpenedState:
    """Open the plan's sharing backend for the workload's slots (the caller closes the session)."""
    assert plan.sharing.open is not None
    with user_code("shared_slots"):
        slots, legacy = slots_for(plan.workload, plan.params, plan.context)
    session = plan.sharing.open(SharingRequest(plan.start_method, parties, crosses_processes, slots))
    try:
        argument = session.task_argument(crosses_processes)
    except BaseException:
        session.close()
        raise
    if legacy:
        return OpenedState(session, legacy_argument(argument, LEGACY_SLOT_NAME), session.final_value)
    if isinstance(argument, SharedCounter):  # a backend written before slots: its one counter
        try:
            argument = SharedState({_only_counter(slots, plan.sharing.name): argument})
        except BaseException:
            session.close()
            raise
    return OpenedState(session, argument, lambda: snapshot_of(session, slots))


def _only_counter(slots: dict[str, Slot], backend: str) -> str:
    """The name of the one counter slot a backend written before slots can serve."""
    if len(slots) == 1 and next(iter(slots.values())).kind == "counter":
        return next(iter(slots))
    raise FutstratError(
        f"sharing {backend!r} gives tasks one counter (it was written before slots), and the workload"
        f" declares {len(slots)} slots: {', '.join(slots)}"
    )


def snapshot_of(session: SharingSession, slots: dict[str, Slot]) -> SharedSnapshot:
    """Each counter, array and mapping slot's final plain value (read-only data has none to report)."""
    final_state: Callable[[], dict[str, Any]] | None = getattr(session, "final_state", None)
    # A backend written before slots has no final_state, and serves one counter slot.
    values = final_state() if final_state is not None else {name: session.final_value() for name in slots}
    return SharedSnapshot({name: values[name] for name, slot in slots.items() if slot.kind != "readonly"})
