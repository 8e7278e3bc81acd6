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

from futstrat.model import SharingRequest
from futstrat.shared_state import LEGACY_SLOT_NAME, Slot, slots_for
from futstrat.sharing import SharedSnapshot, legacy_argument
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
    return OpenedState(session, argument, lambda: snapshot_of(session, slots))


def snapshot_of(session: SharingSession, slots: dict[str, Slot]) -> SharedSnapshot:
    """Each counter, array and mapping slot's final plain value (read-only data has none to report)."""
    final_state: Callable[[], dict[str, Any]] | None = getattr(session, "final_state", None)
    values = final_state() if final_state is not None else {LEGACY_SLOT_NAME: session.final_value()}
    return SharedSnapshot({name: values[name] for name, slot in slots.items() if slot.kind != "readonly"})
