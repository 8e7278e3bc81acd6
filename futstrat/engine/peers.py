"""Futures that tasks wait on, with a record of who waits on whom so a deadlock can be seen.

Only thread strategies can hand one task another's future. The runner publishes each future here as
it submits it; a task waits through :meth:`PeerFutureBoard.wait_for`, which records the wait so that
the runner can find a cycle, and which gives up when the runner aborts the run.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeoutError
from typing import Any

_POLL_SECONDS = 0.02


class DeadlockAbortedError(RuntimeError):
    """Raised in a waiting task when the runner ends a deadlocked run."""


class PeerFutureBoard:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._futures: dict[int, Future[Any]] = {}
        self._waiting: dict[int, int] = {}
        self._aborted = False

    def publish(self, index: int, future: Future[Any]) -> None:
        with self._changed:
            self._futures[index] = future
            self._changed.notify_all()

    def wait_for(self, waiter: int, target: int) -> Any:
        """Block until task ``target``'s future has a result, as task ``waiter``."""
        with self._changed:
            self._waiting[waiter] = target
            while target not in self._futures and not self._aborted:
                self._changed.wait(_POLL_SECONDS)
            future = self._futures.get(target)
        try:
            while True:
                if self._aborted or future is None:
                    raise DeadlockAbortedError(f"task {waiter} stopped waiting on task {target}: deadlock")
                try:
                    return future.result(timeout=_POLL_SECONDS)
                except FuturesTimeoutError:
                    continue
        finally:
            with self._changed:
                self._waiting.pop(waiter, None)

    def find_cycle(self) -> list[int] | None:
        """Tasks that wait, each on the next and the last on the first, on futures not yet done."""
        with self._changed:
            edges = {
                waiter: target
                for waiter, target in self._waiting.items()
                if target in self._futures and not self._futures[target].done()
            }
        for start, first_target in edges.items():
            path = [start]
            node = first_target
            while node in edges and node not in path:
                path.append(node)
                node = edges[node]
            if node in path:
                return path[path.index(node) :]
        return None

    def abort(self) -> None:
        with self._changed:
            self._aborted = True
            self._changed.notify_all()


def describe_cycle(cycle: list[int]) -> str:
    pairs = zip(cycle, cycle[1:] + cycle[:1])
    return "; ".join(f"task {a} waits on task {b}'s future" for a, b in pairs)
