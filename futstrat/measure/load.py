"""How much CPU futstrat's own processes used during a run, and how much everything else took.

A timing can only be trusted when nothing else competed for the CPUs. Linux counts the machine's busy
time in ``/proc/stat`` and each process's CPU time in ``/proc/PID/stat``; over one run, busy time that
futstrat's process tree cannot account for (plus the hypervisor's steal time) was taken by something
else. Workers count whether they have been reaped (``os.times``) or are alive (their ``/proc`` entry,
which includes the children they reaped), so pools started by fork, spawn or forkserver all count as
futstrat's own. Elsewhere than Linux only futstrat's own CPU time is known.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

from attrs import frozen

PROC = Path("/proc")


def _clock_ticks() -> int:
    try:
        return int(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return 100


CLOCK_TICKS = _clock_ticks()


@frozen
class CpuSnapshot:
    """The CPU counters at one moment."""

    wall: float  # time.monotonic()
    own: float  # CPU-seconds used so far by this process and its descendants
    busy: float | None  # CPU-seconds the whole machine spent busy (steal included); None off Linux


@frozen
class CpuUse:
    """CPU time spent between two snapshots."""

    wall: float  # seconds
    own: float  # CPU-seconds used by futstrat's process tree
    outside: float | None  # CPU-seconds used by everything else; None when it cannot be known

    @property
    def outside_cpus(self) -> float | None:
        """How many CPUs other programs kept busy on average."""
        if self.outside is None or self.wall <= 0:
            return None
        return self.outside / self.wall


def take_snapshot() -> CpuSnapshot:
    busy = machine_busy_seconds()
    return CpuSnapshot(wall=time.monotonic(), own=own_cpu_seconds(), busy=busy)


def cpu_use_between(before: CpuSnapshot, after: CpuSnapshot) -> CpuUse:
    own = max(0.0, after.own - before.own)
    outside = None
    if before.busy is not None and after.busy is not None:
        # Clock ticks make both counters coarse (10 ms); never report negative use.
        outside = max(0.0, (after.busy - before.busy) - own)
    return CpuUse(wall=max(0.0, after.wall - before.wall), own=own, outside=outside)


def machine_busy_seconds() -> float | None:
    """Busy CPU-seconds since boot over all CPUs, from the first line of ``/proc/stat``."""
    try:
        with open(PROC / "stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice], guest already in user
    values = [int(v) for v in fields[1:9]] + [0] * max(0, 9 - len(fields))
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    """CPU-seconds used by this process, its reaped children and its live descendants."""
    times = os.times()
    total = times.user + times.system + times.children_user + times.children_system
    return total + _live_descendants_seconds(os.getpid())


def _live_descendants_seconds(root: int) -> float:
    children: dict[int, list[int]] = defaultdict(list)
    used: dict[int, float] = {}
    try:
        entries = list(PROC.iterdir())
    except OSError:
        return 0.0
    for entry in entries:
        if not entry.name.isdigit():
            continue
        parsed = _read_process_stat(entry / "stat")
        if parsed is not None:
            ppid, seconds = parsed
            pid = int(entry.name)
            children[ppid].append(pid)
            used[pid] = seconds
    total, stack = 0.0, list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        total += used.get(pid, 0.0)
        stack.extend(children.get(pid, ()))
    return total


def _read_process_stat(path: Path) -> tuple[int, float] | None:
    """``(ppid, utime + stime + cutime + cstime in seconds)`` of one process, if it still exists."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or parentheses.
    fields = text.rpartition(")")[2].split()
    try:
        ppid = int(fields[1])
        ticks = sum(int(v) for v in fields[11:15])
    except (IndexError, ValueError):
        return None
    return ppid, ticks / CLOCK_TICKS


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except (AttributeError, OSError):
        return None
