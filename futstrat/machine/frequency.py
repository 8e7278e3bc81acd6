"""The CPUs' model, speed and speed policy, as pyperf records them: timings depend on all of them.

A governor other than ``performance`` lets a core run slow until it has been busy a while; turbo lets a
lone busy core run faster than two busy ones; isolated CPUs are kept free of other programs. Linux tells
all of this in ``/proc/cpuinfo`` and ``/sys/devices/system/cpu``; a file that is missing (a virtual
machine often has no ``cpufreq``, other systems have neither) makes that fact unknown, never an error.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attrs import field, frozen

from futstrat.machine.cpus import ROOT, parse_cpu_list

CPU_SYS = Path("sys/devices/system/cpu")
CPUINFO = Path("proc/cpuinfo")
#: The fields of ``/proc/cpuinfo`` that name the model, by architecture (x86, then ARM, POWER, MIPS).
MODEL_FIELDS = ("model name", "Hardware", "cpu", "cpu model")
CPU_DIR = re.compile(r"cpu(\d+)")


@frozen
class CpuFacts:
    """What is known of the CPUs' model and speed; None (or empty) where the system does not say."""

    model: str | None = None
    #: Current speed per CPU in MHz (from cpufreq, else from /proc/cpuinfo).
    current_mhz: Mapping[int, float] = field(factory=dict)
    max_mhz: float | None = None
    #: The frequency governor of each CPU that has one.
    governors: Mapping[int, str] = field(factory=dict)
    #: True when turbo/boost may raise a core's speed, False when it is off, None when unknown.
    turbo: bool | None = None
    #: CPUs kept apart from the scheduler (``isolcpus``); None when unknown.
    isolated: tuple[int, ...] | None = None

    @property
    def governor(self) -> str | None:
        """The governor's name, or the names joined by '/' when CPUs differ."""
        names = sorted(set(self.governors.values()))
        return "/".join(names) if names else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "current_mhz": {str(cpu): mhz for cpu, mhz in sorted(self.current_mhz.items())},
            "max_mhz": self.max_mhz,
            "governor": self.governor,
            "turbo": self.turbo,
            "isolated": None if self.isolated is None else list(self.isolated),
        }


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except (OSError, ValueError):
        return None


def _khz_as_mhz(text: str | None) -> float | None:
    try:
        value = int(text or "")
    except ValueError:
        return None
    return value / 1000 if value > 0 else None


def cpuinfo_facts(root: Path = ROOT) -> tuple[str | None, dict[int, float]]:
    """The model and each processor's current MHz from ``/proc/cpuinfo``."""
    text = _read(root / CPUINFO) or ""
    models: dict[str, str] = {}
    speeds: dict[int, float] = {}
    processor: int | None = None
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if not colon:
            continue
        name, value = name.strip(), value.strip()
        if name == "processor":
            processor = int(value) if value.isdigit() else None
        elif name in MODEL_FIELDS and value:
            models.setdefault(name, value)
        elif name == "cpu MHz" and processor is not None:
            with contextlib.suppress(ValueError):
                speeds[processor] = float(value)
    model = next((models[name] for name in MODEL_FIELDS if name in models), None)
    return model, speeds


def _cpu_dirs(root: Path) -> dict[int, Path]:
    try:
        entries = list((root / CPU_SYS).iterdir())
    except OSError:
        return {}
    return {int(m.group(1)): e for e in entries if (m := CPU_DIR.fullmatch(e.name))}


def turbo_state(root: Path = ROOT) -> bool | None:
    """Whether turbo (Intel's pstate driver) or boost (cpufreq) is on; None when neither says."""
    no_turbo = _read(root / CPU_SYS / "intel_pstate/no_turbo")
    if no_turbo in ("0", "1"):
        return no_turbo == "0"
    boost = _read(root / CPU_SYS / "cpufreq/boost")
    if boost in ("0", "1"):
        return boost == "1"
    return None


def read_cpu_facts(root: Path = ROOT) -> CpuFacts:
    """Everything this module knows how to read, from the system under ``root``."""
    model, cpuinfo_mhz = cpuinfo_facts(root)
    current: dict[int, float] = {}
    maximums: list[float] = []
    governors: dict[int, str] = {}
    for cpu, directory in sorted(_cpu_dirs(root).items()):
        cpufreq = directory / "cpufreq"
        mhz = _khz_as_mhz(_read(cpufreq / "scaling_cur_freq"))
        if mhz is not None:
            current[cpu] = mhz
        top = _khz_as_mhz(_read(cpufreq / "cpuinfo_max_freq"))
        if top is not None:
            maximums.append(top)
        governor = _read(cpufreq / "scaling_governor")
        if governor:
            governors[cpu] = governor
    isolated = _read(root / CPU_SYS / "isolated")
    return CpuFacts(
        model=model,
        current_mhz=current or cpuinfo_mhz,
        max_mhz=max(maximums) if maximums else None,
        governors=governors,
        turbo=turbo_state(root),
        isolated=None if isolated is None else parse_cpu_list(isolated),
    )
