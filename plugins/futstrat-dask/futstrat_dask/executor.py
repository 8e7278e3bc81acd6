"""A dask.distributed cluster behind the ``concurrent.futures.Executor`` interface, for one run.

With no address the executor starts a ``LocalCluster`` on the loopback interface, one single-threaded
worker process per futstrat worker, and stops it on shutdown. With an address it connects to a
scheduler that is already running and leaves it running: the same run then scales out to every worker
of that cluster. Tasks are submitted with ``pure=False``: dask would otherwise give two calls with equal
arguments one key and run them once.

A local cluster keeps futstrat's promises for misbehaving tasks: its scheduler never runs a task again
whose worker died (``allowed-failures`` 0), such a death becomes a ``DaskWorkerDiedError`` that futstrat
reports like its own pools' dead workers, and each worker process leads a process group
(:mod:`futstrat_dask.worker_setup`) that is killed when the cluster closes.

The futures are linked to the client's own with public calls only (``Client.submit``,
``Future.add_done_callback``) rather than through ``Client.get_executor()``: that executor logs an
error for every task cancelled while it waits, and a result that cannot be pickled leaves its future
waiting forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future, InvalidStateError
from concurrent.futures import wait as wait_futures
from typing import Any, ClassVar, TypeVar

import cloudpickle

from futstrat import FutstratError
from futstrat_dask.connecting import check_scheduler_answers
from futstrat_dask.scattered import ScatteredReadOnly, fill_read_only, scatter_read_only

T = TypeVar("T")

#: The interface a LocalCluster listens on: loopback only, never the machine's network.
LOCAL_HOST = "127.0.0.1"
#: How long connecting to a scheduler by address, and then waiting for its first worker, may take in
#: all, unless the run's deadline comes sooner.
CONNECT_SECONDS = 10.0
#: How long a client may take to connect to the local cluster this executor has just started.
LOCAL_CONNECT_SECONDS = 30.0
#: How long closing the client and the cluster may take before dask gives up on a clean close.
CLOSE_SECONDS = 20.0
#: How long ``terminate()`` lets a local cluster's worker process finish before it is ended.
STOP_WORKER_SECONDS = 0.2
#: How long to wait, once dask reports a worker dead, for its nanny to learn how its process ended.
EXIT_CODE_PATIENCE_SECONDS = 2.0
#: The preload each worker process of a local cluster runs at start-up.
WORKER_SETUP = "futstrat_dask.worker_setup"
#: What a local cluster's scheduler is told: a task whose worker died is never run again. A task that
#: kills its worker would otherwise be retried on the others and kill them too.
LOCAL_SCHEDULER_CONFIG = {"distributed.scheduler.allowed-failures": 0}


class DaskWorkerDiedError(BrokenExecutor):
    """The worker process running a task died. futstrat reports it as it reports its own pools' dead
    workers, from ``pid``, ``exitcode`` and the tasks of the chunk it was running, ``first_task`` to
    ``last_task`` (None where the task was not one of futstrat's chunks)."""

    def __init__(self, pid: int | None, exitcode: int, first_task: int | None, last_task: int | None) -> None:
        self.pid, self.exitcode = pid, exitcode
        self.first_task, self.last_task = first_task, last_task
        how = f"killed by signal {-exitcode}" if exitcode < 0 else f"exited with code {exitcode}"
        super().__init__(f"dask worker process {pid} {how}")


def _tasks_of(args: tuple[Any, ...]) -> tuple[int, int] | None:
    """The first and last task of the chunk among a submission's arguments: futstrat submits each chunk
    of consecutive tasks as an object with the indexes of its first and last task, ``start`` and
    ``end``."""
    for arg in args:
        first, last = getattr(arg, "start", None), getattr(arg, "end", None)
        if isinstance(first, int) and isinstance(last, int):
            return first, last
    return None


def _end_process_groups(leaders: set[int]) -> None:
    """Kill what is left of the process groups that the cluster's worker processes led (see
    worker_setup). A group's id is its leader's pid, which the kernel does not give to a new process
    while any member of the group lives; right after the cluster closed, a group that is gone stays gone."""
    for group in leaders:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


def _nanny_class() -> type[Any]:
    """A dask ``Nanny`` that notes its worker processes: their pids, and how each one ended by the
    worker's address, so that a dead worker can be named and the processes its tasks left be ended."""
    from distributed import Nanny, Status

    class RecordingNanny(Nanny):  # type: ignore[misc]
        started_pids: ClassVar[set[int]] = set()
        exit_codes: ClassVar[dict[str, int]] = {}
        #: Each worker process started, by pid: dask's handle on it, which learns its exit code.
        processes: ClassVar[dict[int, Any]] = {}

        async def instantiate(self) -> Any:
            status = await super().instantiate()
            if self.pid:
                type(self).started_pids.add(self.pid)
                handle = getattr(self.process, "process", None)
                if handle is not None:
                    type(self).processes[self.pid] = handle
            return status

        def _on_worker_exit_sync(self, exitcode: int) -> None:
            if self.worker_address:
                type(self).exit_codes[self.worker_address] = exitcode
            super()._on_worker_exit_sync(exitcode)

        async def _on_worker_exit(self, exitcode: int) -> None:
            # A worker that dies fails its task and with it the run: rather than start a replacement
            # that the cluster's close would then have to stop half started, the nanny closes.
            if self.status != Status.running:
                await super()._on_worker_exit(exitcode)
                return
            with contextlib.suppress(OSError):
                await self._unregister()
            await self.close(reason="futstrat-worker-died")

    return RecordingNanny


def _pass_on(outer: Future[Any], tasks: tuple[int, int] | None, nannies: Any, task: Any) -> None:
    """Settle ``outer`` as dask's future ``task`` (of the pickled result) settled; dask calls this in its
    callback thread once the task is finished, has erred or was cancelled. ``tasks`` are the first and
    last of futstrat's tasks it runs, and ``nannies`` the class of a local cluster's nannies."""
    if outer.done():
        return  # cancelled by its owner: there is nothing to fetch
    with contextlib.suppress(InvalidStateError):  # cancelled meanwhile
        if task.status == "finished":
            outer.set_result(pickle.loads(task.result()))
        elif task.status == "cancelled":
            outer.cancel()
        else:
            outer.set_exception(_as_dead_worker(task.exception(), tasks, nannies))


def _as_dead_worker(error: BaseException, tasks: tuple[int, int] | None, nannies: Any) -> BaseException:
    """dask's ``KilledWorker`` on a local cluster as futstrat's dead worker, with the worker's pid and
    how its process ended (as its nanny saw it); any other error, and a ``KilledWorker`` whose ending
    is not known (a remote cluster's), as it is."""
    from distributed.scheduler import KilledWorker

    if nannies is None or not isinstance(error, KilledWorker):
        return error
    worker = error.last_worker
    address = getattr(worker, "address", None)
    give_up = time.monotonic() + EXIT_CODE_PATIENCE_SECONDS
    while (exitcode := nannies.exit_codes.get(address)) is None:
        if time.monotonic() > give_up:
            return error
        time.sleep(0.01)
    first, last = tasks if tasks is not None else (None, None)
    return DaskWorkerDiedError(getattr(worker, "pid", None) or None, exitcode, first, last)


def run_and_pack(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """Run one task in a dask worker and pickle its result there.

    dask keeps a result in the worker's memory and pickles it only when the client asks for it; a
    result that cannot be pickled then fails outside any task, and the future never ends. Pickled
    here, the failure is this task's own exception. Read-only shared data, scattered by the parent,
    takes the place of its key first.
    """
    fill_read_only((fn, *args, *kwargs.values()))
    result = fn(*args, **kwargs)
    try:
        packed: bytes = cloudpickle.dumps(result)
    except Exception as exc:
        raise TypeError(
            f"the result of {getattr(fn, '__qualname__', fn)!r} cannot be pickled to come back from its dask"
            f" worker: {type(exc).__name__}: {exc}"
        ) from exc
    return packed


class NoDaskWorkersError(FutstratError, TimeoutError):
    """The scheduler answered, but no worker joined it in time."""


def _connect(address: str, seconds: float) -> Any:
    """A client of the scheduler at ``address`` with at least one worker, within ``seconds`` in all."""
    from distributed import Client

    give_up = time.monotonic() + seconds
    check_scheduler_answers(address, seconds)
    client = Client(address, timeout=max(give_up - time.monotonic(), 1.0))
    try:
        client.wait_for_workers(1, timeout=max(give_up - time.monotonic(), 0.1))
    except TimeoutError:
        client.close(timeout=CLOSE_SECONDS)
        raise NoDaskWorkersError(
            f"the dask scheduler at {address} answered, but no worker joined it within {seconds:g} s"
        ) from None
    except BaseException:
        client.close(timeout=CLOSE_SECONDS)
        raise
    return client


class DaskExecutor(Executor):
    """A ``concurrent.futures`` executor on a dask ``Client``, owning the client (and its local cluster).

    Each future it hands out follows one dask future and keeps the standard library's semantics:
    ``shutdown(wait=False)`` lets submitted work finish, cancelling a future cancels its dask task, and
    the client closes once the last of them is done.
    """

    def __init__(self, workers: int, *, address: str | None = None, connect_seconds: float = CONNECT_SECONDS) -> None:
        import dask
        from distributed import Client, LocalCluster

        self._cluster: Any = None
        self._nannies: Any = None
        if address is None:
            self._nannies = _nanny_class()
            with dask.config.set(LOCAL_SCHEDULER_CONFIG):
                self._cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    worker_class=self._nannies,
                    preload=[WORKER_SETUP],
                    host=LOCAL_HOST,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
        try:
            if address is None:
                self._client: Any = Client(self._cluster, timeout=LOCAL_CONNECT_SECONDS)
            else:
                self._client = _connect(address, connect_seconds)
        except BaseException:
            self._close_cluster()
            raise
        self._workers = workers
        self._lock = threading.Lock()
        self._outstanding: set[Future[Any]] = set()
        self._shutdown = False
        self._closer: threading.Thread | None = None
        self._closed = False
        #: Read-only shared data this executor scattered: let go before the cluster closes, or the
        #: scheduler logs the loss of scattered data as an error when the workers leave.
        self._scattered: set[ScatteredReadOnly] = set()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        scattered = scatter_read_only(self._client, (fn, *args, *kwargs.values()))
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._scattered.update(scattered)
            task = self._client.submit(run_and_pack, fn, args, kwargs, pure=False)
            outer: Future[T] = Future()
            self._outstanding.add(outer)
        outer.add_done_callback(functools.partial(self._settled, task))
        task.add_done_callback(functools.partial(_pass_on, outer, _tasks_of(args), self._nannies))
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
        self._close(stop_workers_now=True)

    def _close_when_done(self) -> None:
        while True:
            with self._lock:
                outstanding = list(self._outstanding)
            if not outstanding:
                break
            wait_futures(outstanding)
        self._close()

    def _close(self, *, stop_workers_now: bool = False) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            scattered, self._scattered = self._scattered, set()
        if not stop_workers_now:  # stopping now does not wait on the scheduler for anything
            for slot in scattered:
                with contextlib.suppress(Exception):  # closing goes on regardless
                    slot.forget(self._client)
        try:
            self._client.close(timeout=CLOSE_SECONDS)
        finally:
            if stop_workers_now:
                self._stop_local_workers()
            self._close_cluster()

    def _stop_local_workers(self) -> None:
        """Stop a local cluster's worker processes without waiting for their tasks.

        Closing the cluster closes each worker's nanny, which asks its worker process to finish and
        waits four seconds before ending it; a worker busy in a task always takes those four
        seconds. Closed here first with a short wait, the nannies let go of their processes at once,
        and the processes are killed.
        """
        nannies = list(getattr(self._cluster, "workers", {}).values())
        processes = [pid for pid in (getattr(nanny, "pid", None) for nanny in nannies) if pid]
        if not nannies:
            return

        async def close_all() -> None:
            await asyncio.gather(
                *(nanny.close(timeout=STOP_WORKER_SECONDS, reason="futstrat-terminate") for nanny in nannies),
                return_exceptions=True,
            )

        with contextlib.suppress(Exception):  # the cluster's own close still follows
            self._cluster.sync(close_all)
        # A worker process answers the nanny's SIGTERM by closing gracefully, which waits for its
        # running task; the nanny has let go of it by now, so it is ended here.
        for pid in processes:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            try:
                self._cluster.close(timeout=CLOSE_SECONDS)
            finally:
                # Each worker process led a process group of its own (see worker_setup), which the
                # processes its tasks started joined: whatever of them is left is ended with it.
                _end_process_groups(self._nannies.started_pids)

    def worker_exit_codes(self) -> dict[int, int | None]:
        """Each worker process of a local cluster and its exit code (None while it runs), so that
        futstrat can name a dead worker and see that ``terminate()`` ended them all. A remote
        cluster's workers are not this executor's to watch: none are named."""
        if self._nannies is None:
            return {}
        return {pid: process.exitcode for pid, process in list(self._nannies.processes.items())}

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
