"""A dask.distributed cluster behind the ``concurrent.futures.Executor`` interface, for one run.

With no address the executor starts a ``LocalCluster`` on the loopback interface, one single-threaded
worker process per futstrat worker, and stops it on shutdown. With an address it connects to a
scheduler that is already running and leaves it running: the same run then scales out to every worker
of that cluster. Tasks are submitted with ``pure=False``: dask would otherwise give two calls with equal
arguments one key and run them once.

The futures are linked to the client's own with public calls only (``Client.submit``,
``Future.add_done_callback``) rather than through ``Client.get_executor()``: that executor logs an
error for every task cancelled while it waits, and a result that cannot be pickled leaves its future
waiting forever.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, InvalidStateError
from concurrent.futures import wait as wait_futures
from typing import Any, TypeVar

import cloudpickle

T = TypeVar("T")

#: The interface a LocalCluster listens on: loopback only, never the machine's network.
LOCAL_HOST = "127.0.0.1"
#: How long connecting to a scheduler, and then waiting for its first worker, may take.
CONNECT_SECONDS = 30.0
#: How long closing the client and the cluster may take before dask gives up on a clean close.
CLOSE_SECONDS = 20.0


def _pass_on(outer: Future[Any], task: Any) -> None:
    """Settle ``outer`` as dask's future ``task`` (of the pickled result) settled; dask calls this in its
    callback thread once the task is finished, has erred or was cancelled."""
    if outer.done():
        return  # cancelled by its owner: there is nothing to fetch
    with contextlib.suppress(InvalidStateError):  # cancelled meanwhile
        if task.status == "finished":
            outer.set_result(pickle.loads(task.result()))
        elif task.status == "cancelled":
            outer.cancel()
        else:
            outer.set_exception(task.exception())


def run_and_pack(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """Run one task in a dask worker and pickle its result there.

    dask keeps a result in the worker's memory and pickles it only when the client asks for it; a
    result that cannot be pickled then fails outside any task, and the future never ends. Pickled
    here, the failure is this task's own exception.
    """
    result = fn(*args, **kwargs)
    try:
        packed: bytes = cloudpickle.dumps(result)
    except Exception as exc:
        raise TypeError(
            f"the result of {getattr(fn, '__qualname__', fn)!r} cannot be pickled to come back from its dask"
            f" worker: {type(exc).__name__}: {exc}"
        ) from exc
    return packed


class DaskExecutor(Executor):
    """A ``concurrent.futures`` executor on a dask ``Client``, owning the client (and its local cluster).

    Each future it hands out follows one dask future and keeps the standard library's semantics:
    ``shutdown(wait=False)`` lets submitted work finish, cancelling a future cancels its dask task, and
    the client closes once the last of them is done.
    """

    def __init__(self, workers: int, *, address: str | None = None) -> None:
        from distributed import Client, LocalCluster

        self._cluster: Any = None
        if address is None:
            self._cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host=LOCAL_HOST,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        try:
            self._client: Any = Client(self._cluster if address is None else address, timeout=CONNECT_SECONDS)
            if address is not None:
                self._client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except BaseException:
            self._close_cluster()
            raise
        self._workers = workers
        self._lock = threading.Lock()
        self._outstanding: set[Future[Any]] = set()
        self._shutdown = False
        self._closer: threading.Thread | None = None
        self._closed = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            task = self._client.submit(run_and_pack, fn, args, kwargs, pure=False)
            outer: Future[T] = Future()
            self._outstanding.add(outer)
        outer.add_done_callback(functools.partial(self._settled, task))
        task.add_done_callback(functools.partial(_pass_on, outer))
        return outer

    def _settled(self, task: Any, outer: Future[Any]) -> None:
        if outer.cancelled():
            # As every executor must, tell the waiters: wait() counts a cancelled future as done only
            # once it is notified.
            outer.set_running_or_notify_cancel()
            if not task.done():
                task.cancel()
        with self._lock:
            self._outstanding.discard(outer)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse new work, and close the client (and a local cluster) once the submitted work is done.

        dask does not say whether a task has started, so ``cancel_futures`` cancels every task not
        finished yet, running ones included; their results are discarded.
        """
        with self._lock:
            self._shutdown = True
            outstanding = list(self._outstanding)
            if self._closer is None:
                self._closer = threading.Thread(target=self._close_when_done, name="futstrat-dask-closer", daemon=True)
                self._closer.start()
            closer = self._closer
        if cancel_futures:
            for future in outstanding:
                future.cancel()
        if wait:
            closer.join()

    def terminate(self) -> None:
        """Cancel every task and close at once. A local cluster's worker processes are stopped with it;
        a task already running on a remote cluster's worker runs to its end there."""
        with self._lock:
            self._shutdown = True
            outstanding = list(self._outstanding)
        for future in outstanding:
            future.cancel()
        self._close()

    def _close_when_done(self) -> None:
        while True:
            with self._lock:
                outstanding = list(self._outstanding)
            if not outstanding:
                break
            wait_futures(outstanding)
        self._close()

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._client.close(timeout=CLOSE_SECONDS)
        finally:
            self._close_cluster()

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close(timeout=CLOSE_SECONDS)

    @property
    def client(self) -> Any:
        """The ``distributed.Client``, for code that wants more of dask than an executor offers."""
        return self._client

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return str(self._client.scheduler.address)

    @property
    def local(self) -> bool:
        """Whether this executor started (and will stop) the cluster itself."""
        return self._cluster is not None

    @property
    def max_workers(self) -> int:
        """How many tasks can run at once: the cluster's threads, which on a remote cluster need not be
        the number of workers asked for."""
        if self._cluster is not None or self._closed:
            return self._workers
        threads: dict[str, int] = self._client.nthreads()
        return sum(threads.values()) or 1

    def __repr__(self) -> str:
        where = "local cluster" if self.local else "cluster"
        return f"<DaskExecutor {where} at {self.address if not self._closed else 'closed'}>"
