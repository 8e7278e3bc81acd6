"""Any strategy's executor as the full protocol the runner uses, and the one place that looks inside one.

:func:`adapt_executor` wraps an executor in :class:`AdaptedExecutor`, which has every member of
:class:`~futstrat.executor_protocol.FullStrategyExecutor`: the executor's own where it offers them,
else the fallback each member's docstring names. So the engine calls plain methods and never asks
what an executor has. The standard library pools' private attributes are read here and nowhere else
(the built-in executors read their workers through the functions below), so that a change in
CPython's internals is mended in one module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from futstrat.executor_protocol import (
    CountsWorkers,
    MapsUnordered,
    ReportsStuckThreads,
    ReportsWorkerExits,
    StrategyExecutor,
    Terminates,
)

P = ParamSpec("P")
T = TypeVar("T")


class AdaptedExecutor:
    """An executor with every member the runner may use (see ``FullStrategyExecutor``)."""

    __slots__ = ("wrapped",)

    def __init__(self, executor: StrategyExecutor) -> None:
        #: The executor the strategy's factory returned.
        self.wrapped = executor

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self.wrapped.submit(fn, *args, **kwargs)

    def map(
        self, fn: Callable[..., T], *iterables: Iterable[Any], timeout: float | None = None, chunksize: int = 1
    ) -> Iterator[T]:
        return self.wrapped.map(fn, *iterables, timeout=timeout, chunksize=chunksize)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.wrapped.shutdown(wait, cancel_futures=cancel_futures)

    def terminate(self) -> None:
        """Stop now: the executor's ``terminate()``, else ``shutdown(wait=False, cancel_futures=True)``
        (running tasks go on; their processes are ended with their process groups after the run)."""
        if isinstance(self.wrapped, Terminates):
            self.wrapped.terminate()
        else:
            self.wrapped.shutdown(wait=False, cancel_futures=True)

    def worker_exit_codes(self) -> dict[int, int | None]:
        """Each worker process's pid and exit code (None while it runs): the executor's own answer,
        else a ``ProcessPoolExecutor``'s current workers (it forgets them as it breaks), else none."""
        if isinstance(self.wrapped, ReportsWorkerExits):
            return dict(self.wrapped.worker_exit_codes())
        if isinstance(self.wrapped, ProcessPoolExecutor):
            return {pid: process.exitcode for pid, process in process_pool_workers(self.wrapped).items()}
        return {}

    def threads_left_running(self) -> list[str]:
        """The names of the worker threads still alive: the executor's own answer, else a
        ``ThreadPoolExecutor``'s live threads, else none (an executor whose workers are not threads)."""
        if isinstance(self.wrapped, ReportsStuckThreads):
            return list(self.wrapped.threads_left_running())
        if isinstance(self.wrapped, ThreadPoolExecutor):
            return [thread.name for thread in thread_pool_threads(self.wrapped) if thread.is_alive()]
        return []

    def map_unordered(
        self, fn: Callable[..., T], iterable: Iterable[Any], *, timeout: float | None = None, chunksize: int = 1
    ) -> Iterator[T]:
        """Results as they complete: the executor's ``map_unordered``, else its ``map`` (input order is
        one of the orders allowed)."""
        if isinstance(self.wrapped, MapsUnordered):
            return self.wrapped.map_unordered(fn, iterable, timeout=timeout, chunksize=chunksize)
        return self.wrapped.map(fn, iterable, timeout=timeout, chunksize=chunksize)

    @property
    def max_workers(self) -> int | None:
        """How many tasks can run at once: the executor's ``max_workers``, else the size a standard
        library pool was made with, else None (not known)."""
        if isinstance(self.wrapped, CountsWorkers):
            return _whole_number(self.wrapped.max_workers)
        for attribute in ("_max_workers", "_processes"):  # the stdlib executors' and Pool's own
            size = _whole_number(getattr(self.wrapped, attribute, None))
            if size is not None:
                return size
        return None

    def __repr__(self) -> str:
        return f"<AdaptedExecutor of {self.wrapped!r}>"


def adapt_executor(executor: StrategyExecutor | AdaptedExecutor) -> AdaptedExecutor:
    """``executor`` with every member the runner may use; an adapted executor is returned as it is."""
    return executor if isinstance(executor, AdaptedExecutor) else AdaptedExecutor(executor)


def stop_executor_now(executor: StrategyExecutor | AdaptedExecutor) -> None:
    """Stop ``executor`` without waiting for its work: its ``terminate()``, else
    ``shutdown(wait=False, cancel_futures=True)``. The one way futstrat stops an executor at once."""
    adapt_executor(executor).terminate()


def _whole_number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


# -- the standard library pools' internals, read here only ------------------------------------------
def thread_pool_threads(pool: ThreadPoolExecutor) -> list[threading.Thread]:
    """The worker threads a ``ThreadPoolExecutor`` has started."""
    return list(getattr(pool, "_threads", ()))


def process_pool_workers(pool: ProcessPoolExecutor) -> dict[int, Any]:
    """A ``ProcessPoolExecutor``'s worker processes by pid, as it knows them now (it empties its table
    when it breaks or shuts down)."""
    return dict(getattr(pool, "_processes", None) or {})


def process_pool_manager_thread(pool: ProcessPoolExecutor) -> threading.Thread | None:
    """The thread that manages a ``ProcessPoolExecutor``'s workers, while it has one (shutdown forgets it)."""
    manager = getattr(pool, "_executor_manager_thread", None)
    return manager if isinstance(manager, threading.Thread) else None


def pool_result_handler(pool: Any) -> threading.Thread | None:
    """The thread of a ``multiprocessing.Pool`` that delivers results to their callers."""
    handler = getattr(pool, "_result_handler", None)
    return handler if isinstance(handler, threading.Thread) else None


def forget_pool_results(pool: Any) -> None:
    """Drop the results a ``multiprocessing.Pool`` waits for: its ``terminate()`` waits for them, and
    without a result handler none can come."""
    cache = getattr(pool, "_cache", None)
    if cache is not None:
        cache.clear()
