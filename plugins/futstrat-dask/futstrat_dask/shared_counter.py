"""The ``dask`` sharing backend: a counter, its lock and a start line kept by the dask scheduler.

The parts are dask.distributed's own coordination primitives: a ``Variable`` holds the count, a
``Lock`` guards it and an ``Event`` with an arrival count makes the start line. Each part travels with
a task as nothing but its name and finds the scheduler again inside the worker (dask looks up the
worker's client), so the state reaches every worker of a cluster, on any machine, and needs no pool
initializer. The price is a round trip to the scheduler for each step: a locked increment takes four.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from futstrat import SharedCounter, SharingRequest
from futstrat_dask.connecting import check_scheduler_answers, recently_silent

#: How long a task waits on the scheduler for the lock before the run is treated as stuck.
LOCK_WAIT_SECONDS = 120.0
#: How long tidying up after a run may spend connecting to the scheduler again.
TIDY_SECONDS = 5.0
#: ``tcp://HOST:PORT`` of a running dask scheduler, when the ``address`` option is not given; without
#: either, each run starts a local cluster.
ADDRESS_ENV = "FUTSTRAT_DASK_ADDRESS"

#: The scheduler the ``dask`` strategy last connected to in this process (None: a local cluster), so
#: that tidying up after a run reaches the same one, whether it came from the option or the environment.
_last_address: list[str | None] = [None]


def remember_address(address: str | None) -> None:
    """Note the scheduler a run connects to, for the tidying up after it."""
    _last_address[0] = address


class SchedulerCell:
    """The count, in a ``distributed.Variable``; pickles as its name.

    A ``Variable`` that was never set makes ``get`` wait (or fail, and the scheduler log an error), so
    an ``Event`` beside it says whether a value exists yet; until it does, the count is 0. Whoever sets
    the value sets the event after it, so a reader under the lock always sees the latest value.
    """

    def __init__(self, name: str) -> None:
        self.name = name
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
    def value(self) -> int:
        variable = self._resolve()
        if not self._known_to_exist:
            if not self._exists.is_set():
                return 0
            self._known_to_exist = True
        return int(variable.get())

    @value.setter
    def value(self, new: int) -> None:
        self._resolve().set(int(new))
        if not self._known_to_exist:
            self._exists.set()
            self._known_to_exist = True

    def forget(self, client: Any) -> None:
        """Remove the value from the scheduler, through ``client``."""
        from distributed import Event, Variable

        Variable(self.name, client=client).delete()
        Event(f"{self.name}-exists", client=client).clear()

    def __reduce__(self) -> tuple[Any, ...]:
        return (SchedulerCell, (self.name,))


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


class SchedulerCounterSession:
    """The shared state of one run, named uniquely so that runs on one long-lived cluster never meet.

    Nothing is created when the session opens: the cluster may not exist yet (the strategy starts it
    after the sharing backend opens), and dask creates each primitive on its first use by name. The
    final value is read through this process's current dask client, the one the strategy connected.
    """

    def __init__(self, request: SharingRequest) -> None:
        prefix = f"futstrat-{uuid.uuid4().hex}"
        self._cell = SchedulerCell(f"{prefix}-count")
        self._lock = SchedulerLock(f"{prefix}-lock")
        self._start_line = SchedulerStartLine(f"{prefix}-start", request.parties)
        self._counter = SharedCounter(self._cell, self._lock, self._start_line)

    def worker_initializer(self) -> None:
        return None

    def task_argument(self, crosses_processes: bool) -> SharedCounter:
        return self._counter

    def final_value(self) -> int:
        return self._cell.value

    def close(self) -> None:
        """Remove this run's state from the scheduler, if one can still be reached.

        The strategy has usually closed its client by now: a local cluster took the state with it, and
        a cluster reached by address is reached once more, briefly, to tidy up.
        """
        with _client_for_tidying() as client:
            if client is not None:
                for part in (self._cell, self._lock, self._start_line):
                    _quietly(part.forget, client)


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


def open_scheduler_counter(request: SharingRequest) -> SchedulerCounterSession:
    return SchedulerCounterSession(request)
