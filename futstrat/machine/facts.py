"""The machine as a whole, read at one moment: its CPUs, their speed and the interpreter's threading,
and the reasons to trust timings taken on it less (``machine_warnings``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from attrs import frozen

from futstrat.machine.cpus import ROOT, UsableCpus, read_usable_cpus
from futstrat.machine.frequency import CpuFacts, read_cpu_facts
from futstrat.machine.interpreter import InterpreterThreading, read_interpreter_threading

#: The governor that keeps every CPU at its top speed; any other lets a core start a run slow.
STEADY_GOVERNOR = "performance"
#: A 1-minute load average at or above this share of the usable CPUs means other programs are running.
BUSY_LOAD_SHARE = 0.5


@frozen
class MachineFacts:
    """The CPUs, their speed and the interpreter's threading, read at one moment."""

    cpus: UsableCpus
    cpu: CpuFacts
    interpreter: InterpreterThreading

    def to_dict(self) -> dict[str, Any]:
        return {"cpus": self.cpus.to_dict(), "cpu": self.cpu.to_dict(), "interpreter": self.interpreter.to_dict()}

    def describe(self) -> str:
        """One line for a report's header: model, CPUs and who decided, speed, governor, turbo, GIL."""
        parts = [self.cpu.model or "CPU model unknown"]
        cpus = self.cpus
        online = f" of {cpus.online}" if cpus.online else ""
        parts.append(f"{cpus.count}{online} CPUs usable (decided by {cpus.source})")
        speeds = list(self.cpu.current_mhz.values())
        if speeds:
            low, high = min(speeds), max(speeds)
            now = f"{low:.0f} MHz" if round(low) == round(high) else f"{low:.0f}-{high:.0f} MHz"
            top = f" (max {self.cpu.max_mhz:.0f})" if self.cpu.max_mhz else ""
            parts.append(f"{now}{top}")
        parts.append(f"governor {self.cpu.governor or 'unknown'}")
        parts.append("turbo " + {True: "on", False: "off", None: "unknown"}[self.cpu.turbo])
        if self.cpu.isolated:
            parts.append(f"isolated CPUs {','.join(map(str, self.cpu.isolated))}")
        parts.append(self.interpreter.describe())
        return ", ".join(parts)


def read_machine(root: Path = ROOT) -> MachineFacts:
    return MachineFacts(read_usable_cpus(root), read_cpu_facts(root), read_interpreter_threading())


def machine_warnings(facts: MachineFacts, load: tuple[float, float, float] | None) -> list[str]:
    """One sentence per reason to trust timings on this machine less, before any is taken."""
    warnings = []
    governor = facts.cpu.governor
    if governor is not None and governor != STEADY_GOVERNOR:
        warnings.append(
            f"the CPU frequency governor is {governor}, not {STEADY_GOVERNOR}: a core may start a run slow"
            " and speed up during it"
        )
    usable = facts.cpus.count
    if load is not None and load[0] >= BUSY_LOAD_SHARE * usable:
        warnings.append(
            f"the machine is busy: the load average is {load[0]:.2f} with {usable} usable CPU"
            f"{'s' if usable != 1 else ''}, so other programs will compete for the CPUs"
        )
    return warnings
