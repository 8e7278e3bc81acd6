"""The two ways futstrat drives loky: a pool of its own per run, or loky's process-wide reusable pool.

loky detects a worker that dies (a crash, a kill, running out of memory) and fails the futures it was
running with ``TerminatedWorkerError``; the pool is then marked broken instead of hanging. Both
executors here keep that behaviour and add what the runner needs: a ``shutdown(cancel_futures=...)``
like the standard library's, a ``terminate()`` that kills the workers, so that a failed run leaves no
process behind, and ``worker_exit_codes()``, which says which worker died and how, so that the run's
report can name it and the task it was running in one line.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future
from concurrent.futures import wait as wait_futures
from multiprocessing.reduction import ForkingPickler
from typing import Any, TypeVar

import loky
from loky.backend.context import get_context as loky_context

from futstrat_loky.in_worker import prepare_worker

T = TypeVar("T")

#: loky's own start method: fork immediately followed by exec of a fresh interpreter, so a worker
#: inherits neither the parent's threads nor its locks (what joblib uses).
LOKY_START_METHOD = "loky"

#: How long the reusable pool's idle workers wait for the next run before they exit: long enough for a
#: comparison's warm-up and repeats to reuse them, short enough not to hold memory for long.
REUSABLE_IDLE_SECONDS = 60.0

#: How long ``terminate()`` waits for a killed worker to be reaped.
REAP_SECONDS = 5.0


def _quiet_environment() -> dict[str, str] | None:
    """What loky's workers are given so that a crash does not print a faulthandler dump, unless asked.

    A loky worker enables ``faulthandler`` unless ``PYTHONFAULTHANDLER`` is in its environment, so a
    segmentation fault in a task prints some thirty lines of every thread's stack on the terminal,
    where futstrat's own report says in one line which worker died, how, and running which task. An
    empty value is what Python itself reads as "not enabled". Whoever asked for the dump (the variable
    set, or ``python -X faulthandler``) still gets it.
    """
    import faulthandler

    if "PYTHONFAULTHANDLER" in os.environ or faulthandler.is_enabled():
        return None
    return {"PYTHONFAULTHANDLER": ""}


class _WorkerDeaths:
    """Every worker process a loky pool has had, and their exit codes as they were when the pool broke.

    loky fails the outstanding futures first and only then kills the surviving workers with SIGKILL,
    so the exit codes read as the first future fails show the worker that died by itself; read later,
    every worker looks killed. The codes are kept from that moment for :meth:`exit_codes`.
    """

    def __init__(self, processes: Callable[[], dict[int, Any]]) -> None:
        self._processes = processes
        self._lock = threading.Lock()
        self._seen: dict[int, Any] = {}
        self._at_break: dict[int, int | None] | None = None

    def remember(self) -> None:
        with self._lock:
            self._seen.update(self._processes())

    def watch(self, future: Future[Any]) -> None:
        self.remember()
        future.add_done_callback(self._settled)

    def _settled(self, future: Future[Any]) -> None:
        if future.cancelled() or not isinstance(future.exception(), BrokenExecutor):
            return
        with self._lock:
            if self._at_break is None:
                self._at_break = {pid: process.exitcode for pid, process in self._processes().items()}

    def exit_codes(self) -> dict[int, int | None]:
        """Every worker seen so far and its exit code (None while it runs). Once the pool has broken,
        the workers that had ended by then come first, with the codes they had then; the others,
        which loky killed after, follow with their codes now (None only while one still runs)."""
        self.remember()
        with self._lock:
            now = {pid: process.exitcode for pid, process in self._seen.items()}
            if self._at_break is None:
                return now
            ended = {pid: code for pid, code in self._at_break.items() if code is not None}
            return ended | {pid: code for pid, code in now.items() if pid not in ended}

    def processes(self) -> list[Any]:
        self.remember()
        with self._lock:
            return list(self._seen.values())


def _start_context(start_method: str | None) -> Any:
    """The multiprocessing context for ``start_method``, or loky's own when none is asked for.

    The standard methods are taken from multiprocessing directly: loky's ``get_context("fork")``
    only adds a warning against fork, and the run's report already records the method.
    """
    if start_method is None:
        return loky_context(LOKY_START_METHOD)
    return multiprocessing.get_context(start_method)


def _stop_now(pool: Any) -> None:
    """Shut ``pool`` down killing its workers, and wait (boundedly) until loky has reaped them.

    loky's manager thread kills and joins the workers itself; joining them here as well would race it
    for each exit status. Any worker still there after the wait is sent SIGKILL once more.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, kill_workers=True)
    if manager is not None:
        manager.join(timeout=REAP_SECONDS)
    kill_signal = getattr(signal, "SIGKILL", signal.SIGTERM)
    for process in processes:
        if process.pid is not None and process.exitcode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(process.pid, kill_signal)


def _cancel_what_is_left(futures: list[Future[Any]]) -> None:
    """Cancel the futures a stopped pool has not failed. Only after it stopped: loky fails each task
    it still holds when it is shut down with ``kill_workers``, and a future cancelled before that
    makes its manager thread die of ``InvalidStateError`` (with a traceback on stderr)."""
    for future in futures:
        future.cancel()


class _PickledByMultiprocessing:
    """``value`` sent to a starting worker with multiprocessing's own pickler, inside loky's.

    loky pickles a new worker's initializer arguments with cloudpickle, which does not know
    multiprocessing's raw shared memory (``RawArray``), the form of the run's task tracker. As loky
    does this while it starts the worker, multiprocessing's pickler can hand the memory's file over
    then, as it does under spawn; the worker unpickles ``value`` with plain ``pickle.loads``.
    """

    def __init__(self, value: object) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Callable[[bytes], object], tuple[bytes]]:
        return pickle.loads, (bytes(ForkingPickler.dumps(self.value)),)


class LokyPoolExecutor(loky.ProcessPoolExecutor):  # type: ignore[misc]
    """A ``loky.ProcessPoolExecutor`` that belongs to one run: started for it, shut down after it."""

    def __init__(
        self,
        workers: int,
        *,
        start_method: str | None = None,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        super().__init__(
            max_workers=workers,
            context=_start_context(start_method),
            initializer=prepare_worker,
            initargs=(os.getpid(), _quiet_environment(), initializer, tuple(initargs)),
        )
        self.start_method = start_method or LOKY_START_METHOD
        self._submitted: weakref.WeakSet[Future[Any]] = weakref.WeakSet()
        self._deaths = _WorkerDeaths(lambda: dict(getattr(self, "_processes", None) or {}))

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = super().submit(fn, *args, **kwargs)
        self._submitted.add(future)
        self._deaths.watch(future)
        return future

    def worker_exit_codes(self) -> dict[int, int | None]:
        """Each worker process and its exit code (None while it runs); once the pool has broken, the
        workers as they were then, so that the one that died is told from those loky killed after it."""
        return self._deaths.exit_codes()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False, kill_workers: bool = False) -> None:
        """The standard library's signature plus loky's ``kill_workers``."""
        if cancel_futures:
            for future in list(self._submitted):
                future.cancel()  # only succeeds for tasks no worker has taken yet
        super().shutdown(wait=wait, kill_workers=kill_workers)

    def terminate(self) -> None:
        """Stop every worker now; the futures still outstanding fail."""
        self._deaths.remember()
        _stop_now(self)
        _cancel_what_is_left(list(self._submitted))

    @property
    def max_workers(self) -> int:
        return int(self._max_workers)

    @property
    def worker_processes(self) -> list[Any]:
        return list((getattr(self, "_processes", None) or {}).values())

    @property
    def worker_pids(self) -> list[int]:
        return list(getattr(self, "_processes", None) or {})

    def __repr__(self) -> str:
        return f"<LokyPoolExecutor workers={self._max_workers} start_method={self.start_method}>"


class ReusedLokyExecutor(Executor):
    """One run's handle on loky's reusable executor, the pool loky keeps per thread across calls.

    Without an initializer the pool outlives the handle: ``shutdown()`` waits for this run's tasks and
    leaves the workers running for the next handle, which then starts in no time (loky replaces the
    pool when it broke). With one, the pool is this run's alone: futstrat's worker initializer carries
    the run's task tracker (shared memory made for that run), makes each worker lead a process group
    of its own and ends it with its parent, so that a dead worker's report can name its task and the
    processes a task started can be killed with its worker. With ``reuse=False`` the handle starts
    fresh workers and stops them at ``shutdown()``, as it does with an initializer. loky reuses its
    pool only for the same
    arguments, so the next run's tracker starts a fresh pool anyway, and ``shutdown()`` stops the
    workers instead of leaving them to wait for a run that cannot use them. ``terminate()`` kills the
    workers in both cases. Every worker also gets this plugin's own initializer, which watches the
    process that owns the pool.
    """

    def __init__(
        self,
        workers: int,
        *,
        idle_timeout: float = REUSABLE_IDLE_SECONDS,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        reuse: bool = True,
    ) -> None:
        run_initargs = _PickledByMultiprocessing(tuple(initargs)) if initializer is not None else ()
        self._pool: Any = loky.get_reusable_executor(
            max_workers=workers,
            context=LOKY_START_METHOD,
            timeout=idle_timeout,
            reuse="auto" if reuse else False,
            env=_quiet_environment(),
            initializer=prepare_worker,
            initargs=(os.getpid(), None, initializer, run_initargs),
        )
        self._deaths = _WorkerDeaths(lambda: dict(getattr(self._pool, "_processes", None) or {}))
        self._workers = workers
        self._lock = threading.Lock()
        self._futures: set[Future[Any]] = set()
        self._shutdown = False
        # Not reused, the pool is this run's alone, as it is with an initializer: shutdown() stops it.
        self._owns_pool = initializer is not None or not reuse
        self.start_method = LOKY_START_METHOD

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future[T] = self._pool.submit(fn, *args, **kwargs)
            self._futures.add(future)
        self._deaths.watch(future)
        future.add_done_callback(self._forget)
        return future

    def worker_exit_codes(self) -> dict[int, int | None]:
        """As :meth:`LokyPoolExecutor.worker_exit_codes`, for the workers this run has used."""
        return self._deaths.exit_codes()

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _outstanding(self) -> list[Future[Any]]:
        with self._lock:
            self._shutdown = True
            return list(self._futures)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Release this run's hold on the pool: its workers stay up for the next run, unless they carry
        this run's initializer, which no other run can use; then the pool shuts down as well."""
        outstanding = self._outstanding()
        if cancel_futures:
            for future in outstanding:
                future.cancel()
        if self._owns_pool:
            self._deaths.remember()
            self._pool.shutdown(wait=wait)
        elif wait:
            wait_futures(outstanding)

    def terminate(self) -> None:
        """Kill the pool's workers; the next run gets a fresh pool."""
        outstanding = self._outstanding()
        _stop_now(self._pool)
        _cancel_what_is_left(outstanding)

    @property
    def reused(self) -> Any:
        """The process-wide loky executor behind this handle."""
        return self._pool

    @property
    def max_workers(self) -> int:
        return self._workers

    @property
    def worker_processes(self) -> list[Any]:
        return list((getattr(self._pool, "_processes", None) or {}).values())

    @property
    def worker_pids(self) -> list[int]:
        return list(getattr(self._pool, "_processes", None) or {})

    def __repr__(self) -> str:
        return f"<ReusedLokyExecutor workers={self._workers} pool={self._pool!r}>"
