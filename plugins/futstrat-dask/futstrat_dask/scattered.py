"""Read-only data for the ``dask`` sharing backend: scattered to the cluster once, read once per worker.

The session opens before the strategy has started its cluster, so the data cannot be scattered then.
The ``dask`` strategy scatters it, with ``client.scatter``, before it sends the first task that carries
it (:func:`scatter_read_only`; not while the task is pickled, when the client cannot scatter), and from
then on the slot travels as the key of the scattered data alone. The data goes to every worker at once
(``broadcast=True``), and a dask ``Variable`` holds its future, which keeps it on the cluster for the run
and lets a worker that lacks it (one that started later) fetch it. In the worker, the strategy puts the
data in the key's place before the task runs (:func:`fill_read_only`), read once per worker process.
"""

from __future__ import annotations

import functools
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from futstrat import SharedState

#: How long a worker waits for scattered data before the task fails.
FETCH_SECONDS = 120.0
#: How many scattered data a worker process keeps (the newest): runs on one long-lived cluster add more.
KEPT_IN_A_WORKER = 4
#: How deep the arguments a task is sent with are looked into for its shared state.
SEARCH_DEPTH = 3

#: How bytes are shown again: (format, shape, numpy dtype or None); None for a pickled object.
Layout = tuple[str, tuple[int, ...], "str | None"]


class ScatteredReadOnly:
    """A read-only slot in the parent: the data, scattered by the strategy before its first task."""

    def __init__(self, data: Any, name: str) -> None:
        self._data = data
        self.name = name
        self._future: Any = None
        self._key: ScatteredKey | None = None
        self._scattering = threading.Lock()  # tasks may be submitted from several threads

    def here(self) -> Any:
        """What task code in this process sees: a read-only view of the data itself, nothing copied."""
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(self._data, numpy.ndarray):
            view = self._data.view()
            view.flags.writeable = False
            return view
        if isinstance(self._data, str):
            return self._data
        try:
            return memoryview(self._data).toreadonly()
        except TypeError:
            return self._data

    def scatter(self, client: Any) -> None:
        """Send the data to every worker of the cluster of ``client``, once."""
        from distributed import Variable

        with self._scattering:
            if self._key is None:
                payload, layout = payload_of(self._data)
                # A list of one, so that dask scatters the bytes as one piece.
                [self._future] = client.scatter([payload], hash=False, broadcast=True)
                Variable(self.name, client=client).set(self._future)
                self._key = ScatteredKey(self._future.key, self.name, layout)

    def forget(self, client: Any) -> None:
        """Let the cluster drop the data (it does by itself when the client that scattered it closes)."""
        from distributed import Variable

        with self._scattering:
            future, self._future = self._future, None
        if future is not None:
            Variable(self.name, client=client).delete()
            future.release()

    def __reduce__(self) -> tuple[Any, ...]:
        if self._key is None:
            raise RuntimeError(
                "read-only data of sharing 'dask' reaches tasks only through the 'dask' strategy, which"
                " scatters it to the cluster before the first task is sent"
            )
        return self._key.__reduce__()


class ScatteredKey:
    """A read-only slot as it travels to a worker: the key of the scattered bytes, the name of the
    ``Variable`` that holds their future, and how to show them."""

    def __init__(self, key: str, variable: str, layout: Layout | None) -> None:
        self.key = key
        self.variable = variable
        self.layout = layout

    def data(self) -> Any:
        """What task code sees: the data shown as it was, read from this worker's copy once."""
        found = _fetched.get(self.key)
        if found is None:
            raw = _fetch(self.key, self.variable)
            found = shown_as(raw, self.layout) if self.layout is not None else pickle.loads(raw)
            _fetched[self.key] = found
            while len(_fetched) > KEPT_IN_A_WORKER:
                _fetched.popitem(last=False)
        return found

    def __reduce__(self) -> tuple[Any, ...]:
        return (ScatteredKey, (self.key, self.variable, self.layout))


#: The read-only data this worker process read, by key.
_fetched: OrderedDict[str, Any] = OrderedDict()


def _fetch(key: str, variable: str) -> Any:
    """The scattered bytes: this worker's own copy, else fetched through the future the variable holds."""
    from distributed import Variable, get_worker

    try:
        return get_worker().data[key]
    except (ValueError, KeyError):  # not in a worker, or this worker has no copy
        return Variable(variable).get(timeout=FETCH_SECONDS).result(timeout=FETCH_SECONDS)


def payload_of(data: Any) -> tuple[bytes, Layout | None]:
    """The data's bytes and how to show them again; a pickle (and no layout) for data with no buffer.

    numpy stays optional: only data that is already a numpy array can have it imported.
    """
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(data, numpy.ndarray) and not data.dtype.hasobject:
        array = numpy.ascontiguousarray(data)
        return array.tobytes(), ("B", tuple(array.shape), array.dtype.str)
    if not isinstance(data, str):
        try:
            view = memoryview(data)
        except TypeError:
            pass
        else:
            fmt = view.format.lstrip("@") or "B"
            shape = tuple(view.shape or ())
            if fmt not in CASTABLE_FORMATS or not shape:  # shown as plain bytes
                fmt, shape = "B", (view.nbytes,)
            return view.tobytes(), (fmt, shape, None)
    return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL), None


#: The formats a memoryview can be cast to again.
CASTABLE_FORMATS = frozenset("bBhHiIlLqQfdc?e")


def shown_as(raw: Any, layout: Layout) -> Any:
    """Bytes shown as the data they were: a read-only memoryview of its format and shape, or a read-only
    numpy array of its dtype and shape."""
    fmt, shape, numpy_dtype = layout
    if numpy_dtype is not None:
        import numpy  # type: ignore[import-not-found,unused-ignore]  # only for data that was a numpy array

        array = numpy.frombuffer(raw, dtype=numpy.dtype(numpy_dtype)).reshape(shape)
        array.flags.writeable = False
        return array
    view: Any = memoryview(raw).cast("B")
    if view.nbytes and (fmt != "B" or len(shape) != 1):
        view = view.cast(fmt, shape)
    return view.toreadonly()


def _shared_states(arguments: Iterable[Any], depth: int) -> Iterator[SharedState]:
    """The shared states among a task's arguments: futstrat hands its worker function the state inside a
    ``functools.partial`` and a dict of extra arguments, so those are looked into; the tasks are not."""
    for argument in arguments:
        if isinstance(argument, SharedState):
            yield argument
        elif depth > 0 and isinstance(argument, functools.partial):
            yield from _shared_states((argument.func, *argument.args, *argument.keywords.values()), depth - 1)
        elif depth > 0 and isinstance(argument, dict):
            yield from _shared_states(argument.values(), depth - 1)


def scatter_read_only(client: Any, arguments: Iterable[Any]) -> list[ScatteredReadOnly]:
    """In the parent: scatter, through ``client``, the read-only slots of the state a task is sent with;
    returns them."""
    found = []
    for state in _shared_states(arguments, SEARCH_DEPTH):
        for slot in vars(state).values():
            if isinstance(slot, ScatteredReadOnly):
                slot.scatter(client)
                found.append(slot)
    return found


def fill_read_only(arguments: Iterable[Any]) -> None:
    """In a worker: put the data in place of each scattered key of the state the task came with."""
    for state in _shared_states(arguments, SEARCH_DEPTH):
        slots = vars(state)
        for name, slot in list(slots.items()):
            if isinstance(slot, ScatteredKey):
                slots[name] = slot.data()
