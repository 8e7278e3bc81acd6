"""``multiprocessing.Pool`` behind the ``concurrent.futures.Executor`` interface.

``submit`` goes through ``apply_async`` and hands back a real ``concurrent.futures.Future``, so
``wait``, ``as_completed``, callbacks and timeouts work as users expect. Tasks wait in a local queue and
only a bounded window is handed to the pool, which is what makes ``cancel()`` of a pending task honest
(a task the pool has taken can no longer be withdrawn) and keeps the parent's memory bounded.

A bare ``Pool`` waits forever for the result of a task whose worker was killed (CPython issue 96062).
A watcher thread here notices a worker that ended with a non-zero exit code, fails everything
outstanding with :class:`~futstrat.worker_watch.WorkerDiedError` and terminates the pool, as
``ProcessPoolExecutor`` does when it breaks.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import multiprocessing
import multiprocessing.pool
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, InvalidStateError
from concurrent.futures import TimeoutError as FuturesTimeoutError
from concurrent.futures import wait as wait_futures
from typing import Any, TypeVar

from attrs import define

from futstrat.chunking import default_chunksize
from futstrat.start_methods import process_context
from futstrat.worker_watch import WorkerDiedError

T = TypeVar("T")

_POOL_STOPPED = "the multiprocessing pool was terminated before this task finished"
_WATCH_INTERVAL_SECONDS = 0.05


def _apply_to_chunk(fn: Callable[..., T], chunk: list[tuple[Any, ...]]) -> list[T]:
    return [fn(*args) for args in chunk]


def _chunked(items: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class _RecordingPool(multiprocessing.pool.Pool):
    """A ``Pool`` that tells its owner about every worker process it creates, replacements included,
    so that a worker that dies moments after it started is still seen to have died."""

    def __init__(self, *args: Any, on_new_process: Callable[[Any], None], **kwargs: Any) -> None:
        self._on_new_process = on_new_process
        super().__init__(*args, **kwargs)

    def Process(self, ctx: Any, *args: Any, **kwds: Any) -> Any:  # type: ignore[override]
        process = super().Process(ctx, *args, **kwds)
        self._on_new_process(process)
        return process


@define
class _WorkItem:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class PoolExecutor(Executor):
    """An executor on a ``multiprocessing.Pool``; ``map`` and ``map_unordered`` use the pool's own
    ``imap`` and ``imap_unordered`` with a chunk size."""

    def __init__(
        self,
        processes: int,
        *,
        mp_context: Any = None,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        max_in_flight: int | None = None,
    ) -> None:
        context = mp_context if mp_context is not None else process_context(None)
        self._processes = processes
        self._workers: list[Any] = []  # every worker process the pool has started, alive or not
        self._pool: multiprocessing.pool.Pool = _RecordingPool(
            processes, initializer, initargs, context=context, on_new_process=self._workers.append
        )
        self._lock = threading.RLock()
        self._queued: deque[_WorkItem] = deque()
        self._in_flight = 0
        self._max_in_flight = max_in_flight or processes * 8
        self._outstanding: set[Future[Any]] = set()
        self._shutdown = False
        self._closer: threading.Thread | None = None
        self._broken: WorkerDiedError | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch_workers, name="futstrat-pool-watcher", daemon=True)
        self._watcher.start()

    # -- submit -----------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            self._refuse_after_shutdown()
            self._queued.append(_WorkItem(future, fn, args, kwargs))
            self._outstanding.add(future)
            future.add_done_callback(self._forget)
            self._feed()
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._outstanding.discard(future)

    def _feed(self) -> None:
        while self._in_flight < self._max_in_flight and self._queued:
            item = self._queued.popleft()
            if not item.future.set_running_or_notify_cancel():
                continue  # cancelled while it waited here: it never reaches the pool
            self._in_flight += 1
            try:
                self._pool.apply_async(
                    item.fn,
                    item.args,
                    item.kwargs,
                    callback=functools.partial(self._settle, item.future, True),
                    error_callback=functools.partial(self._settle, item.future, False),
                )
            except Exception as exc:  # the pool is no longer running
                self._in_flight -= 1
                item.future.set_exception(exc)

    def _settle(self, future: Future[Any], succeeded: bool, outcome: Any) -> None:
        # Runs in the pool's result-handler thread.
        with self._lock:
            self._in_flight -= 1
            self._feed()
        with contextlib.suppress(InvalidStateError):  # terminate() may have failed it already
            if succeeded:
                future.set_result(outcome)
            else:
                future.set_exception(outcome)

    # -- map ----------------------------------------------------------------------------------------
    def map(
        self,
        fn: Callable[..., T],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int | None = 1,
    ) -> Iterator[T]:
        """Like ``Executor.map``; ``chunksize=None`` picks the size ``Pool.map`` would."""
        return self._imap(self._pool.imap, fn, iterables, timeout, chunksize)

    def map_unordered(
        self,
        fn: Callable[..., T],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int | None = 1,
    ) -> Iterator[T]:
        """Like ``map``, but results come back as they complete."""
        return self._imap(self._pool.imap_unordered, fn, iterables, timeout, chunksize)

    def _imap(
        self,
        method: Callable[..., Any],
        fn: Callable[..., T],
        iterables: tuple[Iterable[Any], ...],
        timeout: float | None,
        chunksize: int | None,
    ) -> Iterator[T]:
        with self._lock:
            self._refuse_after_shutdown()
        deadline = None if timeout is None else time.monotonic() + timeout
        items: Iterable[tuple[Any, ...]] = zip(*iterables)
        if chunksize is None:
            items = list(items)
            chunksize = default_chunksize(len(items), self._processes)
        # The pool's own chunking returns a plain generator without a timeout; chunks made here
        # travel one per pool task, so every wait for a result can be bounded.
        chunks = method(functools.partial(_apply_to_chunk, fn), _chunked(items, chunksize), 1)
        return (result for chunk in self._results_until(chunks, deadline) for result in chunk)

    def _results_until(self, results: Any, deadline: float | None) -> Iterator[Any]:
        while True:
            try:
                yield results.next(timeout=_WATCH_INTERVAL_SECONDS)
            except StopIteration:
                return
            except multiprocessing.TimeoutError:
                if self._broken is not None:
                    raise self._broken from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise FuturesTimeoutError() from None

    # -- lifecycle ----------------------------------------------------------------------------------
    def _refuse_after_shutdown(self) -> None:
        if self._broken is not None:
            raise self._broken
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")

    def _watch_workers(self) -> None:
        watched = 0
        while not self._stopping.wait(_WATCH_INTERVAL_SECONDS):
            workers = self._workers[:]
            for process in workers[watched:]:
                if process.pid is None:
                    break  # created but not started yet: look again next time
                exitcode = process.exitcode
                if exitcode is not None and exitcode != 0 and not self._stopping.is_set():
                    self._break(WorkerDiedError(process.pid, exitcode))
                    return
            # Workers that ended cleanly never need another look.
            while watched < len(workers) and workers[watched].pid is not None and workers[watched].exitcode == 0:
                watched += 1

    def _break(self, error: WorkerDiedError) -> None:
        with self._lock:
            self._broken = error
            self._shutdown = True
            self._queued.clear()
            outstanding = list(self._outstanding)
        self._fail(outstanding, error)
        self._stop_pool()

    @staticmethod
    def _fail(futures: list[Future[Any]], error: BaseException) -> None:
        for future in futures:
            if not future.cancel():
                with contextlib.suppress(InvalidStateError):  # it finished meanwhile
                    future.set_exception(error)

    def _stop_pool(self) -> None:
        self._stopping.set()
        self._pool.terminate()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._queued:
                    self._queued.popleft().future.cancel()
            if self._closer is None:
                self._closer = threading.Thread(
                    target=self._close_when_drained, name="futstrat-pool-closer", daemon=True
                )
                self._closer.start()
        if wait:
            self._closer.join()

    def _close_when_drained(self) -> None:
        while True:
            with self._lock:
                outstanding = list(self._outstanding)
            if not outstanding:
                break
            wait_futures(outstanding)
        self._pool.close()
        self._pool.join()
        self._stopping.set()

    def terminate(self) -> None:
        """Stop every worker now; futures still outstanding fail."""
        with self._lock:
            self._shutdown = True
            self._queued.clear()
            outstanding = list(self._outstanding)
        self._stop_pool()
        self._fail(outstanding, RuntimeError(_POOL_STOPPED))

    @property
    def max_workers(self) -> int:
        return self._processes

    @property
    def pool(self) -> multiprocessing.pool.Pool:
        """The underlying pool, for code that wants its other map-style methods."""
        return self._pool

    def worker_exit_codes(self) -> dict[int, int | None]:
        """Every worker process the pool started and its exit code (None while it runs)."""
        return {p.pid: p.exitcode for p in self._workers[:] if p.pid is not None}

    def __repr__(self) -> str:
        return f"<PoolExecutor processes={self._processes}>"
