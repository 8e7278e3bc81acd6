"""Handing chunks of tasks to an executor in the strategy's style and gathering results before a deadline."""

from __future__ import annotations

import functools
import queue
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Future
from concurrent.futures import TimeoutError as FuturesTimeoutError
from typing import Any

from futstrat.engine.chunking import (
    CHUNKS_PER_WORKER,
    PILOT_ENOUGH_SECONDS,
    PILOT_GROWTH,
    PILOT_LARGEST,
    ChunkSource,
    size_from_pilot,
    task_at,
)
from futstrat.engine.executor_adapter import AdaptedExecutor, adapt_executor
from futstrat.engine.peers import PeerFutureBoard, describe_cycle
from futstrat.engine.workers import Chunk, run_chunk
from futstrat.errors import DeadlockFoundError, RunTimedOutError, TaskFailedError
from futstrat.executor_protocol import StrategyExecutor
from futstrat.model import Dispatch, StrategySpec, Task

#: Chunks whose tasks and results are kept for ``futstrat compare`` to pickle after the run, as a sample.
SAMPLED_CHUNKS = 3


class InOrder:
    """Chunks' results, which may finish in any order, handed on in task order as soon as they can
    be; it holds only the chunks that finished ahead of an earlier one."""

    def __init__(self, next_start: int) -> None:
        self.next_start = next_start
        self._early: dict[int, list[Any]] = {}

    @property
    def held(self) -> int:
        """Chunks that finished ahead of an earlier one and wait here."""
        return len(self._early)

    def add(self, start: int, results: list[Any]) -> Iterator[list[Any]]:
        self._early[start] = results
        while self.next_start in self._early:
            results = self._early.pop(self.next_start)
            self.next_start += len(results)
            yield results


class Dispatcher:
    """Sends a run's tasks to an executor in chunks, in the strategy's style, and yields their results
    in task order while keeping only a bounded number of chunks in flight.

    Results stream out a chunk at a time as they are gathered (flatten them with
    ``itertools.chain.from_iterable``), so a workload whose ``combine`` folds them as they come never
    holds more than a window of them, however many tasks it has.
    """

    def __init__(
        self,
        executor: StrategyExecutor | AdaptedExecutor,
        strategy: StrategySpec,
        tasks: Iterable[Task],
        extra: dict[str, Any] | None,
        *,
        board: PeerFutureBoard | None,
        workers: int,
        deadline: float,
        chunksize: int | None,
        track_each_task: bool,
        finished_in_workers: Callable[[], int] | None = None,
    ) -> None:
        self.executor = adapt_executor(executor)
        self.strategy, self.extra, self.board = strategy, extra, board
        self.finished_in_workers = finished_in_workers
        self.received = 0  # tasks whose results came back
        self.workers, self.deadline = workers, deadline
        self.source = ChunkSource(tasks)
        self.call = functools.partial(run_chunk, extra, track_each_task)
        self.requested_chunksize = chunksize
        self.chunksize: int | None = None  # known once the pilot, if any, has run
        self._in_flight: dict[int, Chunk] = {}
        # Chunks in flight: two per worker keeps every worker busy while results travel back. Map-style
        # dispatch keeps two windows in flight, each half as wide, to hold no more.
        self._window = max(workers * 2, 4)
        # What the worker side reports, counted as results come in: a sum and a count, nothing more.
        self.chunks_done = 0
        self.seconds_in_chunks = 0.0
        # The first chunks sent and the first results received, kept (not copied) for a later sample.
        self.sampled_chunks: list[Chunk] = []
        self.sampled_results: list[list[Any]] = []

    @property
    def tasks_done(self) -> int:
        """Tasks whose results came back."""
        return self.received

    def tasks_finished(self) -> int:
        """Tasks finished, also those whose results are not read yet: map-style dispatch reads results
        in task order, so those behind an unfinished task wait unseen, but the workers counted them."""
        in_workers = self.finished_in_workers() if self.finished_in_workers is not None else 0
        return max(self.received, in_workers)

    # -- choosing the chunk size --------------------------------------------------------------------
    def _must_go_one_by_one(self) -> bool:
        """Tasks that wait for each other (on peers' futures, or at a start line) must not be queued
        behind each other in one chunk; nor is there anything to gain when there are few tasks."""
        few = self.source.count is not None and self.source.count <= self.workers * CHUNKS_PER_WORKER
        return self.board is not None or bool(self.extra) or few

    def _pilot(self) -> Iterator[list[Any]]:
        """Run the first tasks in growing chunks, one per worker at a time, until a chunk takes long
        enough to time; the results are real results and are yielded in order."""
        size = 1
        while True:
            chunks = [chunk for chunk in (self.source.take(size) for _ in range(self.workers)) if chunk]
            if not chunks:
                self.chunksize = max(1, size // PILOT_GROWTH)  # the last size used: the tasks ran out
                return
            futures = [self._submit(chunk) for chunk in chunks]
            timings = []
            for chunk, future in zip(chunks, futures):
                _, seconds, results = self._result_of(chunk, future)
                timings.append(seconds / len(chunk))
                yield results
            per_task = sorted(timings)[len(timings) // 2]
            if per_task * size >= PILOT_ENOUGH_SECONDS or size >= PILOT_LARGEST:
                self.chunksize = size_from_pilot(per_task, self.source.remaining, self.workers)
                return
            size *= PILOT_GROWTH

    # -- sending and gathering ----------------------------------------------------------------------
    def chunk_results(self) -> Iterator[list[Any]]:
        if self.requested_chunksize is not None:
            self.chunksize = self.requested_chunksize
        elif self._must_go_one_by_one():
            self.chunksize = 1
        else:
            yield from self._pilot()
        if self.strategy.dispatch is Dispatch.SUBMIT:
            yield from self._submit_each()
        else:
            yield from self._map_windows()

    def _submit(self, chunk: Chunk) -> Future[Any]:
        self._in_flight[chunk.start] = chunk
        if len(self.sampled_chunks) < SAMPLED_CHUNKS:
            self.sampled_chunks.append(chunk)
        try:
            future = self.executor.submit(self.call, chunk)
        except BrokenExecutor as exc:  # a worker died since the last result came back: the same failure
            raise self._failure(chunk.start, exc) from exc
        if self.board is not None:
            for index in range(chunk.start, chunk.end + 1):
                self.board.publish(index, future)
        return future

    def _result_of(self, chunk: Chunk, future: Future[Any]) -> tuple[int, float, list[Any]]:
        try:
            outcome: tuple[int, float, list[Any]] = future.result(timeout=self._remaining())
        except FuturesTimeoutError:
            raise self._timed_out() from None
        except Exception as exc:
            raise self._failure(chunk.start, exc) from exc
        del self._in_flight[chunk.start]
        self._count(outcome[1], outcome[2])
        return outcome

    def _count(self, seconds: float, results: list[Any]) -> None:
        self.received += len(results)
        self.chunks_done += 1
        self.seconds_in_chunks += seconds
        if len(self.sampled_results) < SAMPLED_CHUNKS:
            self.sampled_results.append(results)

    def _submit_each(self) -> Iterator[list[Any]]:
        """One future per chunk; finished futures report on a queue, so each costs O(1)."""
        assert self.chunksize is not None
        finished: queue.SimpleQueue[tuple[Chunk, Future[Any]]] = queue.SimpleQueue()
        in_order = InOrder(self.source.taken)
        outstanding = 0
        exhausted = False
        poll = 0.05 if self.board is not None else None
        while True:
            while not exhausted and outstanding + in_order.held < self._window:
                chunk = self.source.take(self.chunksize)
                if chunk is None:
                    exhausted = True
                    break
                future = self._submit(chunk)
                future.add_done_callback(functools.partial(_report_done, finished, chunk))
                outstanding += 1
            if not outstanding:
                return
            remaining = self._remaining()
            try:
                chunk, future = finished.get(timeout=min(remaining, poll or remaining))
            except queue.Empty:
                if self.board is not None and (cycle := self.board.find_cycle()):
                    raise DeadlockFoundError(cycle, describe_cycle(cycle)) from None
                continue
            outstanding -= 1
            start, _, results = self._result_of(chunk, future)
            yield from in_order.add(start, results)

    def _map_windows(self) -> Iterator[list[Any]]:
        """``executor.map`` (or ``map_unordered``) over a window of chunks at a time, the next window
        already sent while the current one is gathered, so the workers never wait on the parent."""
        assert self.chunksize is not None
        mapper: Callable[..., Iterator[Any]] = self.executor.map
        if self.strategy.dispatch is Dispatch.MAP_UNORDERED:
            mapper = self.executor.map_unordered
        current = self._send_window(mapper)
        while current is not None:
            following = self._send_window(mapper)
            yield from self._gather_window(*current)
            current = following

    def _send_window(self, mapper: Callable[..., Iterator[Any]]) -> tuple[list[Chunk], Iterator[Any]] | None:
        assert self.chunksize is not None
        chunks = [c for c in (self.source.take(self.chunksize) for _ in range(self._window // 2)) if c]
        if not chunks:
            return None
        for chunk in chunks:
            self._in_flight[chunk.start] = chunk
        if len(self.sampled_chunks) < SAMPLED_CHUNKS:
            self.sampled_chunks += chunks[: SAMPLED_CHUNKS - len(self.sampled_chunks)]
        try:
            return chunks, mapper(self.call, chunks, timeout=self._remaining(), chunksize=1)
        except BrokenExecutor as exc:  # a worker died since the last result came back: the same failure
            raise self._failure(chunks[0].start, exc) from exc

    def _gather_window(self, chunks: list[Chunk], outcomes: Iterator[Any]) -> Iterator[list[Any]]:
        in_order = InOrder(chunks[0].start)
        try:
            for start, seconds, results in outcomes:
                del self._in_flight[start]
                self._count(seconds, results)
                yield from in_order.add(start, results)
        except FuturesTimeoutError:
            if time.monotonic() >= self.deadline - 0.01:
                raise self._timed_out() from None
            raise self._failure(in_order.next_start, FuturesTimeoutError()) from None
        except Exception as exc:
            raise self._failure(in_order.next_start, exc) from exc

    # -- bounds and errors --------------------------------------------------------------------------
    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out()
        return remaining

    def _timed_out(self) -> RunTimedOutError:
        total = "" if self.source.count is None else f" of {self.source.count}"
        return RunTimedOutError(f"the run reached its timeout with {self.tasks_finished()}{total} tasks done")

    def _failure(self, fallback: int, error: BaseException) -> TaskFailedError:
        index = getattr(error, "futstrat_task_index", None)
        if index is None and isinstance(error, BrokenExecutor):
            return TaskFailedError(None, None, error)
        index = fallback if index is None else index
        return TaskFailedError(index, self.task(index), error)

    def task(self, index: int) -> Task | None:
        """The task with this index, while its chunk is in flight (for error messages)."""
        for chunk in self._in_flight.values():
            found = task_at(chunk, index)
            if found is not None:
                return found
        return None


def _report_done(finished: queue.SimpleQueue[tuple[Chunk, Future[Any]]], chunk: Chunk, future: Future[Any]) -> None:
    finished.put((chunk, future))
