"""What runs inside a worker: a chunk of tasks, the start-up answer, and the task tracker's notes.

Every worker imports this module before its first task: a spawned process, and a subinterpreter, which
starts with nothing imported at all. So it imports only small parts of the standard library (not even
``typing``), and nothing of futstrat that would bring attrs or ``concurrent.futures`` with it; the
parent's side of the tracker is :mod:`futstrat.engine.worker_watch`.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import sys
import time

TYPE_CHECKING = False  # importing typing would cost every fresh worker a few milliseconds
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

#: The tracker's layout: per worker, its pid, its first task, its last task, their start time
#: (``time.monotonic`` is system-wide where futstrat runs) and how many tasks it has finished.
TRACKER_FIELDS = 5
#: The value of a worker's task fields while it runs none.
TRACKER_IDLE = -1.0


class Chunk:
    """Consecutive tasks, from ``start``: either ``calls`` of their own, or ``fn`` over ``items``.

    What travels to a worker in one message; :mod:`futstrat.engine.chunking` makes them.
    """

    __slots__ = ("calls", "fn", "items", "start")

    def __init__(
        self,
        start: int,
        calls: tuple[tuple[Callable[..., Any], tuple[Any, ...]], ...] = (),
        fn: Callable[[Any], Any] | None = None,
        items: Sequence[Any] = (),
    ) -> None:
        self.start = start
        self.calls = calls
        self.fn = fn
        self.items = items

    def __len__(self) -> int:
        return len(self.items) if self.fn is not None else len(self.calls)

    @property
    def end(self) -> int:
        """The index of the last task in the chunk."""
        return self.start + len(self) - 1

    def __reduce__(self) -> tuple[Any, ...]:
        return (Chunk, (self.start, self.calls, self.fn, self.items))

    def __repr__(self) -> str:
        if self.fn is not None:
            return f"Chunk(start={self.start}, fn={self.fn!r}, items={self.items!r})"
        return f"Chunk(start={self.start}, calls={self.calls!r})"


def worker_identity(linger: float) -> tuple[str, int, int]:
    """Where this call ran: host, process and thread. Lingering a moment keeps one fast worker from
    answering every call of the start-up phase."""
    time.sleep(linger)
    return _host_name(), os.getpid(), _thread.get_ident()


def _host_name() -> str:
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket  # where there is no uname; socket costs a fresh worker more than the call

    return socket.gethostname()


# -- the tracker, written by workers (a shared array of floats; see futstrat.engine.worker_watch) ----------

_cells: Any = None
_slot_base = -1


def install_tracker(cells: Any, lock: Any) -> None:
    """Claim a free slot for this worker. A dead worker's slot is never reused: it holds the task it
    died running until the parent has read it. Without a free slot the worker runs untracked."""
    global _cells, _slot_base
    me = float(os.getpid())
    with lock:
        for slot in range(len(cells) // TRACKER_FIELDS):
            base = slot * TRACKER_FIELDS
            if cells[base] in (0.0, me):
                cells[base], cells[base + 1], cells[base + 2], cells[base + 3] = me, TRACKER_IDLE, TRACKER_IDLE, 0.0
                _cells, _slot_base = cells, base
                return


def note_task_started(first: int, last: int) -> None:
    if _cells is not None:
        _cells[_slot_base + 3] = time.monotonic()  # the time first, so a reader never pairs a new task
        _cells[_slot_base + 2] = float(last)  # with an old start
        _cells[_slot_base + 1] = float(first)


def note_task_finished() -> None:
    if _cells is not None:
        _cells[_slot_base + 1] = TRACKER_IDLE


def note_tasks_done(count: int) -> None:
    """Count tasks whose results are ready: the parent can say how many finished when the run's time is
    up, also those whose results wait behind an earlier, unfinished task's."""
    if _cells is not None:
        _cells[_slot_base + 4] += count


def initialize_worker(
    tracker: tuple[Any, Any] | None,
    then: Callable[..., None] | None,
    then_args: tuple[Any, ...],
) -> None:
    """The pool initializer futstrat gives every worker process.

    Ctrl-C goes to the whole process group: the parent handles it and ends the workers, so they ignore
    it instead of each printing a traceback. The worker then leads a process group of its own, which
    the processes its tasks start join, so that the parent can end them all with it; and it ends itself
    when the parent is gone. Then the tracker and the sharing backend's state go in.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    initialize_helper_process()
    with contextlib.suppress(OSError):  # not permitted where the worker already leads a session
        os.setpgid(0, 0)
    if tracker is not None:
        install_tracker(*tracker)
    if then is not None:
        then(*then_args)


# -- ending with the parent -----------------------------------------------------------------------

#: How often a worker looks whether its parent is still there.
PARENT_WATCH_SECONDS = 0.25


def initialize_helper_process() -> None:
    """Start-up of every process futstrat starts (workers, the Manager's server).

    A SIGTERM ends it outright, as a process with no handler of its own (under ``fork`` it would
    inherit the command's handler, which turns SIGTERM into an interruption of the command); and it
    ends itself when its parent is gone, so killing futstrat with SIGKILL leaves nothing behind.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    end_with_parent()


def end_with_parent() -> None:
    """Watch, on a thread of its own, for the process that started this one to go, and then end this
    process (with the process group it leads, if it leads one).

    That is the parent, or under ``forkserver`` the process that asked the fork server for this one:
    the fork server itself waits for its children before it exits, so it cannot be the one watched.
    A ``_thread`` thread: it never delays the process's own exit, and needs no ``threading``.
    """
    parent = os.getppid()
    _thread.start_new_thread(_watch_parent, (parent, _owner() or parent))


def _owner() -> int | None:
    """The pid of the process that started this one through multiprocessing, if it did."""
    process = sys.modules.get("multiprocessing.process")  # already there in a multiprocessing child
    parent = process.parent_process() if process is not None else None
    return parent.pid if parent is not None else None


def _watch_parent(parent: int, owner: int) -> None:
    # When a parent dies its children are handed to init (or a subreaper): the parent's pid changes.
    while os.getppid() == parent and _is_alive(owner):
        time.sleep(PARENT_WATCH_SECONDS)
    if os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def _is_alive(pid: int) -> bool:
    """Whether ``pid`` runs: a process that has ended but not yet been reaped (a zombie) does not."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rpartition(b")")[2].split()[0]
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc here
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    return state not in (b"Z", b"X")


# -- running a chunk ------------------------------------------------------------------------------


class PassesThroughTasks(BaseException):
    """An exception futstrat itself raises into task code (the watchdog's alarm, a Ctrl-C while tasks
    run in the calling thread): :func:`run_chunk` lets it through, where it turns anything else a task
    raises into a task failure."""


class StandInTaskError(Exception):
    """What a worker sends back in place of an exception that must not travel as it is.

    A task's ``SystemExit``, ``KeyboardInterrupt`` or other ``BaseException`` would end the worker or
    decide the run's exit code, and an exception that cannot be rebuilt from its pickle would break the
    executor's result channel: this ordinary, always picklable exception keeps the original type's
    name, its message and the worker's traceback text instead.
    """

    def __init__(self, type_module: str, type_name: str, message: str, worker_traceback: str) -> None:
        super().__init__(type_module, type_name, message, worker_traceback)
        self.type_module, self.type_name = type_module, type_name
        self.message, self.worker_traceback = message, worker_traceback

    @classmethod
    def of(cls, error: BaseException) -> StandInTaskError:
        import traceback  # only a failing chunk pays for it

        kind = type(error)
        text = "".join(traceback.format_exception(kind, error, error.__traceback__))
        return cls(kind.__module__, kind.__qualname__, str(error), text)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            StandInTaskError,
            (self.type_module, self.type_name, self.message, self.worker_traceback),
            getattr(self, "__dict__", None),
        )


def run_chunk(extra: dict[str, Any] | None, each: bool, chunk: Chunk) -> tuple[int, float, list[Any]]:
    """Run a chunk of tasks in a worker: ``(its start, seconds it took, results in order)``.

    Module-level so that it pickles by reference under every start method. With ``each`` the tracker
    notes every task (a per-task timeout needs that); otherwise it notes the chunk once, which keeps a
    chunk of tiny tasks close to the cost of the calls themselves. Each task runs once: when one raises,
    the index of the one that raised travels back with the exception.
    """
    started = time.perf_counter()
    note_task_started(chunk.start, chunk.end)
    kwargs = _resolved(extra) if extra else {}
    at = _Position(chunk.start)
    try:
        results = _run_items(chunk, each, kwargs, at) if chunk.fn is not None else _run_calls(chunk, each, kwargs, at)
    except PassesThroughTasks:
        raise
    except BaseException as error:
        stand_in = _stand_in_for(error, at.failed_task(chunk))
        if stand_in is None:
            raise
        raise stand_in from None
    finally:
        note_task_finished()
    note_tasks_done(len(results))
    return chunk.start, time.perf_counter() - started, results


class _Position:
    """How far a chunk got: the task running, or the iterator over a tight chunk's items, which knows
    how many it has handed out without costing the loop anything."""

    __slots__ = ("index", "pending")

    def __init__(self, index: int) -> None:
        self.index = index
        self.pending: Any = None

    def failed_task(self, chunk: Chunk) -> int:
        if self.pending is None:
            return self.index
        left: int = self.pending.__length_hint__()
        return chunk.start + len(chunk.items) - left - 1


def _run_items(chunk: Chunk, each: bool, kwargs: dict[str, Any], at: _Position) -> list[Any]:
    fn = chunk.fn
    assert fn is not None
    if each:
        results = []
        for index, item in enumerate(chunk.items, chunk.start):
            at.index = index
            note_task_started(index, index)
            results.append(fn(item, **kwargs))
        return results
    pending = iter(chunk.items)
    if not hasattr(pending, "__length_hint__"):  # an iterator that cannot say how far it got
        pending = _Counting(pending, len(chunk.items))
    at.pending = pending
    if kwargs:
        return [fn(item, **kwargs) for item in pending]
    return [fn(item) for item in pending]


def _run_calls(chunk: Chunk, each: bool, kwargs: dict[str, Any], at: _Position) -> list[Any]:
    results = []
    for index, (call, args) in enumerate(chunk.calls, chunk.start):
        at.index = index
        if each:
            note_task_started(index, index)
        results.append(call(*args, **kwargs))
    return results


class _Counting:
    """An iterator that counts down what is left, for items whose own iterator cannot."""

    __slots__ = ("_items", "_left")

    def __init__(self, items: Any, left: int) -> None:
        self._items, self._left = items, left

    def __iter__(self) -> _Counting:
        return self

    def __next__(self) -> Any:
        item = next(self._items)
        self._left -= 1
        return item

    def __length_hint__(self) -> int:
        return self._left


def _stand_in_for(error: BaseException, index: int) -> StandInTaskError | None:
    """Mark the task's exception with the index of the task that raised (it travels back in the
    exception's ``__dict__``); return a stand-in when the original must not go on as it is."""
    if isinstance(error, Exception):
        with contextlib.suppress(AttributeError, TypeError):
            error.futstrat_task_index = index  # type: ignore[attr-defined]
        if _survives_pickling(error):
            return None
    stand_in = StandInTaskError.of(error)
    stand_in.futstrat_task_index = index  # type: ignore[attr-defined]
    return stand_in


def _survives_pickling(error: BaseException) -> bool:
    import pickle  # already loaded in any process worker; only a failing chunk pays for it

    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return False
    return True


def _resolved(extra: dict[str, Any]) -> dict[str, Any]:
    from futstrat.sharing import resolve  # only tasks that share state pay for it

    return {name: resolve(value) for name, value in extra.items()}
