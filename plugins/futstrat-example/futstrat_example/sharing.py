"""A sharing backend for threads: a plain integer and a ``threading.Lock``.

Tasks that run in threads of one process need no shared memory and no server to share a counter; an
object and a lock do, and cost least. They cannot reach another process, and the spec says so
(``crosses_processes=False``), so futstrat refuses the process strategies with that reason.
"""

from __future__ import annotations

import threading

from futstrat import SharedCounter, SharingRequest


class Cell:
    """The counter's storage: one attribute, guarded by the lock that travels with it."""

    def __init__(self) -> None:
        self.value = 0


class ThreadLockSession:
    """The counter, lock and start line of one run."""

    def __init__(self, request: SharingRequest) -> None:
        self._barrier = threading.Barrier(request.parties)
        self._counter = SharedCounter(Cell(), threading.Lock(), self._barrier)

    def worker_initializer(self) -> None:
        return None  # nothing to install: the tasks are handed the objects themselves

    def task_argument(self, crosses_processes: bool) -> SharedCounter:
        return self._counter

    def final_value(self) -> int:
        return self._counter.value

    def close(self) -> None:
        self._barrier.abort()  # frees a task still waiting at the start line


def open_thread_lock(request: SharingRequest) -> ThreadLockSession:
    return ThreadLockSession(request)
