"""The workloads of the seed article and the shared-state ones, registered through the same hook a third party uses."""

from __future__ import annotations

from collections.abc import Callable

from futstrat.builtin.workloads.counter import CounterRaceWorkload, CounterWorkload
from futstrat.builtin.workloads.deadlock import DeadlockWorkload
from futstrat.builtin.workloads.histogram import HistogramRaceWorkload, HistogramWorkload
from futstrat.builtin.workloads.lookup import LookupWorkload
from futstrat.builtin.workloads.pi import PiWorkload
from futstrat.builtin.workloads.sleep import SleepWorkload
from futstrat.builtin.workloads.tiny import TinyTasksWorkload
from futstrat.builtin.workloads.wordcount import WordCountWorkload
from futstrat.hookspecs import hookimpl
from futstrat.model import Workload

BUILTIN_WORKLOADS: tuple[Workload, ...] = (
    PiWorkload(),
    CounterWorkload(),
    CounterRaceWorkload(),
    DeadlockWorkload(),
    SleepWorkload(),
    TinyTasksWorkload(),
    HistogramWorkload(),
    HistogramRaceWorkload(),
    LookupWorkload(),
    WordCountWorkload(),
)


@hookimpl
def futstrat_register_workloads(register: Callable[[Workload], None]) -> None:
    for workload in BUILTIN_WORKLOADS:
        register(workload)
