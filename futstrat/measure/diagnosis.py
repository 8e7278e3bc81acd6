"""Why a strategy wins: findings read off what was measured, each sentence naming its figure.

Nothing here guesses. Every finding comes from a figure of the runs whose answer checked out:

- **CPU-seconds per wall second** of the compute phase, over the whole process tree (workers included).
  A thread pool near 1.0 runs one task at a time (the GIL); near its worker count its tasks release the
  GIL; far below 1.0 the tasks wait (sleep, I/O) instead of computing.
- **Start-up and shutdown's share** of the total time.
- **Time inside tasks**: the seconds each chunk took in its worker, against the workers' share of the
  compute phase. What is left is time spent pickling, sending, receiving and waiting for the parent.
- **Bytes pickled per task**, arguments and results, from a sample of the first chunks; the shared
  argument that travels with each chunk (a token, proxies, the names of shared memory blocks) counts
  with the arguments. With large arguments, the copying is what decides: ``copy-bound``.
- **Bytes written per task** by the run's processes to each other over the compute phase (pipes and
  sockets, a Manager's replies included), which also sees data a task fetches while it runs.

The rules are plain thresholds on those figures (the constants below), so they can be tested with
made-up figures, and so a reader can check a sentence against the numbers in the JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import frozen

from futstrat.measure.profile import RunProfile
from futstrat.measure.trials import Trial

#: Below this many CPU-seconds per wall second, the tasks mostly wait instead of computing.
WAITING_CPU = 0.25
#: A pool of threads using less CPU than this per wall second runs about one task at a time.
ONE_CPU_AT_MOST = 1.35
#: A process pool that keeps this share of the CPUs it could use busy computes in parallel.
PARALLEL_SHARE = 0.7
#: Start-up and shutdown taking this share of the total or more dominate the run.
OVERHEAD_SHARE = 0.3
#: Workers inside tasks less than this share of the compute phase spend it mostly on dispatch.
BUSY_SHARE = 0.5
#: A task shipping this many pickled bytes (arguments and result) or more is costly to send.
LARGE_TASK_BYTES = 64 * 1024
#: Pickling and unpickling the tasks' arguments and results in the parent alone taking this share of the
#: total time or more: copying them to the workers decides the time, even where the workers keep busy.
COPY_SHARE = 0.2
#: CPU counters tick every 10 ms: below this much compute time in all, the CPU figure says too little.
MIN_CPU_WALL = 0.1
#: Other programs using this share of the CPUs make a CPU figure low: the sentence says so.
OUTSIDE_SHARE = 0.1
#: When this run and other programs together kept this share of the CPUs busy, the machine was full: a
#: low CPU figure may then come from tasks kept off the CPUs rather than from tasks that wait.
FULL_MACHINE = 0.9
#: Serial at this many CPU-seconds per second or more keeps its CPU busy; between this and
#: ``WAITING_CPU`` its tasks wait part of the time.
ONE_CPU_BUSY = 0.7
#: A run whose threads made this share of their context switches themselves (to wait, for a lock, for
#: the GIL) waits by itself, however full the machine was: one that computes and is kept off the CPUs
#: by other programs makes almost none of its own (pi on a full machine: none of about 20,000).
OWN_SWITCHES = 0.3
#: Fewer context switches than this say too little.
MIN_SWITCHES = 20
#: The findings a full machine could have caused, which are not given when it was full.
LOW_CPU_KINDS = frozenset({"waits", "partly-waits", "gil-bound", "partly-parallel", "one-cpu"})


@frozen
class StrategyFigures:
    """What a combination's passed runs measured, summed over them (ratios of sums resist the 10 ms ticks)."""

    strategy: str
    sharing: str | None
    workers: int  # tasks that may run at once: 1 for a strategy that is not concurrent
    cpus: int  # CPUs this process may use
    concurrent: bool
    crosses_processes: bool
    runs: int
    tasks: int  # tasks per run
    startup: float  # median seconds
    shutdown: float
    total: float
    compute_seconds: float  # the compute phases, summed over the runs
    cpu_per_wall: float | None
    outside_cpus: float | None  # CPUs other programs kept busy on average meanwhile
    chunks: int  # summed over the runs
    seconds_in_chunks: float  # summed over the runs
    sampled_tasks: int = 0
    argument_bytes_per_task: float | None = None
    result_bytes_per_task: float | None = None
    pickle_seconds_per_task: float | None = None
    #: Of ``argument_bytes_per_task``, the shared argument's share (it travels with each chunk).
    shared_bytes_per_task: float | None = None
    #: Bytes the run's processes wrote to each other over the compute phase, per task.
    written_bytes_per_task: float | None = None
    #: Context switches over the compute phases, summed: the threads gave up a CPU themselves
    #: (voluntary) or were taken off one; None when the run has other processes.
    voluntary_switches: int | None = None
    involuntary_switches: int | None = None

    @property
    def own_switch_share(self) -> float | None:
        """The share of context switches the run's threads made themselves, to wait."""
        if self.voluntary_switches is None or self.involuntary_switches is None:
            return None
        switches = self.voluntary_switches + self.involuntary_switches
        return self.voluntary_switches / switches if switches >= MIN_SWITCHES else None

    @property
    def overhead_share(self) -> float | None:
        return (self.startup + self.shutdown) / self.total if self.total > 0 else None

    @property
    def busy_share(self) -> float | None:
        """Seconds inside tasks over the workers' seconds of compute phase."""
        available = self.workers * self.compute_seconds
        if not self.chunks or available <= 0:
            return None
        return min(1.0, self.seconds_in_chunks / available)

    @property
    def inside_per_chunk(self) -> float | None:
        return self.seconds_in_chunks / self.chunks if self.chunks else None

    @property
    def outside_per_chunk(self) -> float | None:
        if not self.chunks:
            return None
        return max(0.0, self.workers * self.compute_seconds - self.seconds_in_chunks) / self.chunks

    @property
    def tasks_per_chunk(self) -> float | None:
        return self.tasks * self.runs / self.chunks if self.chunks else None

    @property
    def bytes_per_task(self) -> float | None:
        parts = [b for b in (self.argument_bytes_per_task, self.result_bytes_per_task) if b is not None]
        return sum(parts) if parts else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "cpus": self.cpus,
            "runs": self.runs,
            "tasks": self.tasks,
            "startup": self.startup,
            "shutdown": self.shutdown,
            "total": self.total,
            "overhead_share": self.overhead_share,
            "compute_seconds": self.compute_seconds,
            "cpu_per_wall": self.cpu_per_wall,
            "outside_cpus": self.outside_cpus,
            "chunks": self.chunks,
            "seconds_in_chunks": self.seconds_in_chunks,
            "busy_share": self.busy_share,
            "inside_per_chunk": self.inside_per_chunk,
            "outside_per_chunk": self.outside_per_chunk,
            "tasks_per_chunk": self.tasks_per_chunk,
            "sampled_tasks": self.sampled_tasks,
            "argument_bytes_per_task": self.argument_bytes_per_task,
            "result_bytes_per_task": self.result_bytes_per_task,
            "pickle_seconds_per_task": self.pickle_seconds_per_task,
            "shared_bytes_per_task": self.shared_bytes_per_task,
            "written_bytes_per_task": self.written_bytes_per_task,
            "voluntary_switches": self.voluntary_switches,
            "involuntary_switches": self.involuntary_switches,
        }


@frozen
class Finding:
    """One sentence of the diagnosis, what kind of reason it gives, and the figures it names."""

    strategy: str
    sharing: str | None
    #: cpu-bound, partly-waits, waits, gil-bound, releases-gil, parallel, partly-parallel, one-cpu,
    #: machine-busy, start-up-bound, pickling-bound, dispatch-bound or copy-bound
    kind: str
    text: str
    figures: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "sharing": self.sharing,
            "kind": self.kind,
            "text": self.text,
            "figures": dict(self.figures),
        }


def figures_of(
    trials: Sequence[Trial],
    *,
    strategy: str,
    sharing: str | None,
    workers: int,
    cpus: int,
    concurrent: bool,
    crosses_processes: bool,
    startup: float,
    shutdown: float,
    total: float,
    outside_cpus: float | None,
) -> StrategyFigures | None:
    """Sum the profiles of the passed runs; None when no passed run has one."""
    profiled = [(t, t.profile) for t in trials if t.ok and t.profile is not None]
    if not profiled:
        return None
    profiles: list[RunProfile] = [p for _, p in profiled]
    wall = sum(p.wall for p in profiles)
    cpu_known = all(p.cpu is not None for p in profiles)
    cpu_per_wall = None
    if cpu_known and wall >= MIN_CPU_WALL:
        cpu_per_wall = sum(p.cpu or 0.0 for p in profiles) / wall
    samples = [p.pickled for p in profiles if p.pickled is not None]
    sampled_tasks = sum(s.tasks for s in samples)
    shared_bytes = sum(s.shared_bytes for s in samples)
    sampled_results = sum(s.results for s in samples)
    items = max(sampled_tasks, sampled_results)
    written_known = all(p.bytes_written is not None for p in profiles)
    tasks = profiled[0][0].report.tasks
    switches_known = all(p.voluntary_switches is not None and p.involuntary_switches is not None for p in profiles)
    return StrategyFigures(
        strategy=strategy,
        sharing=sharing,
        workers=workers if concurrent else 1,
        cpus=cpus,
        concurrent=concurrent,
        crosses_processes=crosses_processes,
        runs=len(profiled),
        tasks=profiled[0][0].report.tasks,
        startup=startup,
        shutdown=shutdown,
        total=total,
        compute_seconds=sum(t.report.timings.compute for t, _ in profiled),
        cpu_per_wall=cpu_per_wall,
        outside_cpus=outside_cpus,
        chunks=sum(p.chunks for p in profiles),
        seconds_in_chunks=sum(p.seconds_in_chunks for p in profiles),
        sampled_tasks=sampled_tasks,
        argument_bytes_per_task=(
            (sum(s.argument_bytes for s in samples) + shared_bytes) / sampled_tasks if sampled_tasks else None
        ),
        result_bytes_per_task=(sum(s.result_bytes for s in samples) / sampled_results) if sampled_results else None,
        pickle_seconds_per_task=(sum(s.seconds for s in samples) / items) if items else None,
        shared_bytes_per_task=shared_bytes / sampled_tasks if sampled_tasks else None,
        written_bytes_per_task=(
            sum(p.bytes_written or 0 for p in profiles) / (tasks * len(profiles)) if written_known and tasks else None
        ),
        voluntary_switches=sum(p.voluntary_switches or 0 for p in profiles) if switches_known else None,
        involuntary_switches=sum(p.involuntary_switches or 0 for p in profiles) if switches_known else None,
    )


# -- the rules ------------------------------------------------------------------------------------


def diagnose(figures: StrategyFigures) -> list[Finding]:
    """Every finding the figures support, the CPU first, then start-up, then dispatch.

    A CPU figure that only says the workers were busy part of the time is left out when the dispatch
    finding says why.
    """
    cpu, overhead, dispatch = _cpu_finding(figures), _overhead_finding(figures), _dispatch_finding(figures)
    if cpu is not None and cpu.kind == "partly-parallel" and dispatch is not None:
        cpu = None
    copy = _copy_finding(figures) if dispatch is None else None
    return [f for f in (cpu, overhead, dispatch, copy) if f is not None]


def _finding(figures: StrategyFigures, kind: str, text: str, **named: Any) -> Finding:
    return Finding(figures.strategy, figures.sharing, kind, text, named)


def _cpu_finding(f: StrategyFigures) -> Finding | None:
    cpu = f.cpu_per_wall
    if cpu is None:
        return None
    read = _read_cpu(f, cpu)
    if read is None:
        return None
    kind, text, named = read
    figure = f"{cpu:.2f} CPU-seconds per second of compute"
    outside = f.outside_cpus
    full = outside is not None and outside + cpu >= FULL_MACHINE * f.cpus
    own = f.own_switch_share
    if full and kind in LOW_CPU_KINDS and own is not None and own >= OWN_SWITCHES:
        switches = (f.voluntary_switches or 0) + (f.involuntary_switches or 0)
        text += (
            f" (other programs kept {outside:.2f} of the {f.cpus} CPUs busy, but {_percent(own)} of its"
            f" {switches:,} context switches were its own, to wait, where a run kept off the CPUs makes almost none)"
        )
        return _finding(f, kind, text, cpu_per_wall=cpu, own_switch_share=own, **named)
    if full and kind in LOW_CPU_KINDS:
        text = (
            f"{figure}, while other programs kept {outside:.2f} of the {f.cpus} CPUs busy: with the machine"
            " full, this figure cannot tell tasks that wait from tasks kept waiting for a CPU"
        )
        return _finding(f, "machine-busy", text, cpu_per_wall=cpu, outside_cpus=outside)
    if outside is not None and outside >= OUTSIDE_SHARE * f.cpus:
        text += f" (other programs used {outside:.2f} CPUs meanwhile, which lowers this figure)"
    return _finding(f, kind, text, cpu_per_wall=cpu, **named)


def _read_cpu(f: StrategyFigures, cpu: float) -> tuple[str, str, dict[str, Any]] | None:
    """What the CPU figure alone says: ``(kind, sentence, other figures it names)``."""
    figure = f"{cpu:.2f} CPU-seconds per second of compute"
    workers = f"{f.workers} {'threads' if not f.crosses_processes else 'workers'}"
    if cpu < WAITING_CPU:
        busy = f.busy_share
        if f.concurrent and busy is not None and busy < BUSY_SHARE:
            return None  # the processes wait, but not inside tasks: the dispatch finding says where
        text = f"{figure}: its tasks mostly wait (sleep, I/O) rather than compute"
        if f.concurrent and f.workers > 1:
            text += f", and its {workers} wait at the same time"
        return "waits", text, {}
    if not f.concurrent:
        if cpu < ONE_CPU_BUSY:
            return "partly-waits", f"{figure}: its tasks wait part of the time (sleep, I/O)", {}
        return "cpu-bound", f"{figure}: its tasks keep a CPU busy", {}
    usable = min(f.workers, f.cpus)
    if usable < 2:
        return "one-cpu", f"{figure}, with only {usable} CPU to use", {"usable_cpus": usable}
    if not f.crosses_processes:
        if cpu < ONE_CPU_AT_MOST:
            text = f"{figure} with {workers}: one CPU at most, so the tasks hold the GIL and take turns"
            return "gil-bound", text, {"workers": f.workers}
        text = f"{figure} with {workers}: the tasks release the GIL (native code) and run in parallel"
        return "releases-gil", text, {"workers": f.workers}
    if cpu >= PARALLEL_SHARE * usable:
        text = f"{figure} of the {usable} CPUs its {workers} could use: they compute in parallel"
        return "parallel", text, {"usable_cpus": usable}
    text = f"{figure} of the {usable} CPUs its {workers} could use: they are busy only part of the time"
    return "partly-parallel", text, {"usable_cpus": usable}


def _overhead_finding(f: StrategyFigures) -> Finding | None:
    share = f.overhead_share
    if not f.concurrent or share is None or share < OVERHEAD_SHARE:
        return None
    text = (
        f"start-up and shutdown take {_percent(share)} of its total time ({_seconds(f.startup + f.shutdown)}"
        f" of {_seconds(f.total)}): the work is too short to pay for starting the pool"
    )
    return _finding(f, "start-up-bound", text, overhead_share=share, startup=f.startup, shutdown=f.shutdown)


def _dispatch_finding(f: StrategyFigures) -> Finding | None:
    busy, inside, outside, per_chunk = f.busy_share, f.inside_per_chunk, f.outside_per_chunk, f.tasks_per_chunk
    if not f.concurrent or busy is None or busy >= BUSY_SHARE or inside is None or outside is None:
        return None
    figures: dict[str, Any] = {"busy_share": busy, "inside_per_chunk": inside, "outside_per_chunk": outside}
    shipped = f.bytes_per_task
    if f.crosses_processes and shipped is not None and shipped >= LARGE_TASK_BYTES:
        text = (
            f"each task ships {_size(f.argument_bytes_per_task)} of arguments and {_size(f.result_bytes_per_task)}"
            f" of results (pickled sample of {f.sampled_tasks} tasks)"
        )
        if f.pickle_seconds_per_task is not None:
            text += f", {_seconds(f.pickle_seconds_per_task)} per task to pickle and unpickle"
        text += f", and its workers are inside tasks for {_percent(busy)} of the compute phase"
        figures.update(bytes_per_task=shipped, sampled_tasks=f.sampled_tasks)
        return _finding(f, "pickling-bound", text, **figures)
    size = "tasks" if per_chunk is None else f"{per_chunk:,.0f} task{'s' if round(per_chunk) != 1 else ''}"
    text = (
        f"its workers are inside tasks for only {_percent(busy)} of the compute phase: per chunk of {size},"
        f" {_seconds(inside)} of work against {_seconds(outside)} of sending, receiving and waiting"
    )
    if f.crosses_processes and shipped is not None:
        text += f" ({_size(shipped)} pickled per task, sampled)"
        figures["bytes_per_task"] = shipped
    return _finding(f, "dispatch-bound", text, **figures)


def _copy_finding(f: StrategyFigures) -> Finding | None:
    """Large arguments copied to every task, even where the workers keep busy: the parent pickles
    each one, a pipe carries it, the worker unpickles it; only the parent's part is timed, so the
    share given is the least the copying costs. Failing that, data the processes wrote to each other
    while the tasks ran (what a Manager sends back), which no sample of the tasks sees."""
    shipped, seconds = f.bytes_per_task, f.pickle_seconds_per_task
    if shipped is None or shipped < LARGE_TASK_BYTES or seconds is None or f.total <= 0:
        return _written_finding(f)
    if not f.crosses_processes:
        return None
    share = min(1.0, seconds * f.tasks / f.total)
    if share < COPY_SHARE:
        return None
    text = (
        f"each task is sent {_size(shipped)} pickled (sample of {f.sampled_tasks} tasks), and pickling and"
        f" unpickling them in the parent alone takes {_seconds(seconds)} per task, {_percent(share)} of its total"
        " time: copying the data to every task decides"
    )
    figures = {"bytes_per_task": shipped, "pickle_seconds_per_task": seconds, "copy_share": share}
    return _finding(f, "copy-bound", text, sampled_tasks=f.sampled_tasks, **figures)


def _written_finding(f: StrategyFigures) -> Finding | None:
    written, shipped = f.written_bytes_per_task, f.bytes_per_task
    if written is None or written < LARGE_TASK_BYTES or written < 2 * (shipped or 0.0):
        return None
    sent = "" if shipped is None else f", against {_size(shipped)} pickled with each task"
    text = (
        f"its processes wrote {_size(written)} per task to each other while the tasks ran (pipes and"
        f" sockets{sent}): data is copied to every task while it runs"
    )
    return _finding(f, "copy-bound", text, written_bytes_per_task=written)


# -- wording ----------------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} us"


def _percent(share: float) -> str:
    return "under 1%" if 0 < share < 0.005 else f"{share:.0%}"  # never a bare 0% for time that was spent


def _size(value: float | None) -> str:
    if value is None:
        return "? bytes"
    for limit, unit in ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
        if value >= limit:
            return f"{value / limit:.3g} {unit}"
    return f"{value:.0f} bytes"


def sentence(findings: Sequence[Finding], strategy: str | None = None) -> str:
    """A combination's findings as one line: ``thread: ...; ...``. ``strategy`` names it when the
    strategy's name alone does not (``process x2`` in a sweep of worker counts)."""
    if not findings:
        return ""
    first = findings[0]
    shown = strategy or first.strategy
    name = shown if first.sharing in (None, "none") else f"{shown} (sharing {first.sharing})"
    return f"{name}: " + "; ".join(f.text for f in findings)


#: Cores whose fixed loop's slowest time stayed within this share of its fastest count as steady.
STEADY_CORES = 0.10


def unsteady_cores(spread: float | None, differences: Sequence[float]) -> str | None:
    """What to add to the verdict when the cores' own speed moved more than the differences it states.

    ``spread`` is how much longer the slowest probe of the fixed loop took than the fastest (0.4 for
    40%); ``differences`` are the significant differences the verdict rests on, as shares (a ratio of
    1.12 is 0.12). With no such difference, only a spread past ``STEADY_CORES`` is worth a word.
    """
    if spread is None:
        return None
    moved = f"this machine's cores changed speed by up to {_percent(spread)} during the run"
    smallest = min((abs(d) for d in differences), default=None)
    if smallest is not None and spread > smallest:
        return f"{moved}, more than the {_percent(smallest)} difference judged here: the host may have decided it"
    if smallest is None and spread > STEADY_CORES:
        return f"{moved}, which can hide a difference as well as make one"
    return None
