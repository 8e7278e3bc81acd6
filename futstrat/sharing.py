"""The one interface task code sees for shared state, and how it is found again inside a worker.

Task code gets a :class:`SharedCounter` as its ``shared`` keyword argument and never learns how the
state reached it: as objects used directly (threads), as Manager proxies pickled with the task, or as
raw shared memory that the pool's initializer installed in the worker, in which case only a small
:class:`InstalledState` token travels with each task and is swapped for the real objects here.
"""

from __future__ import annotations

import contextlib
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


class InstalledState:
    """A token that stands for state installed in the worker by :func:`install_state`."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key

    def __reduce__(self) -> tuple[Any, ...]:
        return (InstalledState, (self.key,))

    def __repr__(self) -> str:
        return f"InstalledState({self.key!r})"


_installed: dict[str, Any] = {}


def install_state(key: str, state: Any) -> None:
    """Pool initializer: keep ``state`` in this worker under ``key`` for the tasks to find."""
    _installed[key] = state


def resolve(argument: Any) -> Any:
    """Turn a task's ``shared`` argument back into the object the task code expects."""
    if isinstance(argument, InstalledState):
        try:
            return _installed[argument.key]
        except KeyError:
            raise RuntimeError(
                f"shared state {argument.key!r} was not installed in this worker: the executor did not"
                " run the pool initializer"
            ) from None
    return argument
