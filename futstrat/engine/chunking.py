"""Cutting a run's tasks into chunks, lazily, and choosing how big a chunk should be.

A chunk is what travels to a worker in one message. Many tiny tasks cost little only when they travel
together; a few long ones must travel alone so that every worker gets one. ``auto`` times a pilot
(joblib's adaptive batching is the idea) and picks a size that keeps each chunk busy for a few
milliseconds, with never fewer than four chunks per worker where the count of tasks is known.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sized

from futstrat.engine.workers import Chunk
from futstrat.model import Task, TaskMap

#: Seconds of work a chunk should carry: per-chunk costs (a pickle, a pipe, a future) are tens of
#: microseconds, so at this size they are noise.
TARGET_CHUNK_SECONDS = 0.01
#: A pilot round counts once its chunks take this long each: long enough to time, short enough to waste.
PILOT_ENOUGH_SECONDS = 0.001
#: Each pilot round multiplies the chunk by this, and never grows it beyond the largest.
PILOT_GROWTH = 8
PILOT_LARGEST = 4096
#: Chunks per worker that ``auto`` keeps at least, so work is shared out evenly to the end.
CHUNKS_PER_WORKER = 4
#: ``auto`` never puts more tasks in a chunk: the chunks in flight are what the parent holds of a task
#: stream, and past this size a larger chunk saves little time but costs memory.
LARGEST_AUTO_CHUNK = 4096


def task_at(chunk: Chunk, index: int) -> Task | None:
    """The task with this index, if the chunk holds it (for error messages)."""
    offset = index - chunk.start
    if not 0 <= offset < len(chunk):
        return None
    if chunk.fn is not None:
        return Task(chunk.fn, (chunk.items[offset],))
    fn, args = chunk.calls[offset]
    return Task(fn, args)


class ChunkSource:
    """Hands out the tasks of a run in chunks, never holding more of a lazy task stream than asked for."""

    def __init__(self, tasks: Iterable[Task]) -> None:
        self._map = tasks if isinstance(tasks, TaskMap) else None
        self.count: int | None = len(tasks) if isinstance(tasks, Sized) else None
        self._stream: Iterator[Task] = iter(()) if self._map is not None else iter(tasks)
        self.taken = 0

    def take(self, size: int) -> Chunk | None:
        """The next chunk of at most ``size`` tasks, or None when there are no more."""
        start = self.taken
        if self._map is not None:
            items = self._map.items[start : start + size]
            if not len(items):
                return None
            chunk = Chunk(start, fn=self._map.fn, items=items)
        else:
            calls = tuple((task.fn, task.args) for task in itertools.islice(self._stream, size))
            if not calls:
                return None
            chunk = Chunk(start, calls=calls)
        self.taken += len(chunk)
        return chunk

    @property
    def remaining(self) -> int | None:
        return None if self.count is None else self.count - self.taken


def size_from_pilot(seconds_per_task: float, remaining: int | None, workers: int) -> int:
    """The chunk size that keeps a chunk busy for ``TARGET_CHUNK_SECONDS``, capped by
    ``LARGEST_AUTO_CHUNK`` and so that the remaining tasks still make ``CHUNKS_PER_WORKER`` chunks
    per worker."""
    size = min(math.ceil(TARGET_CHUNK_SECONDS / max(seconds_per_task, 1e-9)), LARGEST_AUTO_CHUNK)
    if remaining is not None:
        size = min(size, math.ceil(remaining / (workers * CHUNKS_PER_WORKER)))
    return max(1, size)


def default_chunksize(tasks: int, workers: int) -> int:
    """About four chunks per worker, the size ``multiprocessing.Pool.map`` picks by itself."""
    return max(1, math.ceil(tasks / (workers * 4)))
