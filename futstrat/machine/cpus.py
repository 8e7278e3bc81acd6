"""How many CPUs this process may really use, and which limit decided it.

The machine's CPU count overstates what a container or a pinned process gets. Three limits can be
lower: the CPUs the process may run on (its affinity), the CPU quota of its control group (a container
limited to 1.5 CPUs still sees every core), and an explicit override (``PYTHON_CPU_COUNT`` or
``-X cpu_count``, which Python 3.13 honours in ``os.cpu_count()``; futstrat honours it on every
version). A quota of 1.5 CPUs counts as 2 workers' worth, rounded up, since a second worker still gets
half a CPU. Every reader takes the root directory it reads from, so tests run on fixture trees.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from attrs import frozen

#: What decided the count, in the order the limits are applied.
OVERRIDE_X_OPTION = "-X cpu_count"
OVERRIDE_VARIABLE = "PYTHON_CPU_COUNT"
CGROUP_V2 = "cgroup v2 cpu.max"
CGROUP_V1 = "cgroup v1 cpu.cfs_quota_us"
PROCESS_CPU_COUNT = "os.process_cpu_count"
AFFINITY = "os.sched_getaffinity"
CPU_COUNT = "os.cpu_count"

ROOT = Path("/")
CGROUP_MOUNT = Path("sys/fs/cgroup")
#: Where a cgroup v1 hierarchy with the cpu controller is usually mounted, under ``CGROUP_MOUNT``.
CGROUP_V1_CPU_DIRS = ("cpu,cpuacct", "cpuacct,cpu", "cpu")


@frozen
class CpuQuota:
    """A control group's CPU limit: ``cpus`` CPUs' worth of time per period."""

    cpus: float
    source: str


@frozen
class UsableCpus:
    """The CPUs this process may use, which limit decided it, and the figures it was chosen from."""

    count: int
    source: str
    #: CPUs in the affinity mask (or what os.process_cpu_count() says); None when unknown.
    affinity: int | None = None
    #: The control group's quota in CPUs; None when there is none (or no control group).
    quota: float | None = None
    online: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "usable": self.count,
            "online": self.online,
            "source": self.source,
            "affinity": self.affinity,
            "quota": self.quota,
        }


def parse_cpu_list(text: str) -> tuple[int, ...] | None:
    """CPU numbers from the kernel's list format (``0-3,8,10-11``); None when it is not one."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        if not part.strip():
            continue
        first, _, last = part.strip().partition("-")
        try:
            low = int(first)
            high = int(last) if last else low
        except ValueError:
            return None
        if low < 0 or high < low:
            return None
        cpus.update(range(low, high + 1))
    return tuple(sorted(cpus))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except (OSError, ValueError):
        return None


def _own_cgroups(root: Path) -> dict[str, str]:
    """This process's control group per hierarchy: ``""`` for v2, else the controllers' names."""
    text = _read(root / "proc/self/cgroup") or ""
    groups = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            groups[parts[1]] = parts[2].strip()
    return groups


def _from_own_group_up(mount: Path, group: str | None) -> list[Path]:
    """The directories from this process's group up to the hierarchy's root: a limit can sit on any.

    Inside a container the group's path may name a directory the container cannot see; those are skipped
    and the root (the container's own group) still counts.
    """
    parts = [p for p in (group or "").split("/") if p and p not in (".", "..")]
    return [mount.joinpath(*parts[:length]) for length in range(len(parts), -1, -1)]


def _v2_quota(directory: Path) -> float | None:
    fields = (_read(directory / "cpu.max") or "").split()
    if not fields or fields[0] == "max":
        return None
    try:
        quota = int(fields[0])
        period = int(fields[1]) if len(fields) > 1 else 100_000
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def _v1_quota(directory: Path) -> float | None:
    try:
        quota = int((_read(directory / "cpu.cfs_quota_us") or "").strip())
        period = int((_read(directory / "cpu.cfs_period_us") or "").strip())
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None  # -1: no limit


def cgroup_quota(root: Path = ROOT) -> CpuQuota | None:
    """The tightest CPU quota of this process's control group and its parents; None when there is none."""
    groups = _own_cgroups(root)
    mount = root / CGROUP_MOUNT
    if (mount / "cgroup.controllers").exists():
        quotas = [q for d in _from_own_group_up(mount, groups.get("")) if (q := _v2_quota(d)) is not None]
        return CpuQuota(min(quotas), CGROUP_V2) if quotas else None
    v1_group = next((g for names, g in groups.items() if "cpu" in names.split(",")), None)
    for name in CGROUP_V1_CPU_DIRS:
        if (mount / name).is_dir():
            quotas = [q for d in _from_own_group_up(mount / name, v1_group) if (q := _v1_quota(d)) is not None]
            return CpuQuota(min(quotas), CGROUP_V1) if quotas else None
    return None


def cpu_count_override(environ: Mapping[str, str], xoptions: Mapping[str, object]) -> tuple[int, str] | None:
    """The count ``-X cpu_count=N`` or ``PYTHON_CPU_COUNT=N`` imposes, as Python 3.13 reads them.

    The option wins over the variable; ``default`` (or nothing) means no override. Python 3.13 refuses
    to start on any other value that is not a positive whole number; older versions ignore both, so
    such a value is ignored here too.
    """
    for source, value in (
        (OVERRIDE_X_OPTION, xoptions.get("cpu_count")),
        (OVERRIDE_VARIABLE, environ.get("PYTHON_CPU_COUNT")),
    ):
        if not isinstance(value, str) or value.strip() in ("", "default"):
            continue
        try:
            count = int(value.strip())
        except ValueError:
            continue
        if count >= 1:
            return count, source
    return None


def process_cpus() -> tuple[int | None, str]:
    """What the operating system lets this process run on, before any quota: the count and its source.

    The affinity mask comes first: on Linux ``os.process_cpu_count()`` (Python 3.13+) is its size, except
    that it also obeys the override, which is recorded apart. Elsewhere it is the best there is.
    """
    try:
        return len(os.sched_getaffinity(0)), AFFINITY
    except (AttributeError, OSError):  # not on Linux
        pass
    process_cpu_count = getattr(os, "process_cpu_count", None)
    if process_cpu_count is not None:
        return process_cpu_count(), PROCESS_CPU_COUNT
    return os.cpu_count(), CPU_COUNT


def decide_usable_cpus(
    override: tuple[int, str] | None,
    process: tuple[int | None, str],
    quota: CpuQuota | None,
    online: int | None,
) -> UsableCpus:
    """The count from its parts: an override decides outright, else the lower of affinity and quota."""
    count, source = process
    if count is None or count < 1:
        count, source = (online, CPU_COUNT) if online else (1, CPU_COUNT)
    affinity = count
    if override is not None:
        count, source = override
    elif quota is not None and math.ceil(quota.cpus) < count:
        count, source = max(1, math.ceil(quota.cpus)), quota.source
    return UsableCpus(count, source, affinity, None if quota is None else round(quota.cpus, 4), online)


def read_usable_cpus(
    root: Path = ROOT, environ: Mapping[str, str] | None = None, xoptions: Mapping[str, object] | None = None
) -> UsableCpus:
    """The CPUs this process may use, read from the system under ``root`` (and ``os`` for its affinity)."""
    return decide_usable_cpus(
        cpu_count_override(os.environ if environ is None else environ, sys._xoptions if xoptions is None else xoptions),
        process_cpus(),
        cgroup_quota(root),
        os.cpu_count(),
    )
