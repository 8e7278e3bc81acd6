"""``ThreadPoolExecutor`` as the runner drives it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from futstrat.engine.executor_adapter import thread_pool_threads

#: The names of the worker threads start with this, so that threads left stuck can be recognised.
WORKER_THREAD_PREFIX = "futstrat-worker"


class StoppableThreadPoolExecutor(ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` with the ``terminate()`` the watchdog calls.

    Threads cannot be killed: terminating cancels what has not started and stops waiting for the rest.
    """

    def terminate(self) -> None:
        self.shutdown(wait=False, cancel_futures=True)

    def threads_left_running(self) -> list[str]:
        """The names of the worker threads still alive: after ``terminate()``, those whose task would
        not return (a thread cannot be killed)."""
        return [thread.name for thread in thread_pool_threads(self) if thread.is_alive()]
