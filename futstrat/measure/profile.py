"""What a comparison measures about a run besides its phase times: the figures its diagnosis rests on.

Three measurements, each kept out of the timed phases:

- the CPU time of futstrat's process tree over the compute phase, read just before it starts and just
  after it ends (the run excludes the reading's own time from every phase). Live workers count through
  their ``/proc`` entries and reaped ones through ``os.times``, as in :mod:`futstrat.measure.load`;
  where ``/proc`` is missing, the CPU time of worker processes cannot be seen, so a strategy whose tasks
  run in other processes gets no figure rather than a wrong one;
- the seconds each chunk took inside its worker, which ``run_chunk`` reports anyway: the dispatcher
  only adds them up and counts the chunks;
- the pickled size of the first few chunks of tasks and of their results, and how long pickling and
  unpickling them takes, measured in the parent after the run has shut down: a sample, said to be one.
  The ``shared`` argument travels with every chunk too (a token, proxies, block names): its pickled
  size counts once per sampled chunk, so a backend that copied its state to every task would show;
- the bytes the run's processes wrote through system calls over the compute phase (``wchar`` of
  ``/proc/PID/io``, the parent, its workers and a Manager together): what they copied to each other
  through pipes and sockets, also what a Manager sends back while a task runs, which no sample of the
  tasks can see. Memory shared by inheritance or ``shared_memory`` is read without a system call and
  counts nothing. Read only for a run that has other processes, and only where ``/proc`` allows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from multiprocessing.reduction import ForkingPickler
from typing import Any

from attrs import frozen

from futstrat.engine.dispatch import Dispatcher
from futstrat.measure.load import PROC, own_cpu_seconds


@frozen
class PickledSample:
    """The first chunks of a run, pickled as they travel to a worker and back."""

    tasks: int  # tasks in the sampled chunks
    argument_bytes: int  # pickled size of those chunks (functions, arguments, framing)
    results: int  # results in the sampled chunks of results
    result_bytes: int
    seconds: float  # pickling and unpickling both, in the parent
    #: The pickled size of the ``shared`` argument, once for each sampled chunk it travelled with.
    shared_bytes: int = 0

    @property
    def argument_bytes_per_task(self) -> float | None:
        return self.argument_bytes / self.tasks if self.tasks else None

    @property
    def shared_bytes_per_task(self) -> float | None:
        return self.shared_bytes / self.tasks if self.tasks else None

    @property
    def result_bytes_per_task(self) -> float | None:
        return self.result_bytes / self.results if self.results else None

    @property
    def seconds_per_task(self) -> float | None:
        """Pickling and unpickling one task's arguments and its result."""
        items = max(self.tasks, self.results)
        return self.seconds / items if items else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "argument_bytes": self.argument_bytes,
            "results": self.results,
            "result_bytes": self.result_bytes,
            "seconds": self.seconds,
            "shared_bytes": self.shared_bytes,
        }


@frozen
class RunProfile:
    """The figures of one run's compute phase."""

    wall: float  # seconds between the two CPU readings around the compute phase
    cpu: float | None  # CPU-seconds futstrat's process tree used in that time; None when it cannot be seen
    chunks: int  # chunks whose results came back
    seconds_in_chunks: float  # their seconds inside the workers, summed
    pickled: PickledSample | None  # None when the tasks never leave the parent's process
    #: Times the run's threads gave up a CPU themselves (to wait) and were taken off one (another
    #: program's turn), over the compute phase; None when the run has other processes to count.
    voluntary_switches: int | None = None
    involuntary_switches: int | None = None
    #: Bytes the run's processes wrote through system calls over the compute phase (pipes, sockets);
    #: None for a run in this process alone, or where they cannot be read.
    bytes_written: int | None = None

    @property
    def cpu_per_wall(self) -> float | None:
        if self.cpu is None or self.wall <= 0:
            return None
        return self.cpu / self.wall

    def to_dict(self) -> dict[str, Any]:
        return {
            "wall": self.wall,
            "cpu": None if self.cpu is None else round(self.cpu, 6),
            "cpu_per_wall": self.cpu_per_wall,
            "chunks": self.chunks,
            "seconds_in_chunks": self.seconds_in_chunks,
            "pickled_sample": None if self.pickled is None else self.pickled.to_dict(),
            "voluntary_switches": self.voluntary_switches,
            "involuntary_switches": self.involuntary_switches,
            "bytes_written": self.bytes_written,
        }


def bytes_written_by_tree(root: int | None = None) -> dict[int, int] | None:
    """``{pid: bytes written}`` of ``root`` (this process) and its live descendants, from each one's
    ``/proc/PID/io``; None where ``root``'s own counter cannot be read."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    try:
        entries = [entry for entry in PROC.iterdir() if entry.name.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    written: dict[int, int] = {}
    stack = [root]
    while stack:
        pid = stack.pop()
        count = _written(pid)
        if count is not None:
            written[pid] = count
        stack.extend(children.get(pid, ()))
    return written if root in written else None


def _written(pid: int) -> int | None:
    try:
        with open(PROC / str(pid) / "io", encoding="ascii") as io:
            for line in io:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def written_between(before: dict[int, int] | None, after: dict[int, int] | None) -> int | None:
    """Bytes written between two readings: a process that started meanwhile counts from zero."""
    if before is None or after is None:
        return None
    return sum(max(0, count - before.get(pid, 0)) for pid, count in after.items())


def workers_cpu_visible() -> bool:
    """Whether the CPU time of live worker processes can be read (Linux's ``/proc``)."""
    return PROC.is_dir()


def pickle_sample(chunks: Sequence[Any], results: Sequence[list[Any]], shared: Any = None) -> PickledSample:
    """Pickle and unpickle the sampled chunks and results as a process pool would; what cannot be
    pickled is left out of the sample. ``shared``, the run's shared argument, is only pickled: a
    Manager's proxies cannot be unpickled once the run has ended its Manager."""
    started = time.perf_counter()
    tasks = argument_bytes = result_count = result_bytes = shared_bytes = 0
    shared_size = None if shared is None else _pickled_size(shared)
    for chunk in chunks:
        size = _round_trip(chunk)
        if size is not None:
            tasks += len(chunk)
            argument_bytes += size
            shared_bytes += shared_size or 0
    for chunk_results in results:
        size = _round_trip(chunk_results)
        if size is not None:
            result_count += len(chunk_results)
            result_bytes += size
    seconds = time.perf_counter() - started
    return PickledSample(tasks, argument_bytes, result_count, result_bytes, seconds, shared_bytes)


def _pickled_size(value: Any) -> int | None:
    try:
        return len(ForkingPickler.dumps(value))
    except Exception:
        return None


def _round_trip(value: Any) -> int | None:
    try:
        data = bytes(ForkingPickler.dumps(value))
        ForkingPickler.loads(data)
    except Exception:
        return None
    return len(data)


class ComputeProfiler:
    """The observer ``futstrat compare`` gives each run: it reads the CPU counters around the compute
    phase and keeps the dispatcher's counts and samples; :meth:`profile` builds the figures afterwards."""

    def __init__(self, crosses_processes: bool, other_processes: bool | None = None) -> None:
        """``other_processes``: whether anything of the run lives in another process (its workers, a
        Manager); only then is the process tree read, which takes milliseconds. It defaults to
        ``crosses_processes``."""
        self.crosses_processes = crosses_processes
        self.other_processes = crosses_processes if other_processes is None else other_processes
        self._before: tuple[float, float, tuple[int, int] | None] | None = None
        self._after: tuple[float, float, tuple[int, int] | None] | None = None
        self._dispatcher: Dispatcher | None = None
        self._written_before: dict[int, int] | None = None
        self._written_after: dict[int, int] | None = None

    def _reading(self) -> tuple[float, float, tuple[int, int] | None]:
        """``(wall, CPU-seconds, context switches)``; switches only for a run in this process alone."""
        if self.other_processes:
            return time.monotonic(), own_cpu_seconds(), None
        times = os.times()  # this process, all its threads, and the children it has reaped
        return time.monotonic(), times.user + times.system + times.children_user + times.children_system, _switches()

    def compute_starting(self) -> None:
        self._written_before = bytes_written_by_tree() if self.other_processes else None
        self._before = self._reading()

    def compute_finished(self, dispatcher: Dispatcher) -> None:
        self._after = self._reading()
        self._written_after = bytes_written_by_tree() if self.other_processes else None
        self._dispatcher = dispatcher

    def profile(self) -> RunProfile | None:
        """The run's figures, or None when its compute phase did not finish. Call it after the run."""
        dispatcher, before, after = self._dispatcher, self._before, self._after
        if dispatcher is None or before is None or after is None:
            return None
        cpu: float | None = max(0.0, after[1] - before[1])
        if self.other_processes and not workers_cpu_visible():
            cpu = None
        pickled = None
        if self.crosses_processes:
            shared = (dispatcher.extra or {}).get("shared")
            pickled = pickle_sample(dispatcher.sampled_chunks, dispatcher.sampled_results, shared)
        self._dispatcher = None  # let the sampled tasks and results go
        return RunProfile(
            wall=max(0.0, after[0] - before[0]),
            cpu=cpu,
            chunks=dispatcher.chunks_done,
            seconds_in_chunks=dispatcher.seconds_in_chunks,
            pickled=pickled,
            voluntary_switches=None if before[2] is None or after[2] is None else after[2][0] - before[2][0],
            involuntary_switches=None if before[2] is None or after[2] is None else after[2][1] - before[2][1],
            bytes_written=written_between(self._written_before, self._written_after),
        )


def _switches() -> tuple[int, int] | None:
    """This process's voluntary and involuntary context switches, all threads together."""
    try:
        import resource
    except ImportError:  # not on Unix
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_nvcsw, usage.ru_nivcsw
