"""``multiprocessing.Pool`` behind the ``concurrent.futures.Executor`` interface.

``submit`` goes through ``apply_async`` and hands back a real ``concurrent.futures.Future``, so
``wait``, ``as_completed``, callbacks and timeouts work as users expect. Tasks (and the chunks of a
``map``) wait here and reach the pool only as its workers free up, which is what makes ``cancel()`` of a
pending task honest (a task the pool has taken can no longer be withdrawn) and keeps the parent's
memory bounded.

A bare ``Pool`` waits forever for the result of a task whose worker was killed (CPython issue 96062).
A watcher thread here notices a worker that ended, whatever its exit code, fails everything
outstanding with :class:`~futstrat.engine.worker_watch.WorkerDiedError` and terminates the pool, as
``ProcessPoolExecutor`` does when it breaks; likewise when a result cannot be rebuilt in this process.
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
from concurrent.futures import CancelledError, Executor, Future, InvalidStateError
from concurrent.futures import TimeoutError as FuturesTimeoutError
from concurrent.futures import wait as wait_futures
from typing import Any, TypeVar

from attrs import define

from futstrat.engine.chunking import default_chunksize
from futstrat.engine.executor_adapter import forget_pool_results, pool_result_handler
from futstrat.engine.worker_watch import WorkerDiedError
from futstrat.start_methods import process_context

T = TypeVar("T")

_POOL_STOPPED = "the multiprocessing pool was terminated before this task finished"


class ResultLostError(RuntimeError):
    """A task's result or exception reached this process but could not be rebuilt from its pickle.

    ``multiprocessing.Pool``'s result-handler thread dies of it, and with it every result still to
    come, so everything outstanding fails with this instead of waiting for ever.
    """

    def __init__(self, causes: list[Exception]) -> None:
        why = f" ({type(causes[0]).__name__}: {causes[0]})" if causes else ""
        super().__init__(
            f"a task's result or exception could not be rebuilt in this process from its pickle{why};"
            " the pool can deliver no further result"
        )


_WATCH_INTERVAL_SECONDS = 0.05


def _apply_to_chunk(fn: Callable[..., T], chunk: list[tuple[Any, ...]]) -> list[T]:
    return [fn(*args) for args in chunk]


def _chunked(items: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class _RecordingPool(multiprocessing.pool.Pool):
    """A ``Pool`` that tells its owner about every worker process it creates, replacements included,
    so that a worker that dies moments after it started is still seen to have died; and about a
    result that cannot be rebuilt from its pickle, which ends the pool's result handler."""

    def __init__(
        self,
        *args: Any,
        on_new_process: Callable[[Any], None],
        on_lost_result: Callable[[Exception], None],
        **kwargs: Any,
    ) -> None:
        self._on_new_process = on_new_process
        self._on_lost_result = on_lost_result
        super().__init__(*args, **kwargs)

    def _setup_queues(self) -> None:
        super()._setup_queues()  # type: ignore[misc]
        receive = self._quick_get  # type: ignore[has-type]

        def receive_or_stop() -> Any:
            try:
                return receive()
            except (OSError, EOFError):
                raise
            except Exception as exc:  # the handler would die of it with a traceback: end it quietly
                self._on_lost_result(exc)
                raise EOFError from exc

        self._quick_get = receive_or_stop

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


class _MapFeed:
    """The chunks of one ``map()`` call, handed to the pool only as its workers take them.

    The pool's task handler pulls this iterator; it yields a chunk only while fewer than ``limit`` of
    its chunks are in the pool, so the rest stay here, where closing the map's iterator (or
    ``shutdown(cancel_futures=True)``) withdraws them before they ever run.
    """

    def __init__(self, chunks: Iterator[Any], limit: int, abandoned: threading.Event) -> None:
        self._chunks, self._limit, self._abandoned = chunks, limit, abandoned
        self._room = threading.Condition()
        self._in_pool = 0
        self._feeding = True
        self.withdrawn = False
        self.cut_short = False  # some chunks were withdrawn: the results will not all come
        self.ready = threading.Event()  # set once the pool's result object reports to done_one()

    def __iter__(self) -> Iterator[Any]:
        self.ready.wait()
        try:
            for chunk in self._chunks:
                with self._room:
                    while self._in_pool >= self._limit and not self._stopped():
                        self._room.wait(_WATCH_INTERVAL_SECONDS)
                    if self._stopped():
                        self.cut_short = True
                        return
                    self._in_pool += 1
                yield chunk
        finally:
            with self._room:
                self._feeding = False
                self._room.notify_all()

    def _stopped(self) -> bool:
        return self.withdrawn or self._abandoned.is_set()

    def done_one(self) -> None:
        with self._room:
            self._in_pool -= 1
            self._room.notify_all()

    def withdraw(self) -> None:
        with self._room:
            self.withdrawn = True
            self._room.notify_all()

    def wait_until_drained(self) -> None:
        """Until every chunk handed to the pool has come back and nothing more will be handed."""
        with self._room:
            while (self._feeding or self._in_pool > 0) and not self._abandoned.is_set():
                self._room.wait(_WATCH_INTERVAL_SECONDS)


class _MapResults(Iterator[T]):
    """A ``map()``'s results. Closing it, or letting go of it, withdraws the chunks not yet handed to
    the pool, even before its first result was asked for (a bare generator cannot: until it has
    started, closing it runs none of its code)."""

    def __init__(self, results: Iterator[T], release: Callable[[], None]) -> None:
        self._results, self._release = results, release

    def __next__(self) -> T:
        return next(self._results)

    def close(self) -> None:
        self._release()
        close = getattr(self._results, "close", None)
        if close is not None:
            close()

    def __del__(self) -> None:
        self._release()


class PoolExecutor(Executor):
    """An executor on a ``multiprocessing.Pool``; ``map`` and ``map_unordered`` use the pool's own
    ``imap`` and ``imap_unordered`` with a chunk size.

    Work reaches the pool only as its workers free up (one more than there are workers, as
    ``ProcessPoolExecutor`` does), so a future is running only once a worker is about to take it, and
    whatever waits here can still be cancelled.
    """

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
        self._lost_results: list[Exception] = []  # why the pool's result handler stopped, if it did
        self._pool: multiprocessing.pool.Pool = _RecordingPool(
            processes,
            initializer,
            initargs,
            context=context,
            on_new_process=self._workers.append,
            on_lost_result=self._lost_results.append,
        )
        self._lock = threading.RLock()
        self._queued: deque[_WorkItem] = deque()
        self._in_flight = 0
        self._max_in_flight = max_in_flight or processes + 1
        self._feeds: set[_MapFeed] = set()  # the map() calls still handing chunks to the pool
        self._outstanding: set[Future[Any]] = set()
        self._shutdown = False
        self._closer: threading.Thread | None = None
        self._broken: Exception | None = None
        self._stopping = threading.Event()  # the workers are about to end: none of them died
        self._abandoned = threading.Event()  # terminated or broken: nothing more goes to the pool
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
        feed = _MapFeed(_chunked(items, chunksize), self._max_in_flight, self._abandoned)
        results = method(functools.partial(_apply_to_chunk, fn), iter(feed), 1)
        with self._lock:
            self._feeds.add(feed)
        # The pool's result handler calls _set(index, outcome) for each chunk that comes back.
        handle = results._set

        def chunk_back(index: int, outcome: Any) -> None:
            handle(index, outcome)
            feed.done_one()

        results._set = chunk_back
        feed.ready.set()
        return _MapResults(self._results_until(feed, results, deadline), functools.partial(self._release, feed))

    def _release(self, feed: _MapFeed) -> None:
        feed.withdraw()
        with self._lock:
            self._feeds.discard(feed)

    def _results_until(self, feed: _MapFeed, results: Any, deadline: float | None) -> Iterator[Any]:
        """The map's results, one by one; closing this iterator withdraws the chunks not yet started."""
        try:
            while True:
                try:
                    chunk = results.next(timeout=_WATCH_INTERVAL_SECONDS)
                except StopIteration:
                    if feed.cut_short:
                        raise self._broken or CancelledError() from None
                    return
                except multiprocessing.TimeoutError:
                    if self._broken is not None:
                        raise self._broken from None
                    if self._abandoned.is_set():
                        raise RuntimeError(_POOL_STOPPED) from None
                    if deadline is not None and time.monotonic() >= deadline:
                        raise FuturesTimeoutError() from None
                    continue
                yield from chunk
        finally:
            self._release(feed)

    # -- lifecycle ----------------------------------------------------------------------------------
    def _refuse_after_shutdown(self) -> None:
        if self._broken is not None:
            raise self._broken
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")

    def _watch_workers(self) -> None:
        """A pool worker never ends on its own while the pool runs (there is no maxtasksperchild), so
        any worker that ended, with whatever exit code, died; and a result handler that stopped can
        deliver nothing more."""
        while not self._stopping.wait(_WATCH_INTERVAL_SECONDS):
            for process in self._workers[:]:
                if process.pid is None:
                    continue  # created but not started yet: look again next time
                exitcode = process.exitcode
                if exitcode is not None and not self._stopping.is_set():
                    self._break(WorkerDiedError(process.pid, exitcode))
                    return
            handler = pool_result_handler(self._pool)
            if handler is not None and not handler.is_alive() and not self._stopping.is_set():
                self._break(ResultLostError(self._lost_results[:1]))
                return

    def _break(self, error: Exception) -> None:
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
        self._abandoned.set()
        self._stopping.set()
        handler = pool_result_handler(self._pool)
        if handler is not None and not handler.is_alive():
            # The pool refuses to terminate while it waits for results that no handler can deliver.
            forget_pool_results(self._pool)
        self._pool.terminate()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._queued:
                    self._queued.popleft().future.cancel()
                for feed in self._feeds:
                    feed.withdraw()
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
        with self._lock:
            feeds = list(self._feeds)
        for feed in feeds:
            feed.wait_until_drained()
        self._stopping.set()  # the workers are about to end, as told: not a death
        self._pool.close()
        self._pool.join()

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
