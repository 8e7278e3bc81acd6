"""``ProcessPoolExecutor`` with a way to stop its workers at once, and a memory of how they ended."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from futstrat.engine.executor_adapter import process_pool_manager_thread, process_pool_workers

T = TypeVar("T")


class KillableProcessPoolExecutor(ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` whose ``terminate()`` kills the workers instead of waiting for them,
    and which remembers its worker processes so that, once the pool breaks, it can say which one died
    and how (the executor itself forgets them as it breaks).

    Python 3.14 adds ``kill_workers()``; until then the worker table is the only handle on them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._remembered: dict[int, Any] = {}

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future = super().submit(fn, *args, **kwargs)
        self._remember()
        return future

    def _remember(self) -> None:
        self._remembered.update(process_pool_workers(self))

    def worker_exit_codes(self) -> dict[int, int | None]:
        """Each worker process seen so far and its exit code (None while it runs)."""
        self._remember()
        return {pid: process.exitcode for pid, process in self._remembered.items()}

    def terminate(self) -> None:
        self._remember()
        processes = list(self._remembered.values())
        manager = process_pool_manager_thread(self)  # shutdown() forgets it
        self.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.exitcode is None:
                process.kill()
        for process in processes:
            process.join(timeout=5)
        # The executor's manager thread closes its wake-up pipe as it ends; at interpreter exit
        # concurrent.futures writes to that pipe without a lock, and a close at that moment prints a
        # "Bad file descriptor" traceback. Once the thread has ended the pipe is known to be closed.
        if manager is not None and manager is not threading.current_thread():
            manager.join(timeout=5)
