"""The one interface task code sees for shared state, and how it is found again inside a worker.

Task code gets its shared state as the ``shared`` keyword argument: a :class:`SharedState` with one
attribute per slot the workload declared (a :class:`SharedCounter`, a :class:`SharedArray`, a
:class:`SharedMapping`, read-only data), or, for a workload that declares no slots, the
:class:`SharedCounter` itself. It never learns how the state reached it: as objects used directly
(threads), as Manager proxies pickled with the task, as raw shared memory that the pool's initializer
installed in the worker, or as ``shared_memory`` blocks attached by name. Where state is installed,
only a small :class:`InstalledState` token travels with each task and is swapped for the real objects
here. Workers import this module, so it imports nothing heavy (no attrs, no typing, no multiprocessing
until a block is attached).
"""

from __future__ import annotations

import contextlib
import sys
import threading

TYPE_CHECKING = False  # workers import this module; typing would cost each fresh one a few milliseconds
if TYPE_CHECKING:
    from typing import Any, Protocol

    class _HasValue(Protocol):
        value: Any

    class _Lock(Protocol):
        def __enter__(self) -> Any: ...
        def __exit__(self, *exc: Any) -> Any: ...

    class _Barrier(Protocol):
        def wait(self, timeout: float | None = ...) -> Any: ...


class SharedCounter:
    """A counter, its lock and a start line, whatever backend provides them."""

    __slots__ = ("_barrier", "_cell", "lock")

    def __init__(self, cell: _HasValue, lock: _Lock, barrier: _Barrier | None = None) -> None:
        self._cell = cell
        self.lock = lock
        self._barrier = barrier

    @property
    def value(self) -> int:
        return int(self._cell.value)

    @value.setter
    def value(self, new: int) -> None:
        self._cell.value = new

    def start_together(self, timeout: float = 5.0) -> None:
        """Wait until the other tasks of this run reach this point too, so a race is a real race.

        A broken or timed-out barrier only means the tasks start less together; it is never an error.
        """
        if self._barrier is None:
            return
        with contextlib.suppress(threading.BrokenBarrierError, RuntimeError, OSError):
            self._barrier.wait(timeout)

    def __reduce__(self) -> tuple[Any, ...]:
        # Manager proxies pickle; raw shared memory refuses to, with its own explanation.
        return (SharedCounter, (self._cell, self.lock, self._barrier))


class SharedState:
    """The run's shared state as task code sees it: one attribute per declared slot (``shared.bins``).

    It has no methods of its own, so that any slot name is free; ``vars(state)`` gives the slots.
    """

    def __init__(self, slots: dict[str, Any]) -> None:
        self.__dict__.update(slots)

    def __reduce__(self) -> tuple[Any, ...]:
        return (SharedState, (dict(self.__dict__),))

    def __repr__(self) -> str:
        return f"SharedState({', '.join(self.__dict__)})"


class SharedSnapshot:
    """What ``combine`` gets for a workload with slots: each counter, array and mapping slot's final
    plain value (an int, a list, a dict) as an attribute; ``vars(snapshot)`` gives them all."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SharedSnapshot) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "SharedSnapshot(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"


class SharedArray:
    """Numbers tasks update under a lock; the cells are a raw array, a list proxy, a list or a
    ``shared_memory`` block's view, whatever the backend chose."""

    __slots__ = ("_cells", "lock")

    def __init__(self, cells: Any, lock: _Lock) -> None:
        self._cells = cells
        self.lock = lock

    def __len__(self) -> int:
        return len(self._cells)

    def __getitem__(self, index: int) -> Any:
        return self._cells[index]

    def __setitem__(self, index: int, value: Any) -> None:
        self._cells[index] = value

    def add(self, index: int, amount: Any = 1) -> None:
        """Add ``amount`` to cell ``index`` under the lock."""
        with self.lock:
            self._cells[index] = self._cells[index] + amount

    def tolist(self) -> list[Any]:
        return list(self._cells[:])

    def __reduce__(self) -> tuple[Any, ...]:
        # Manager proxies pickle; raw shared memory refuses to, with its own explanation.
        return (SharedArray, (self._cells, self.lock))

    def __repr__(self) -> str:
        return f"SharedArray(length={len(self)})"


class SharedMapping:
    """A dict tasks write to, with a lock for read-modify-write; a dict or a Manager's dict proxy."""

    __slots__ = ("_store", "lock")

    def __init__(self, store: Any, lock: _Lock) -> None:
        self._store = store
        self.lock = lock

    def __getitem__(self, key: Any) -> Any:
        return self._store[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._store[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._store

    def __len__(self) -> int:
        return len(self._store)

    def get(self, key: Any, default: Any = None) -> Any:
        return self._store.get(key, default)

    def add(self, key: Any, amount: Any = 1) -> None:
        """``m[key] = m.get(key, 0) + amount`` under the lock."""
        with self.lock:
            self._store[key] = self._store.get(key, 0) + amount

    def items(self) -> list[tuple[Any, Any]]:
        return list(self._store.items())

    def to_dict(self) -> dict[Any, Any]:
        return dict(self._store.items())

    def __reduce__(self) -> tuple[Any, ...]:
        return (SharedMapping, (self._store, self.lock))

    def __repr__(self) -> str:
        return f"SharedMapping({len(self)} keys)"


def readonly_view(buffer: Any, layout: tuple[int, str, tuple[int, ...], str | None]) -> Any:
    """Bytes shown as the data they were: a read-only memoryview of the data's format and shape, or a
    read-only numpy array of its dtype and shape when it was one (then numpy is installed)."""
    nbytes, fmt, shape, numpy_dtype = layout
    raw: Any = memoryview(buffer).cast("B")[:nbytes]
    if numpy_dtype is not None:
        import numpy  # type: ignore[import-not-found,unused-ignore]  # only for data that was a numpy array

        array = numpy.frombuffer(raw, dtype=numpy.dtype(numpy_dtype)).reshape(shape)
        array.flags.writeable = False
        return array
    if fmt != "B" or len(shape) != 1:
        raw = raw.cast(fmt, shape) if nbytes else raw
    return raw.toreadonly()


class Deferred:
    """A slot that becomes what task code sees only where it is used: in the worker that installed
    or received it (a block attached by name, a buffer inherited through the initializer)."""

    def materialise(self) -> Any:
        raise NotImplementedError


class InheritedBuffer(Deferred):
    """Read-only data copied once into raw shared memory that workers inherit (the pool initializer)."""

    def __init__(self, raw: Any, layout: tuple[int, str, tuple[int, ...], str | None]) -> None:
        self.raw, self.layout = raw, layout

    def materialise(self) -> Any:
        return readonly_view(self.raw, self.layout)

    def __reduce__(self) -> tuple[Any, ...]:
        return (InheritedBuffer, (self.raw, self.layout))


class PickledObject(Deferred):
    """A read-only object that is not a buffer: its pickle, loaded once where it is used."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def materialise(self) -> Any:
        import pickle

        return pickle.loads(self.data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (PickledObject, (self.data,))


class FetchedReadOnly(Deferred):
    """Read-only data kept by a server (a Manager's value proxy), fetched whole where it is used."""

    def __init__(self, source: Any, layout: tuple[int, str, tuple[int, ...], str | None] | None) -> None:
        self.source, self.layout = source, layout

    def materialise(self) -> Any:
        data = self.source.get()
        if self.layout is not None:
            return readonly_view(data, self.layout)
        import pickle

        return pickle.loads(data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FetchedReadOnly, (self.source, self.layout))


def materialised(state: Any) -> Any:
    """The state with every deferred slot turned into what task code sees."""
    if isinstance(state, Deferred):
        return state.materialise()
    if isinstance(state, SharedState):
        slots = state.__dict__
        if any(isinstance(slot, Deferred) for slot in slots.values()):
            return SharedState({name: materialised(slot) for name, slot in slots.items()})
    return state


class InstalledState:
    """A token that stands for state installed in the worker by :func:`install_state`, or for one
    slot of it (``attribute``): what a legacy counter workload's tasks get of a state with slots."""

    __slots__ = ("attribute", "key")

    def __init__(self, key: str, attribute: str | None = None) -> None:
        self.key = key
        self.attribute = attribute

    def __reduce__(self) -> tuple[Any, ...]:
        return (InstalledState, (self.key, self.attribute))

    def __repr__(self) -> str:
        if self.attribute is None:
            return f"InstalledState({self.key!r})"
        return f"InstalledState({self.key!r}, {self.attribute!r})"


_installed: dict[str, Any] = {}


def install_state(key: str, state: Any) -> None:
    """Pool initializer: keep ``state`` in this worker under ``key`` for the tasks to find, with its
    deferred slots (blocks to attach, inherited buffers) made ready once, here."""
    _installed[key] = materialised(state)


def resolve(argument: Any) -> Any:
    """Turn a task's ``shared`` argument back into the object the task code expects."""
    if isinstance(argument, InstalledState):
        try:
            state = _installed[argument.key]
        except KeyError:
            raise RuntimeError(
                f"shared state {argument.key!r} was not installed in this worker: the executor did not"
                " run the pool initializer"
            ) from None
        return state if argument.attribute is None else getattr(state, argument.attribute)
    return materialised(argument)


def legacy_argument(argument: Any, slot: str) -> Any:
    """What a legacy counter workload's tasks get of a session's argument: its counter slot."""
    if isinstance(argument, SharedState):
        return getattr(argument, slot)
    if isinstance(argument, InstalledState) and argument.attribute is None:
        return InstalledState(argument.key, slot)
    return argument  # a legacy session's SharedCounter


# -- shared_memory blocks, attached by name ---------------------------------------------------------

#: The blocks this worker attached, kept open for as long as it lives.
_attached: list[Any] = []


def attach_block(name: str) -> Any:
    """The memory of the ``shared_memory`` block ``name``, attached without telling the resource tracker.

    The parent made the block, registered it and unlinks it; were a worker to register it too, the
    tracker would unlink it (or warn of a leak) when that worker's registration ends, while the run
    still uses it. Python 3.13 says so with ``track=False``; before, registration is skipped here.
    """
    from multiprocessing import resource_tracker, shared_memory

    if sys.version_info >= (3, 13):
        block = shared_memory.SharedMemory(name=name, track=False)  # type: ignore[call-arg,unused-ignore]
    else:
        register = resource_tracker.register
        resource_tracker.register = _no_registration
        try:
            block = shared_memory.SharedMemory(name=name)
        finally:
            resource_tracker.register = register
    keep_mapped(block)
    _attached.append(block)
    return block.buf


def keep_mapped(block: Any) -> None:
    """Leave ``block`` mapped until the last view of it goes, which then unmaps it: its own ``close``
    (which its finalizer calls) would raise, and print, while task code's views of it still exist."""
    block.close = _keep_mapped


def _keep_mapped() -> None:
    return None


def _no_registration(name: Any, rtype: str) -> None:
    return None


class BlockCell:
    """A counter's cell in an 8-byte shared block: ``value`` reads and writes its one integer."""

    __slots__ = ("_view",)

    def __init__(self, view: Any) -> None:
        self._view = view

    @property
    def value(self) -> int:
        return int(self._view[0])

    @value.setter
    def value(self, new: int) -> None:
        self._view[0] = new


class BlockCounter(Deferred):
    """A counter in a ``shared_memory`` block, its lock and start line (the lock travels by inheritance)."""

    def __init__(self, name: str, lock: Any, barrier: Any) -> None:
        self.name, self.lock, self.barrier = name, lock, barrier

    def materialise(self) -> SharedCounter:
        return SharedCounter(BlockCell(attach_block(self.name).cast("q")), self.lock, self.barrier)


class BlockArray(Deferred):
    """An array in a ``shared_memory`` block and its lock."""

    def __init__(self, name: str, typecode: str, length: int, lock: Any) -> None:
        self.name, self.typecode, self.length, self.lock = name, typecode, length, lock

    def materialise(self) -> SharedArray:
        cells: Any = attach_block(self.name)
        cells = cells.cast(self.typecode)
        return SharedArray(cells[: self.length], self.lock)


class BlockReadOnly(Deferred):
    """Read-only data in a ``shared_memory`` block: a buffer shown as it was, or an object's pickle."""

    def __init__(self, name: str, layout: tuple[int, str, tuple[int, ...], str | None] | None, nbytes: int) -> None:
        self.name, self.layout, self.nbytes = name, layout, nbytes

    def materialise(self) -> Any:
        raw = attach_block(self.name)
        if self.layout is not None:
            return readonly_view(raw, self.layout)
        import pickle

        return pickle.loads(raw[: self.nbytes])
