"""The baseline executor: every task runs in the caller, at submit time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import ParamSpec, TypeVar

from futstrat.engine.workers import PassesThroughTasks

P = ParamSpec("P")
T = TypeVar("T")


class SerialExecutor(Executor):
    """A ``concurrent.futures.Executor`` that runs each task inline, so futures are done on return."""

    def __init__(self) -> None:
        self._shutdown = False
        self._lock = threading.Lock()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future[T] = Future()
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except PassesThroughTasks:  # a Ctrl-C and the watchdog's alarm go to the caller, not into a future
            raise
        except BaseException as exc:  # a task's own SystemExit or KeyboardInterrupt is its failure
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True

    def terminate(self) -> None:
        self.shutdown(wait=False)

    def __repr__(self) -> str:
        return "<SerialExecutor>"
