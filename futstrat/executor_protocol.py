"""What the runner may use of the executor a strategy's factory returns, written down as protocols.

A strategy's factory returns any object with the members of :class:`StrategyExecutor`: the three
that ``concurrent.futures.Executor`` has. Each further member below is optional: the runner uses it
when the executor offers it and otherwise falls back to something plainer, as
:class:`FullStrategyExecutor` documents member by member. The one module that looks for them is
:mod:`futstrat.engine.executor_adapter`, which turns any executor into a :class:`FullStrategyExecutor`;
the rest of futstrat calls that view's plain methods.

The conformance kit (:class:`futstrat.testing.ExecutorContract`) checks the required members, and each
optional member that a strategy's executor offers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, ParamSpec, Protocol, TypeVar, runtime_checkable

P = ParamSpec("P")
T = TypeVar("T")


@runtime_checkable
class StrategyExecutor(Protocol):
    """The members every strategy's executor must have, with ``concurrent.futures`` semantics.

    ``submit`` returns a ``Future`` whose ``result()`` gives the task's value or raises its exception
    with its type; ``map`` keeps the input order and honours ``timeout`` and ``chunksize``;
    ``shutdown(wait, cancel_futures=)`` does what the standard library documents, and ``submit`` after
    it raises ``RuntimeError``. A worker that dies fails its future instead of leaving it pending.

    Optional members, used when present (each is also a protocol of its own below):

    - ``terminate()``: stop at once (:class:`Terminates`);
    - ``worker_exit_codes()``: each worker process and how it ended (:class:`ReportsWorkerExits`);
    - ``threads_left_running()``: worker threads that would not stop (:class:`ReportsStuckThreads`);
    - ``map_unordered(fn, iterable, timeout=, chunksize=)``: results as they complete
      (:class:`MapsUnordered`);
    - ``max_workers``: how many tasks can run at once (:class:`CountsWorkers`).
    """

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]: ...

    def map(
        self, fn: Callable[..., T], *iterables: Iterable[Any], timeout: float | None = None, chunksize: int = 1
    ) -> Iterator[T]: ...

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None: ...


@runtime_checkable
class Terminates(Protocol):
    """Optional: ``terminate()`` stops the executor now, when a run fails, times out or is interrupted.

    Every worker ends (a process is killed; a thread, which cannot be killed, is at least no longer
    waited for), every future not finished fails or is cancelled, and the call returns within a few
    seconds whatever the tasks do. Without it futstrat calls ``shutdown(wait=False, cancel_futures=True)``,
    which ends no running task: a worker process then lives on until futstrat kills its process group.
    """

    def terminate(self) -> None: ...


@runtime_checkable
class ReportsWorkerExits(Protocol):
    """Optional: ``worker_exit_codes()`` maps the pid of each worker process the executor has started
    (dead ones included, as long as the executor lives) to its exit code, ``None`` while it runs.

    A dead worker is then named in the report with its pid, how it ended (``killed by signal 9``) and
    the task it was running; the shutdown grace names the workers still running, and their process
    groups are ended after the run. Without it the report says only that a worker ended abruptly,
    unless the executor's ``BrokenExecutor`` error carries ``pid`` and ``exitcode`` itself.
    """

    def worker_exit_codes(self) -> dict[int, int | None]: ...


@runtime_checkable
class ReportsStuckThreads(Protocol):
    """Optional, for workers that are threads: ``threads_left_running()`` names the worker threads
    still alive; after ``terminate()``, those whose task would not return (a thread cannot be killed).

    The report of a failed run then says how many worker threads keep running. Without it nothing is
    said about them.
    """

    def threads_left_running(self) -> list[str]: ...


@runtime_checkable
class MapsUnordered(Protocol):
    """Optional, for ``Dispatch.MAP_UNORDERED``: ``map_unordered`` is ``map`` whose results come as
    they complete, in any order. Without it futstrat uses ``map``: its order is one of the orders
    allowed, but a slow task holds back the results after it."""

    def map_unordered(
        self, fn: Callable[..., T], iterable: Iterable[Any], *, timeout: float | None = None, chunksize: int = 1
    ) -> Iterator[T]: ...


@runtime_checkable
class CountsWorkers(Protocol):
    """Optional: ``max_workers`` is how many tasks can run at once (a whole number of at least 1).

    Start-up is over when that many workers have answered, so an executor with fewer workers than
    were asked for (a fixed-size or remote pool) is not waited for in vain. Without it futstrat knows
    the standard library pools' own counts, and otherwise waits until no new worker has answered for
    a while.
    """

    @property
    def max_workers(self) -> int: ...


class FullStrategyExecutor(StrategyExecutor, Protocol):
    """Every member the runner may use, optional ones filled in: what
    :func:`futstrat.engine.executor_adapter.adapt_executor` makes of any :class:`StrategyExecutor`."""

    def terminate(self) -> None:
        """The executor's own ``terminate()``, else ``shutdown(wait=False, cancel_futures=True)``."""

    def worker_exit_codes(self) -> dict[int, int | None]:
        """The executor's own, else the worker table of a ``ProcessPoolExecutor``, else nothing."""

    def threads_left_running(self) -> list[str]:
        """The executor's own, else the live threads of a ``ThreadPoolExecutor``, else none."""

    def map_unordered(
        self, fn: Callable[..., T], iterable: Iterable[Any], *, timeout: float | None = None, chunksize: int = 1
    ) -> Iterator[T]:
        """The executor's own, else its ordered ``map``."""

    @property
    def max_workers(self) -> int | None:
        """The executor's own ``max_workers``, else a standard library pool's size, else ``None``."""
