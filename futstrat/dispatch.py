"""Handing tasks to an executor in the strategy's style and gathering results before a deadline."""

from __future__ import annotations

import functools
import math
import os
import queue
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FuturesTimeoutError
from concurrent.futures import wait as wait_futures
from typing import Any

from futstrat.errors import FutstratError
from futstrat.model import Dispatch, ExecutorSpec, Task
from futstrat.peers import PeerFutureBoard, describe_cycle
from futstrat.workers import call_indexed, call_packed, call_task

#: How long the start-up phase waits for every worker to answer before it gives up waiting.
READY_PATIENCE_SECONDS = 10.0
#: ... or once no new worker has answered for this long.
STAGNANT_SECONDS = 1.0


class RunTimedOutError(FutstratError):
    """The watchdog's deadline passed."""


class TaskFailedError(FutstratError):
    """A task raised, or the executor lost the worker running it."""

    def __init__(self, index: int | None, task: Task | None, error: BaseException) -> None:
        self.index, self.task, self.error = index, task, error
        where = "a task" if index is None else f"task {index}"
        if task is not None:
            where += f" ({describe_call(task)})"
        super().__init__(f"{where} raised {type(error).__name__}: {error}")

    @property
    def remote_traceback(self) -> str | None:
        """The traceback from the worker process, when the executor carried it back."""
        cause = self.error.__cause__
        text = getattr(cause, "tb", None) or (str(cause) if cause is not None else None)
        return text.strip() if isinstance(text, str) else None


class DeadlockFoundError(FutstratError):
    def __init__(self, cycle: list[int], description: str) -> None:
        self.cycle = cycle
        super().__init__(description)


def describe_call(task: Task) -> str:
    name = getattr(task.fn, "__qualname__", repr(task.fn))
    args = ", ".join(repr(a) for a in task.args)
    if len(args) > 60:
        args = args[:57] + "..."
    return f"{name}({args})"


def default_chunksize(tasks: int, workers: int) -> int:
    """About four chunks per worker, the size ``multiprocessing.Pool.map`` picks by itself."""
    return max(1, math.ceil(tasks / (workers * 4)))


def worker_identity(linger: float) -> tuple[str, int, int]:
    """Where this call ran. Lingering a moment keeps one fast worker from answering every call."""
    time.sleep(linger)
    return socket.gethostname(), os.getpid(), threading.get_ident()


def wait_until_ready(executor: Executor, workers: int, deadline: float) -> None:
    """Start-up ends when every worker has answered, so its cost is not billed to the compute phase
    (``ProcessPoolExecutor`` starts its processes lazily, on the first submits).

    An executor with fewer workers than asked for (a plugin's fixed-size pool) is detected by its
    ``max_workers``, or else by no new worker answering for a while.
    """
    expected = min(workers, _pool_size(executor) or workers)
    seen: set[tuple[str, int, int]] = set()
    now = time.monotonic()
    give_up = min(deadline, now + READY_PATIENCE_SECONDS)
    last_news = now
    while len(seen) < expected:
        now = time.monotonic()
        if now >= deadline:
            raise RunTimedOutError("the workers did not start before the timeout")
        if now >= give_up or (seen and now - last_news > STAGNANT_SECONDS):
            return  # the rest are slow to answer or do not exist; any start-up left is billed to compute
        probes = [executor.submit(worker_identity, 0.002) for _ in range(expected)]
        done, _ = wait_futures(probes, timeout=give_up - now)
        for probe in done:
            error = probe.exception()
            if error is not None:
                raise TaskFailedError(None, None, error) from error
            if probe.result() not in seen:
                seen.add(probe.result())
                last_news = time.monotonic()


def _pool_size(executor: Executor) -> int | None:
    for attribute in ("max_workers", "_max_workers", "_processes"):
        size = getattr(executor, attribute, None)
        if isinstance(size, int) and size > 0:
            return size
    return None


def run_tasks(
    executor: Executor,
    strategy: ExecutorSpec,
    tasks: Sequence[Task],
    extra: dict[str, Any] | None,
    board: PeerFutureBoard | None,
    workers: int,
    deadline: float,
) -> list[Any]:
    """Dispatch every task as the strategy says and return the results in task order."""
    if strategy.dispatch is Dispatch.SUBMIT:
        return _submit_each(executor, tasks, extra, board, deadline, window=max(workers * 16, 64))
    chunksize = strategy.chunksize or default_chunksize(len(tasks), workers)
    if strategy.dispatch is Dispatch.MAP:
        mapped = executor.map(
            functools.partial(call_packed, extra),
            [(index, task.fn, task.args) for index, task in enumerate(tasks)],
            timeout=_remaining(deadline),
            chunksize=chunksize,
        )
        return _drain(mapped, tasks, deadline, ordered=True)
    map_unordered = getattr(executor, "map_unordered", None)
    if map_unordered is None:
        raise FutstratError(f"strategy {strategy.name!r} dispatches unordered but its executor has no map_unordered")
    indexed = map_unordered(
        functools.partial(call_indexed, extra),
        [(index, task.fn, task.args) for index, task in enumerate(tasks)],
        timeout=_remaining(deadline),
        chunksize=chunksize,
    )
    pairs = _drain(indexed, tasks, deadline, ordered=False)
    return [result for _, result in sorted(pairs, key=lambda pair: pair[0])]


def _remaining(deadline: float, done: int = 0, total: int | None = None) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        progress = "" if total is None else f" with {done} of {total} tasks done"
        raise RunTimedOutError(f"the run reached its timeout{progress}")
    return remaining


def _drain(results: Any, tasks: Sequence[Task], deadline: float, *, ordered: bool) -> list[Any]:
    gathered: list[Any] = []
    try:
        for result in results:
            gathered.append(result)
    except FuturesTimeoutError as exc:
        if time.monotonic() >= deadline - 0.01:
            raise RunTimedOutError(
                f"the run reached its timeout with {len(gathered)} of {len(tasks)} tasks done"
            ) from None
        raise _failure(len(gathered) if ordered else None, tasks, exc) from exc
    except Exception as exc:
        raise _failure(len(gathered) if ordered else None, tasks, exc) from exc
    return gathered


def _failure(index: int | None, tasks: Sequence[Task], error: BaseException) -> TaskFailedError:
    index = getattr(error, "futstrat_task_index", index)
    task = tasks[index] if index is not None and 0 <= index < len(tasks) else None
    return TaskFailedError(index, task, error)


def _submit_each(
    executor: Executor,
    tasks: Sequence[Task],
    extra: dict[str, Any] | None,
    board: PeerFutureBoard | None,
    deadline: float,
    window: int,
) -> list[Any]:
    """Submit task by task, keeping at most ``window`` futures outstanding so that a million tasks do
    not become a million futures at once, and fail fast on the first error.

    Finished futures report themselves on a queue, so each completion costs O(1), not a ``wait()``
    over every outstanding future.
    """
    results: list[Any] = [None] * len(tasks)
    finished_queue: queue.SimpleQueue[tuple[int, Future[Any]]] = queue.SimpleQueue()
    upcoming = iter(enumerate(tasks))
    outstanding = finished = 0
    poll = 0.05 if board is not None else None
    while True:
        while outstanding < window:
            entry = next(upcoming, None)
            if entry is None:
                break
            index, task = entry
            future = executor.submit(call_task, task.fn, task.args, extra, index)
            if board is not None:
                board.publish(index, future)
            future.add_done_callback(functools.partial(_report_done, finished_queue, index))
            outstanding += 1
        if not outstanding:
            return results
        remaining = _remaining(deadline, finished, len(tasks))
        try:
            index, future = finished_queue.get(timeout=min(remaining, poll or remaining))
        except queue.Empty:
            if board is not None and (cycle := board.find_cycle()):
                raise DeadlockFoundError(cycle, describe_cycle(cycle)) from None
            continue
        outstanding -= 1
        error = future.exception()
        if error is not None:
            raise _failure(index, tasks, error) from error
        results[index] = future.result()
        finished += 1


def _report_done(finished: queue.SimpleQueue[tuple[int, Future[Any]]], index: int, future: Future[Any]) -> None:
    finished.put((index, future))
