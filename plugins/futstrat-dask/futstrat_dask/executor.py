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

Tasks wait in the executor and reach dask only as its workers free up: at most ``max_in_flight`` (by
default one more than the cluster's threads) are the scheduler's at a time, and each result that comes
back lets the next one go. A task dask has been given counts as running, since dask cannot take it
back for sure (a cancel that overtakes the submission is lost, and a freed worker may be taking the
task at that moment); every task still waiting here can be cancelled, exactly.

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
from collections import deque
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
#: How often, at most, the handing out of tasks to a cluster reached by address counts its threads
#: again: workers may join it (or leave) while a run goes on.
RECOUNT_SECONDS = 1.0
#: How long one such count may take before it is given up (the bound then stays as it was).
RECOUNT_PATIENCE_SECONDS = 5.0
#: What a task that dask was running gets when ``terminate()`` closes the cluster under it.
CLUSTER_CLOSED = "the dask cluster was closed before this task finished"
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
        return  # failed by terminate(): there is nothing to fetch
    try:
        if task.status == "finished":
            with contextlib.suppress(InvalidStateError):  # terminate() failed it meanwhile
                outer.set_result(pickle.loads(task.result()))
            return
        if task.status == "error":
            error = _as_dead_worker(task.exception(), tasks, nannies)
        else:  # cancelled by dask itself (its client or scheduler closing), or lost
            error = RuntimeError(f"dask reports this task {task.status} before it finished")
    except Exception as exc:  # fetching the result failed: the future must not wait for ever
        error = exc
    with contextlib.suppress(InvalidStateError):
        outer.set_exception(error)


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


class _Waiting:
    """A task waiting in the executor for its place at the scheduler."""

    __slots__ = ("args", "fn", "future", "kwargs", "taken")

    def __init__(
        self, future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.future, self.fn, self.args, self.kwargs = future, fn, args, kwargs
        #: Taken off the queue, handed to dask or cancelled; set once, under the executor's lock, by
        #: whoever does it, so that the future is started or its cancelling told to waiters exactly once.
        self.taken = False


class DaskExecutor(Executor):
    """A ``concurrent.futures`` executor on a dask ``Client``, owning the client (and its local cluster).

    Each future it hands out follows one dask future and keeps the standard library's semantics:
    ``shutdown(wait=False)`` lets submitted work finish, a future is running once its task is handed to
    dask (at most ``max_in_flight`` at a time), the others can be cancelled until then, and the client
    closes once the last of them is done.
    """

    def __init__(
        self,
        workers: int,
        *,
        address: str | None = None,
        connect_seconds: float = CONNECT_SECONDS,
        max_in_flight: int | None = None,
    ) -> None:
        import dask
        from distributed import Client, LocalCluster

        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, not {max_in_flight}")
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
        self._closed = False
        #: Reentrant: a future settled under it (a failed hand-out) runs its done callbacks at once.
        self._lock = threading.RLock()
        #: Every future not done yet, waiting here or handed to dask.
        self._outstanding: set[Future[Any]] = set()
        #: Tasks not yet handed to dask, oldest first (a cancelled one stays until the feed passes it).
        self._queued: deque[_Waiting] = deque()
        #: The tasks handed to dask whose outcome has not come back yet: our future and dask's.
        self._handed: dict[Future[Any], Any] = {}
        #: Whether the bound was given: otherwise it follows the cluster's threads.
        self._bound_given = max_in_flight is not None
        self._max_in_flight = max_in_flight if max_in_flight is not None else self.max_workers + 1
        self._next_count = time.monotonic() + RECOUNT_SECONDS
        self._shutdown = False
        self._stopped = False  # terminate(): nothing more goes to dask
        self._closer: threading.Thread | None = None
        #: Read-only shared data this executor scattered: let go before the cluster closes, or the
        #: scheduler logs the loss of scattered data as an error when the workers leave.
        self._scattered: set[ScatteredReadOnly] = set()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        scattered = scatter_read_only(self._client, (fn, *args, *kwargs.values()))
        outer: Future[T] = Future()
        waiting = _Waiting(outer, fn, args, kwargs)
        outer.add_done_callback(functools.partial(self._settled, waiting))
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._scattered.update(scattered)
            self._outstanding.add(outer)
            self._queued.append(waiting)
            handed = self._feed()
        self._follow(handed)
        return outer

    def _feed(self) -> list[tuple[_Waiting, Any]]:
        """Hand waiting tasks to dask while there is room; called with the lock held. The caller then
        follows what was handed (outside the lock: dask may call back at once)."""
        handed: list[tuple[_Waiting, Any]] = []
        while not self._stopped and self._queued and len(self._handed) < self._max_in_flight:
            waiting = self._queued.popleft()
            if waiting.taken:
                continue  # cancelled while it waited: it never reaches dask
            waiting.taken = True
            outer = waiting.future
            if not outer.set_running_or_notify_cancel():
                continue
            try:
                task = self._client.submit(run_and_pack, waiting.fn, waiting.args, waiting.kwargs, pure=False)
            except Exception as exc:  # the client is closing or gone
                outer.set_exception(exc)
                continue
            self._handed[outer] = task
            handed.append((waiting, task))
        return handed

    def _follow(self, handed: list[tuple[_Waiting, Any]]) -> None:
        for waiting, task in handed:
            tasks = _tasks_of(waiting.args)
            task.add_done_callback(functools.partial(self._task_done, waiting.future, tasks))

    def _task_done(self, outer: Future[Any], tasks: tuple[int, int] | None, task: Any) -> None:
        """dask's callback thread, once a task handed to dask has an outcome: its place goes to the next
        task waiting, before this result is fetched, and then ``outer`` is settled."""
        self._count_threads()
        with self._lock:
            self._handed.pop(outer, None)
            handed = self._feed()
        self._follow(handed)
        _pass_on(outer, tasks, self._nannies, task)

    def _count_threads(self) -> None:
        """On a cluster reached by address, let the bound follow the cluster's threads (one more than
        them), counted at most once every ``RECOUNT_SECONDS``: workers that join during a run get work."""
        if self._bound_given or self._cluster is not None or self._stopped:
            return
        now = time.monotonic()
        if now < self._next_count:
            return
        self._next_count = now + RECOUNT_SECONDS
        try:
            threads = sum(self._client.nthreads(callback_timeout=RECOUNT_PATIENCE_SECONDS).values())
        except Exception:  # the scheduler is going away: the run is ending and the bound matters no more
            return
        with self._lock:
            self._max_in_flight = max(threads, 1) + 1

    def _settled(self, waiting: _Waiting, outer: Future[Any]) -> None:
        with self._lock:
            self._outstanding.discard(outer)
            tell_waiters = outer.cancelled() and not waiting.taken
            waiting.taken = True
        if tell_waiters:
            # Cancelled while it waited here. As every executor must, tell the waiters: wait() counts a
            # cancelled future as done only once it is notified.
            outer.set_running_or_notify_cancel()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse new work, and close the client (and a local cluster) once the submitted work is done.

        ``cancel_futures`` cancels the tasks still waiting in this executor; those handed to dask are
        running (dask cannot be relied on to withdraw them) and finish.
        """
        with self._lock:
            self._shutdown = True
            withdrawn = self._withdraw_waiting() if cancel_futures else []
            if self._closer is None:
                self._closer = threading.Thread(target=self._close_when_done, name="futstrat-dask-closer", daemon=True)
                self._closer.start()
            closer = self._closer
        for future in withdrawn:
            future.cancel()
        if wait:
            closer.join()

    def _withdraw_waiting(self) -> list[Future[Any]]:
        """The futures of the tasks still waiting, taken off the queue (called with the lock held); the
        caller cancels them, and each one's ``_settled`` tells its waiters."""
        withdrawn = [waiting.future for waiting in self._queued if not waiting.taken]
        self._queued.clear()
        return withdrawn

    def terminate(self) -> None:
        """Cancel the tasks waiting here, fail those handed to dask, and close at once. A local
        cluster's worker processes are stopped with it; a task already running on a remote cluster's
        worker runs to its end there."""
        with self._lock:
            self._shutdown = True
            self._stopped = True
            withdrawn = self._withdraw_waiting()
            handed, self._handed = self._handed, {}
        for future in withdrawn:
            future.cancel()
        # Closing the client releases its tasks at the scheduler: no round trip to cancel them first.
        for outer in handed:
            with contextlib.suppress(InvalidStateError):  # its outcome came meanwhile
                outer.set_exception(RuntimeError(CLUSTER_CLOSED))
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
