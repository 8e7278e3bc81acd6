"""A dask.distributed cluster behind the ``concurrent.futures.Executor`` interface, for one run.

With no address the executor starts a ``LocalCluster`` on the loopback interface, one single-threaded
worker process per futstrat worker, and stops it on shutdown. With an address it connects to a
scheduler that is already running and leaves it running: the same run then scales out to every worker
of that cluster. Tasks are submitted with ``pure=False``: dask would otherwise give two calls with equal
arguments one key and run them once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")

#: The interface a LocalCluster listens on: loopback only, never the machine's network.
LOCAL_HOST = "127.0.0.1"
#: How long connecting to a scheduler, and then waiting for its first worker, may take.
CONNECT_SECONDS = 30.0
#: How long closing the client and the cluster may take before dask gives up on a clean close.
CLOSE_SECONDS = 20.0


class DaskExecutor(Executor):
    """A dask ``Client``'s ``concurrent.futures`` executor that owns the client (and its local cluster)."""

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
        self._executor: Any = self._client.get_executor(pure=False)
        self._workers = workers
        self._closed = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = self._executor.submit(fn, *args, **kwargs)
        return future

    def map(
        self, fn: Callable[..., T], *iterables: Iterable[Any], timeout: float | None = None, chunksize: int = 1
    ) -> Iterator[T]:
        """Like ``Executor.map``; dask schedules each call on its own, so ``chunksize`` is ignored."""
        results: Iterator[T] = self._executor.map(fn, *iterables, timeout=timeout)
        return results

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Wait for the tasks (or cancel them), then close the client and any cluster this run started.

        dask cannot tell a queued task from a running one here, so ``cancel_futures`` cancels both;
        a running task's result is then discarded.
        """
        if self._closed:
            return
        self._executor.shutdown(wait=wait and not cancel_futures)
        self._close()

    def terminate(self) -> None:
        """Cancel every task and close at once. A local cluster's worker processes are stopped with it;
        a task already running on a remote cluster's worker runs to its end there."""
        if self._closed:
            return
        self._executor.shutdown(wait=False)
        self._close()

    def _close(self) -> None:
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
