"""An executor that runs every task in a thread started for it alone.

A thread pool keeps its threads and hands them task after task, so a task can see what the previous
one left behind in thread-local state. Here each task gets a new thread that ends with it: nothing
carries over, at the price of starting a thread per task. At most ``max_workers`` run at once; the
rest wait in a queue, where they can still be cancelled.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from futstrat import ExecutorConfig


class _Work:
    __slots__ = ("args", "fn", "future", "kwargs")

    def __init__(self, future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]):
        self.future, self.fn, self.args, self.kwargs = future, fn, args, kwargs


class FreshThreadExecutor(Executor):
    """A ``concurrent.futures.Executor`` that starts a new thread for every task.

    ``initializer(*initargs)`` runs in each new thread before its task, since every thread is a new
    worker; if it raises, that task fails with its exception.
    """

    def __init__(
        self,
        max_workers: int,
        *,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        thread_name_prefix: str = "fresh-thread",
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers}")
        self._max_workers = max_workers
        self._initializer, self._initargs = initializer, initargs
        self._prefix = thread_name_prefix
        self._numbers = itertools.count(1)
        self._lock = threading.RLock()
        self._settled = threading.Condition(self._lock)
        self._queue: deque[_Work] = deque()
        self._running = 0
        self._shutdown = False

    @property
    def max_workers(self) -> int:
        return self._max_workers

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future[Any] = Future()
            self._queue.append(_Work(future, fn, args, kwargs))
            self._start_threads()
            return future

    def _start_threads(self) -> None:
        """Start a thread for each queued task that may run now. Called with the lock held."""
        while self._running < self._max_workers and self._queue:
            work = self._queue.popleft()
            if not work.future.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            thread = threading.Thread(target=self._run, args=(work,), name=f"{self._prefix}-{next(self._numbers)}")
            try:
                thread.start()
            except RuntimeError as exc:  # no new threads while the interpreter shuts down
                work.future.set_exception(exc)
                continue
            self._running += 1

    def _run(self, work: _Work) -> None:
        try:
            if self._initializer is not None:
                self._initializer(*self._initargs)
            result = work.fn(*work.args, **work.kwargs)
        except BaseException as exc:
            work.future.set_exception(exc)
        else:
            work.future.set_result(result)
        finally:
            with self._lock:
                self._running -= 1
                self._start_threads()
                self._settled.notify_all()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._queue:
                    future = self._queue.popleft().future
                    if future.cancel():
                        future.set_running_or_notify_cancel()  # tells wait() and as_completed() too
            if wait:
                while self._running or self._queue:
                    self._settled.wait()


def make_fresh_thread_executor(config: ExecutorConfig) -> FreshThreadExecutor:
    """The strategy's factory: futstrat calls it in the parent process for each run."""
    return FreshThreadExecutor(config.workers, initializer=config.initializer, initargs=config.initargs)
