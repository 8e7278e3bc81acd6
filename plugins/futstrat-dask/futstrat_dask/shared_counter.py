"""The ``dask`` sharing backend: counters, arrays and their locks kept by the dask scheduler, and
read-only data scattered to the workers.

The parts are dask.distributed's own coordination primitives: a ``Variable`` holds a count (one per
cell of an array), a ``Lock`` guards it and an ``Event`` with an arrival count makes the start line.
Each part travels with a task as nothing but its name and finds the scheduler again inside the worker
(dask looks up the worker's client), so the state reaches every worker of a cluster, on any machine,
and needs no pool initializer. The price is a round trip to the scheduler for each step: a locked
increment takes four. Read-only data goes out once with ``client.scatter`` (see
:mod:`futstrat_dask.scattered`). Dask keeps no dict that many tasks can write to, so mapping slots are
refused (see :data:`MAPPING_REASON`).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from futstrat import Array, Counter, ReadOnly, SharedArray, SharedCounter, SharedMapping, SharedState, SharingRequest
from futstrat_dask.connecting import check_scheduler_answers, recently_silent
from futstrat_dask.scattered import ScatteredReadOnly

#: How long a task waits on the scheduler for the lock before the run is treated as stuck.
LOCK_WAIT_SECONDS = 120.0
#: How long tidying up after a run may spend connecting to the scheduler again.
TIDY_SECONDS = 5.0
#: ``tcp://HOST:PORT`` of a running dask scheduler, when the ``address`` option is not given; without
#: either, each run starts a local cluster.
ADDRESS_ENV = "FUTSTRAT_DASK_ADDRESS"
#: The slot kinds the backend serves.
SLOT_KINDS = frozenset({"counter", "array", "readonly"})
#: Why a mapping slot is refused.
MAPPING_REASON = (
    "dask keeps no dict that many tasks can write to: a dask Variable holds one value, so every write"
    " would send the whole dict to the scheduler and back, and writes by tasks that do not hold the"
    " lock would overwrite each other"
)

#: The scheduler the ``dask`` strategy last connected to in this process (None: a local cluster), so
#: that tidying up after a run reaches the same one, whether it came from the option or the environment.
_last_address: list[str | None] = [None]


def remember_address(address: str | None) -> None:
    """Note the scheduler a run connects to, for the tidying up after it."""
    _last_address[0] = address


class SchedulerCell:
    """A count (or one cell of an array), in a ``distributed.Variable``; pickles as its name.

    A ``Variable`` that was never set makes ``get`` wait (or fail, and the scheduler log an error), so
    an ``Event`` beside it says whether a value exists yet; until it does, the count is 0. Whoever sets
    the value sets the event after it, so a reader under the lock always sees the latest value.
    ``number`` is ``int``, or ``float`` for the cells of an array of typecode "f" or "d".
    """

    def __init__(self, name: str, number: type[int] | type[float] = int) -> None:
        self.name = name
        self.number = number
        self._variable: Any = None
        self._exists: Any = None
        self._known_to_exist = False

    def _resolve(self) -> Any:
        if self._variable is None:
            from distributed import Event, Variable

            self._variable = Variable(self.name)
            self._exists = Event(f"{self.name}-exists")
        return self._variable

    @property
    def value(self) -> Any:
        variable = self._resolve()
        if not self._known_to_exist:
            if not self._exists.is_set():
                return self.number(0)
            self._known_to_exist = True
        return self.number(variable.get())

    @value.setter
    def value(self, new: Any) -> None:
        self._resolve().set(self.number(new))
        if not self._known_to_exist:
            self._exists.set()
            self._known_to_exist = True

    def forget(self, client: Any) -> None:
        """Remove the value from the scheduler, through ``client``."""
        from distributed import Event, Variable

        Variable(self.name, client=client).delete()
        Event(f"{self.name}-exists", client=client).clear()

    def __reduce__(self) -> tuple[Any, ...]:
        if self.number is int:
            return (SchedulerCell, (self.name,))
        return (SchedulerCell, (self.name, self.number))


class SchedulerCells:
    """The cells of an array, one ``SchedulerCell`` each, so that a write to one never touches another;
    pickles as its name, length and number type."""

    def __init__(self, name: str, length: int, number: type[int] | type[float] = int) -> None:
        self.name = name
        self.length = length
        self.number = number
        self._cells = [SchedulerCell(f"{name}-{index}", number) for index in range(length)]

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [cell.value for cell in self._cells[index]]
        return self._cells[index].value

    def __setitem__(self, index: int, value: Any) -> None:
        self._cells[index].value = value

    def forget(self, client: Any) -> None:
        """Remove every cell from the scheduler, through ``client``."""
        for cell in self._cells:
            _quietly(cell.forget, client)

    def __reduce__(self) -> tuple[Any, ...]:
        return (SchedulerCells, (self.name, self.length, self.number))


class SchedulerLock:
    """A ``distributed.Lock`` used as ``with lock:``; pickles as its name."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock: Any = None

    def _resolve(self) -> Any:
        if self._lock is None:
            from distributed import Lock

            self._lock = Lock(self.name)
        return self._lock

    def __enter__(self) -> SchedulerLock:
        if not self._resolve().acquire(timeout=LOCK_WAIT_SECONDS):
            raise TimeoutError(f"the dask lock {self.name!r} was not acquired within {LOCK_WAIT_SECONDS:g} s")
        return self

    def __exit__(self, *exc: object) -> None:
        self._resolve().release()

    def forget(self, client: Any) -> None:
        """Remove the lock from the scheduler, through ``client`` (the current client)."""
        from distributed import Lock

        Lock(self.name).close()

    def __reduce__(self) -> tuple[Any, ...]:
        return (SchedulerLock, (self.name,))


class SchedulerStartLine:
    """A barrier for ``parties`` tasks: an arrival count under a lock, and an ``Event`` the last sets."""

    def __init__(self, name: str, parties: int) -> None:
        self.name = name
        self.parties = parties
        self._arrivals = SchedulerCell(f"{name}-arrivals")
        self._lock = SchedulerLock(f"{name}-lock")
        self._event: Any = None

    def _resolve(self) -> Any:
        if self._event is None:
            from distributed import Event

            self._event = Event(self.name)
        return self._event

    def wait(self, timeout: float | None = None) -> bool:
        """Arrive, then wait for the others; returns whether they all came in time."""
        with self._lock:
            arrived = self._arrivals.value + 1
            self._arrivals.value = arrived
        event = self._resolve()
        if arrived >= self.parties:
            event.set()
        return bool(event.wait(timeout))

    def forget(self, client: Any) -> None:
        """Remove the start line's state from the scheduler, through ``client`` (the current client)."""
        from distributed import Event

        _quietly(self._arrivals.forget, client)
        _quietly(self._lock.forget, client)
        Event(self.name, client=client).clear()

    def __reduce__(self) -> tuple[Any, ...]:
        return (SchedulerStartLine, (self.name, self.parties))


class SchedulerStateSession:
    """The shared state of one run, named uniquely so that runs on one long-lived cluster never meet.

    Nothing is created on the scheduler when the session opens: the cluster may not exist yet (the
    strategy starts it after the sharing backend opens), and dask creates each primitive on its first
    use by name; read-only data is scattered when its first task is sent, through the client the
    strategy connected. Final values are read through this process's current dask client, that one.
    """

    def __init__(self, request: SharingRequest) -> None:
        prefix = f"futstrat-{uuid.uuid4().hex}"
        self._parts: list[Any] = []
        slots: dict[str, Any] = {}
        for name, slot in request.slots.items():
            if isinstance(slot, Counter):
                cell = SchedulerCell(f"{prefix}-{name}-count")
                lock = SchedulerLock(f"{prefix}-{name}-lock")
                start_line = SchedulerStartLine(f"{prefix}-{name}-start", request.parties)
                self._parts += [cell, lock, start_line]
                slots[name] = SharedCounter(cell, lock, start_line)
            elif isinstance(slot, Array):
                number = float if slot.typecode in "fd" else int
                cells = SchedulerCells(f"{prefix}-{name}-cells", slot.length, number)
                lock = SchedulerLock(f"{prefix}-{name}-lock")
                self._parts += [cells, lock]
                slots[name] = SharedArray(cells, lock)
            elif isinstance(slot, ReadOnly):
                scattered = ScatteredReadOnly(slot.data, f"{prefix}-{name}-data")
                self._parts.append(scattered)
                slots[name] = scattered if request.crosses_processes else scattered.here()
            else:
                raise ValueError(f"sharing 'dask' cannot serve {slot.kind} slot {name!r}: {MAPPING_REASON}")
        self._state = SharedState(slots)

    def worker_initializer(self) -> None:
        return None

    def task_argument(self, crosses_processes: bool) -> SharedState:
        return self._state

    def final_value(self) -> int:
        """The first counter slot's value (0 without one): what a legacy counter workload reads."""
        return next((int(slot.value) for slot in vars(self._state).values() if isinstance(slot, SharedCounter)), 0)

    def final_state(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, slot in vars(self._state).items():
            if isinstance(slot, SharedCounter):
                values[name] = int(slot.value)
            elif isinstance(slot, SharedArray):
                values[name] = slot.tolist()
            elif isinstance(slot, SharedMapping):  # pragma: no cover - refused when the session opens
                values[name] = slot.to_dict()
        return values

    def close(self) -> None:
        """Remove this run's state from the scheduler, if one can still be reached.

        The strategy has usually closed its client by now: a local cluster took the state with it, and
        a cluster reached by address is reached once more, briefly, to tidy up.
        """
        with _client_for_tidying() as client:
            if client is not None:
                for part in self._parts:
                    _quietly(part.forget, client)


#: The session's name before it served slots.
SchedulerCounterSession = SchedulerStateSession


def _quietly(forget: Callable[[Any], None], client: Any) -> None:
    with contextlib.suppress(Exception):  # tidying never turns a finished run into a failure
        forget(client)


@contextlib.contextmanager
def _client_for_tidying() -> Iterator[Any]:
    """This process's current dask client, else a short-lived one to the scheduler the run connected to
    (or the one at the address in the environment), else None; the client is current while the caller
    uses it."""
    from distributed import Client, get_client

    try:
        client = get_client()
    except ValueError:  # no client is open in this process
        client = None
    if client is not None:
        with client.as_current():
            yield client
        return
    address = _last_address[0] or os.environ.get(ADDRESS_ENV, "").strip()
    client = None
    if address and not recently_silent(address):
        # Asked first, because a client waits for ever on a listener that never answers.
        with contextlib.suppress(Exception):
            check_scheduler_answers(address, TIDY_SECONDS)
            client = Client(address, timeout=TIDY_SECONDS, set_as_default=False)
    if client is None:
        yield None
        return
    with client, client.as_current():
        yield client


def open_scheduler_state(request: SharingRequest) -> SchedulerStateSession:
    return SchedulerStateSession(request)


#: The opener's name before the backend served slots.
open_scheduler_counter = open_scheduler_state
