"""A sharing backend for threads that serves every slot kind: the objects themselves, each with a lock.

Threads of one process share memory, so a counter is a plain integer, an array a list, a mapping a
dict and read-only data the object the workload made; each slot gets a ``threading.Lock`` of its own.
``slot_kinds`` on the spec says which kinds it serves, and the session gives the tasks one
``SharedState`` with an attribute per slot, whatever the workload called them.
"""

from __future__ import annotations

import threading
from typing import Any

from futstrat import (
    Array,
    Counter,
    Mapping,
    ReadOnly,
    SharedArray,
    SharedCounter,
    SharedMapping,
    SharedState,
    SharingRequest,
)
from futstrat.shared_state import readonly_view_of


class Cell:
    """A counter's storage: one attribute, guarded by the lock that travels with it."""

    def __init__(self) -> None:
        self.value = 0


class ThreadObjectsSession:
    """Each slot of one run as a plain object and its lock."""

    def __init__(self, request: SharingRequest) -> None:
        self._barrier = threading.Barrier(request.parties)
        slots: dict[str, Any] = {}
        for name, slot in request.slots.items():
            if isinstance(slot, Counter):
                slots[name] = SharedCounter(Cell(), threading.Lock(), self._barrier)
            elif isinstance(slot, Array):
                zero = 0.0 if slot.typecode in "fd" else 0
                slots[name] = SharedArray([zero] * slot.length, threading.Lock())
            elif isinstance(slot, Mapping):
                slots[name] = SharedMapping({}, threading.Lock())
            elif isinstance(slot, ReadOnly):
                slots[name] = readonly_view_of(slot.data)  # a read-only view of it: nothing is copied
        self._state = SharedState(slots)

    def worker_initializer(self) -> None:
        return None  # nothing to install: the tasks are handed the objects themselves

    def task_argument(self, crosses_processes: bool) -> SharedState:
        return self._state

    def final_value(self) -> int:
        counters = [slot for slot in vars(self._state).values() if isinstance(slot, SharedCounter)]
        return counters[0].value if counters else 0

    def final_state(self) -> dict[str, Any]:
        """Each counter, array and mapping slot's final plain value, for the workload's combine."""
        values: dict[str, Any] = {}
        for name, slot in vars(self._state).items():
            if isinstance(slot, SharedCounter):
                values[name] = slot.value
            elif isinstance(slot, SharedArray):
                values[name] = slot.tolist()
            elif isinstance(slot, SharedMapping):
                values[name] = slot.to_dict()
        return values

    def close(self) -> None:
        self._barrier.abort()  # frees a task still waiting at the start line


def open_thread_objects(request: SharingRequest) -> ThreadObjectsSession:
    return ThreadObjectsSession(request)
