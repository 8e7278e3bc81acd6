"""A ``concurrent.futures`` executor whose workers are subinterpreters, each owned by one thread.

Each interpreter has its own GIL (Python 3.12+), so CPU-bound Python code runs in parallel inside one
process: no fork, no spawn, no second copy of the parent's memory. The price is the one processes pay
under ``spawn``: a task and its result are pickled, and each interpreter imports the task's modules.

Python 3.14 has ``concurrent.futures.InterpreterPoolExecutor``. This pool is built on the same PEP 734
API instead, so that it behaves the same on 3.13 and 3.14: workers see the parent's ``sys.path`` and
multiprocessing key, a task that cannot be loaded says why, and the threads never keep the program
from exiting.
"""

from __future__ import annotations

import atexit
import os
import pickle
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from types import ModuleType
from typing import Any, TypeVar

from futstrat_interpreters.errors import BrokenInterpreterPoolError, InterpretersUnavailableError
from futstrat_interpreters.replies import describe, pack_call, settle
from futstrat_interpreters.support import find_api
from futstrat_interpreters.worker import OwnedInterpreter

T = TypeVar("T")

#: How long terminate() waits for idle workers to close their interpreters.
TERMINATE_PATIENCE_SECONDS = 1.0
#: How often a worker whose interpreter still runs a thread a task left looks whether it has ended.
LEFT_THREAD_POLL_SECONDS = 0.1
#: How long the end of the process waits for the interrupting threads of interpreters still running a
#: task to stop (see ``_let_go_at_exit``).
EXIT_PATIENCE_SECONDS = 2.0


class _WorkItem:
    __slots__ = ("future", "label", "payload")

    def __init__(self, future: Future[Any], payload: bytes, label: str) -> None:
        self.future, self.payload, self.label = future, payload, label

    def run(self, interpreter: OwnedInterpreter) -> None:
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            reply = interpreter.call(self.payload)
        except BaseException as exc:
            self.future.set_exception(
                BrokenInterpreterPoolError(
                    f"the subinterpreter running {self.label} failed: {type(exc).__name__}: {exc}"
                )
            )
            return
        settle(self.future, reply, self.label)


def default_workers() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class SubinterpreterPoolExecutor(Executor):
    """A pool of ``max_workers`` subinterpreters, each with its own GIL and its own thread.

    All interpreters start at construction, in parallel, so their cost is paid before the first task.
    ``initializer(*initargs)`` runs in each of them first (both are pickled). ``deferred_packages``
    names packages whose ``__init__`` a worker runs only when the task uses the package itself, not
    just a module inside it (see :class:`futstrat_interpreters.inside.DeferredInitFinder`).
    """

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        thread_name_prefix: str = "interpreter-worker",
        deferred_packages: Sequence[str] = (),
    ) -> None:
        api, reason = find_api()
        if api is None:
            raise InterpretersUnavailableError(reason)
        if max_workers is None:
            max_workers = default_workers()
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._max_workers = max_workers
        self._work: queue.SimpleQueue[_WorkItem | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._shutdown = False
        self._broken: str | None = None
        self._live = _LiveInterpreters()
        _OPEN_POOLS.add(self._live)
        settings = pickle.dumps(_settings(deferred_packages))
        setup = None if initializer is None else pack_call(initializer, tuple(initargs), {})
        me = weakref.ref(self, _wake(self._work, max_workers))
        self._threads = [
            threading.Thread(
                target=_serve,
                args=(me, self._work, self._live, api, settings, setup),
                name=f"{thread_name_prefix}-{index}",
                daemon=True,  # a task that never returns must not keep the program from exiting
            )
            for index in range(max_workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def max_workers(self) -> int:
        return self._max_workers

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            if self._broken is not None:
                raise BrokenInterpreterPoolError(self._broken)
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future[T] = Future()
            try:
                payload = pack_call(fn, args, kwargs)
            except Exception as exc:
                future.set_exception(exc)
                return future
            self._work.put(_WorkItem(future, payload, describe(fn)))
            return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                self._drain(None)
            for _ in self._threads:
                self._work.put(None)
        if wait:
            for thread in self._threads:
                thread.join()

    def terminate(self) -> None:
        """Stop now: cancel pending tasks, interrupt running ones, let the workers close their interpreters.

        A running task gets ``TaskInterruptedError`` at its next bytecode: a loop in Python stops at
        once, a call blocked in C (a sleep, a read) returns first. Idle workers close their interpreters
        within ``TERMINATE_PATIENCE_SECONDS``, which matters on Python 3.13, where a process forked while
        a subinterpreter exists dies in the child. The threads are daemons: a task that never returns
        does not keep the program from exiting.
        """
        self.shutdown(wait=False, cancel_futures=True)
        self._live.interrupt_all()
        give_up = time.monotonic() + TERMINATE_PATIENCE_SECONDS
        for thread in self._threads:
            thread.join(max(0.0, give_up - time.monotonic()))

    def threads_left_running(self) -> list[str]:
        """The names of the worker threads still alive, after ``terminate()`` those whose task would
        not stop: they run until their task returns, and the process can still exit meanwhile."""
        return [thread.name for thread in self._threads if thread.is_alive()]

    def _broke(self, reason: str) -> None:
        """A worker could not start: fail what is queued and refuse what comes."""
        with self._lock:
            if self._broken is None:
                self._broken = reason
            self._drain(BrokenInterpreterPoolError(reason))

    def _drain(self, error: BaseException | None) -> None:
        stopping = 0
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                break
            if item is None:
                stopping += 1
            elif error is None:
                item.future.cancel()
            elif item.future.set_running_or_notify_cancel():
                item.future.set_exception(error)
        for _ in range(stopping):
            self._work.put(None)

    def __repr__(self) -> str:
        state = "broken" if self._broken else "shut down" if self._shutdown else "running"
        return f"<SubinterpreterPoolExecutor {self._max_workers} workers, {state}>"


def _settings(deferred_packages: Sequence[str]) -> dict[str, Any]:
    """What each interpreter adopts from this one before it imports a task."""
    import multiprocessing

    return {
        "sys_path": list(sys.path),
        "authkey": bytes(multiprocessing.current_process().authkey),
        "deferred_packages": tuple(deferred_packages),
    }


def _wake(work: queue.SimpleQueue[_WorkItem | None], workers: int) -> Callable[[object], None]:
    """When the executor is garbage-collected unclosed, tell its threads to close their interpreters."""

    def wake(_: object) -> None:
        for _ in range(workers):
            work.put(None)

    return wake


class _LiveInterpreters:
    """The pool's interpreters that are open now, so that ``terminate`` can reach their tasks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[OwnedInterpreter] = []

    def add(self, interpreter: OwnedInterpreter) -> None:
        with self._lock:
            self._open.append(interpreter)

    def close(self, interpreter: OwnedInterpreter) -> None:
        with self._lock:
            self._open.remove(interpreter)
        interpreter.close()

    def interrupt_all(self) -> None:
        with self._lock:
            for interpreter in self._open:
                interpreter.interrupt()

    def let_go_all(self) -> list[int]:
        """Stop the interrupting thread of each interpreter still open; their native thread ids."""
        with self._lock:
            stopped = [interpreter.let_go() for interpreter in self._open]
        return [native_id for native_id in stopped if native_id is not None]


#: Every pool's interpreters, while the pool exists.
_OPEN_POOLS: weakref.WeakSet[_LiveInterpreters] = weakref.WeakSet()


def _let_go_at_exit() -> None:
    """Let the process exit although a worker is stuck in a task its pool could not interrupt.

    The worker threads are daemons, but Python finalizes every subinterpreter still open before it
    exits, and that joins each interpreter's own threads: the interrupting thread of an interpreter
    whose task never returned would be waited for for ever. So, at exit, each such thread is told to
    stop, and the exit waits (boundedly) until it has: an interpreter's thread that has not ended by
    the time Python finalizes that interpreter is never seen to end.
    """
    stopping = [native_id for live in list(_OPEN_POOLS) for native_id in live.let_go_all()]
    if not stopping:
        return
    tasks = "/proc/self/task"
    if not os.path.isdir(tasks):  # no way to see a thread end: give them a moment
        time.sleep(0.1)
        return
    give_up = time.monotonic() + EXIT_PATIENCE_SECONDS
    for native_id in stopping:
        while os.path.exists(f"{tasks}/{native_id}") and time.monotonic() < give_up:
            time.sleep(0.005)


atexit.register(_let_go_at_exit)


def _serve(
    executor: weakref.ref[SubinterpreterPoolExecutor],
    work: queue.SimpleQueue[_WorkItem | None],
    live: _LiveInterpreters,
    api: ModuleType,
    settings: bytes,
    setup: bytes | None,
) -> None:
    """The body of each worker thread: start an interpreter, run tasks in it until told to stop."""
    try:
        interpreter = OwnedInterpreter(api, settings)
    except BaseException as exc:
        _report_broken(executor, f"a worker's subinterpreter could not start: {type(exc).__name__}: {exc}")
        return
    live.add(interpreter)
    try:
        if setup is not None and not _initialized(interpreter, setup, executor):
            return
        while True:
            item = work.get()
            if item is None:
                return
            item.run(interpreter)
            del item
    finally:
        _wait_for_threads_left(interpreter)
        live.close(interpreter)


def _wait_for_threads_left(interpreter: OwnedInterpreter) -> None:
    """Wait until the threads a task started in ``interpreter`` and left running have ended.

    Closing the interpreter joins them, and would do so holding the lock every pool of the process takes
    to start and close interpreters: one thread that never ends would block every later pool. Waiting
    here instead keeps only this worker alive, which ``threads_left_running()`` names.
    """
    while True:
        try:
            if not interpreter.threads_left():
                return
        except Exception:  # the interpreter cannot say: let closing it find out
            return
        time.sleep(LEFT_THREAD_POLL_SECONDS)


def _initialized(
    interpreter: OwnedInterpreter, setup: bytes, executor: weakref.ref[SubinterpreterPoolExecutor]
) -> bool:
    outcome: Future[Any] = Future()
    _WorkItem(outcome, setup, "the initializer").run(interpreter)
    error = outcome.exception()
    if error is None:
        return True
    _report_broken(executor, f"the initializer raised {type(error).__name__}: {error}")
    return False


def _report_broken(executor: weakref.ref[SubinterpreterPoolExecutor], reason: str) -> None:
    alive = executor()
    if alive is not None:
        alive._broke(reason)
