"""The built-in sharing backends: nothing, raw shared memory, and Manager proxies (``shm`` has its own module)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from futstrat.builtin.shm_backend import SHM_SHARING
from futstrat.engine.workers import initialize_helper_process
from futstrat.hookspecs import hookimpl
from futstrat.model import SharingRequest, SharingSession, SharingSpec
from futstrat.shared_state import Array, Counter, ReadOnly, Slot, buffer_of, readonly_payload, readonly_view_of
from futstrat.shared_state import Mapping as MappingSlot
from futstrat.sharing import (
    FetchedReadOnly,
    InheritedBuffer,
    InstalledState,
    SharedArray,
    SharedCounter,
    SharedMapping,
    SharedState,
    install_state,
    materialised,
)
from futstrat.start_methods import process_context


class RawValueSession:
    """Raw ``multiprocessing`` memory without locks of its own (``RawValue``, ``RawArray``), a ``Lock``
    per slot and a ``Barrier`` for the counter's start line.

    Raw shared memory may only reach a process by inheritance, so process pools get it through their
    initializer and each task carries only a token; thread strategies use the objects directly.
    Read-only buffers are copied once into raw memory; other read-only objects are inherited as they are.
    Raw memory has no dict, so mapping slots are refused before a run starts.
    """

    def __init__(self, request: SharingRequest) -> None:
        context = process_context(request.start_method)
        self._key = f"value-{os.urandom(16).hex()}"
        slots: dict[str, Any] = {}
        for name, slot in request.slots.items():
            if isinstance(slot, Counter):
                cell = context.Value("l", 0, lock=False)  # a C long
                slots[name] = SharedCounter(cell, context.Lock(), context.Barrier(request.parties))
            elif isinstance(slot, Array):
                slots[name] = SharedArray(context.RawArray(slot.typecode, slot.length), context.Lock())
            elif isinstance(slot, ReadOnly):
                # Threads read the data itself; worker processes inherit it through the initializer.
                slots[name] = (
                    _inherited(context, slot.data) if request.crosses_processes else readonly_view_of(slot.data)
                )
            else:
                raise ValueError(f"sharing 'value' is raw memory and has no dict for {slot.kind} slot {name!r}")
        self._state = SharedState(slots)
        self._here = materialised(self._state)

    def worker_initializer(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        return install_state, (self._key, self._state)

    def task_argument(self, crosses_processes: bool) -> Any:
        return InstalledState(self._key) if crosses_processes else self._here

    def final_value(self) -> int:
        return counter_value(self._here)

    def final_state(self) -> dict[str, Any]:
        return final_values(self._here)

    def close(self) -> None:
        """Shared memory is freed with the last reference to it."""


def _inherited(context: Any, data: Any) -> Any:
    """Read-only data as workers inherit it: a buffer copied once into raw memory, or the object."""
    found = buffer_of(data)
    if found is None:
        return data  # under fork as it is; under spawn pickled once for each worker
    payload, layout = found
    raw = context.RawArray("B", max(layout.nbytes, 1))
    memoryview(raw).cast("B")[: layout.nbytes] = payload
    return InheritedBuffer(raw, layout.as_tuple())


def final_values(state: SharedState) -> dict[str, Any]:
    """Each counter, array and mapping slot's plain value, read from the objects task code sees."""
    values: dict[str, Any] = {}
    for name, slot in vars(state).items():
        if isinstance(slot, SharedCounter):
            values[name] = slot.value
        elif isinstance(slot, SharedArray):
            values[name] = slot.tolist()
        elif isinstance(slot, SharedMapping):
            values[name] = slot.to_dict()
    return values


def counter_value(state: SharedState) -> int:
    """The first counter slot's value: what a legacy reader of ``final_value`` expects (0 without one)."""
    return next((slot.value for slot in vars(state).values() if isinstance(slot, SharedCounter)), 0)


class ManagerSession:
    """A ``multiprocessing.Manager`` server whose proxies travel with each task as plain arguments.

    Arrays are list proxies, mappings dict proxies, each with a Manager lock. Read-only data lives in
    the server and is fetched whole by every chunk of tasks that uses it: slow, and the comparison
    shows how slow.
    """

    def __init__(self, request: SharingRequest) -> None:
        context = process_context(request.start_method)
        from multiprocessing.managers import SyncManager  # only a run that uses it pays for importing it

        # As context.Manager() does, but the server ends itself when futstrat dies.
        self._manager = SyncManager(ctx=context)
        self._manager.start(initialize_helper_process)
        try:
            self._state = SharedState({name: self._slot(slot, request) for name, slot in request.slots.items()})
        except BaseException:
            self._manager.shutdown()
            raise

    def _slot(self, slot: Slot, request: SharingRequest) -> Any:
        manager = self._manager
        if isinstance(slot, Counter):
            return SharedCounter(manager.Value("l", 0), manager.Lock(), manager.Barrier(request.parties))
        if isinstance(slot, Array):
            zero = 0.0 if slot.typecode in "fd" else 0
            return SharedArray(manager.list([zero] * slot.length), manager.Lock())
        if isinstance(slot, MappingSlot):
            return SharedMapping(manager.dict(), manager.Lock())
        _kind, payload, layout = readonly_payload(slot.data)
        return FetchedReadOnly(manager.Value("readonly", bytes(payload)), None if layout is None else layout.as_tuple())

    def worker_initializer(self) -> None:
        return None

    def task_argument(self, crosses_processes: bool) -> Any:
        return self._state

    def final_value(self) -> int:
        return counter_value(self._state)

    def final_state(self) -> dict[str, Any]:
        return final_values(self._state)

    def close(self) -> None:
        self._manager.shutdown()


def open_raw_value(request: SharingRequest) -> SharingSession:
    return RawValueSession(request)


def open_manager(request: SharingRequest) -> SharingSession:
    return ManagerSession(request)


BUILTIN_SHARING = (
    SharingSpec(
        name="none",
        description="no shared state: each task's result comes back through its future",
        open=None,
    ),
    SharingSpec(
        name="value",
        description="raw multiprocessing memory (RawValue, RawArray) and Locks, installed by the pool initializer",
        open=open_raw_value,
        needs_initializer=True,
        slot_kinds=frozenset({"counter", "array", "readonly"}),
    ),
    SharingSpec(
        name="manager",
        description="multiprocessing.Manager proxies (Value, list, dict, Lock) passed to tasks as arguments",
        open=open_manager,
        uses_start_method=True,
        slot_kinds=frozenset({"counter", "array", "mapping", "readonly"}),
    ),
    SHM_SHARING,
)


@hookimpl
def futstrat_register_sharing(register: Callable[[SharingSpec], None]) -> None:
    for spec in BUILTIN_SHARING:
        register(spec)
