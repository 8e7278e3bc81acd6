"""Running a comparison's trials: warm-ups, then samples, round-robin, and Ctrl-C keeps what was gathered.

Inside each round every combination runs once, so drift on a shared machine (another program starting,
the CPU warming up) reaches all of them alike; the first combination of a round rotates from round to
round so that none always runs right after the same other one. Before the first round and after each,
a probe times a fixed loop on every usable CPU (see ``machine.steadiness``), so the report can tell how
much the cores' own speed moved while the combinations were compared.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from attrs import define, field, frozen

from futstrat.errors import UsageError
from futstrat.guest import guest_code
from futstrat.machine.facts import MachineFacts, read_machine
from futstrat.machine.steadiness import CoreTimings, probe_cores
from futstrat.measure.contenders import Contender
from futstrat.measure.load import CpuUse, cpu_use_between, load_average, take_snapshot
from futstrat.measure.profile import ComputeProfiler, RunProfile
from futstrat.model import RunReport, RunStatus
from futstrat.plugins import PluginHost, get_host
from futstrat.runner import execute

DEFAULT_REPEAT = 5
DEFAULT_WARMUP = 1

#: Times a fixed loop on each usable CPU after the given round (0: before the first); None if it cannot.
CoreProbe = Callable[[int], CoreTimings | None]


@frozen
class Trial:
    """One run in a comparison: a warm-up, whose timing is discarded, or a sample."""

    contender: Contender
    round: int  # 1-based; the warm-up rounds come first
    warmup: bool
    report: RunReport
    cpu: CpuUse
    #: CPU use, chunk counts and a pickled sample of the compute phase; None when it did not finish.
    profile: RunProfile | None = None

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def label(self) -> str:
        return self.contender.label


class TrialObserver(Protocol):
    """Something that follows the trials as they run, such as a progress bar."""

    def trial_starting(self, contender: Contender, warmup: bool, done: int, total: int) -> None: ...

    def trial_finished(self, trial: Trial, done: int, total: int) -> None: ...


@define
class Measurement:
    """Every trial of a comparison, in the order they ran, and how the session went."""

    contenders: list[Contender]
    repeat: int
    warmup: int
    planned: int = 0
    trials: list[Trial] = field(factory=list)
    #: True when the session was interrupted before every planned trial ran.
    partial: bool = False
    #: Combinations that were not run again, with the reason (a run that reached the timeout).
    stopped: dict[str, str] = field(factory=dict)
    started_at: float = field(factory=time.time)
    finished_at: float | None = None
    load_before: tuple[float, float, float] | None = None
    load_after: tuple[float, float, float] | None = None
    #: The machine as it was read before the first run.
    machine: MachineFacts | None = None
    #: The cores' speed, probed before the first round and after each; empty when the probe was skipped.
    core_timings: list[CoreTimings] = field(factory=list)


def schedule(contenders: int, repeat: int, warmup: int) -> list[tuple[int, bool, int]]:
    """``(round, is_warmup, contender index)`` in running order: warm-up rounds, then sample rounds."""
    order = []
    for round_index in range(warmup + repeat):
        first = round_index % contenders if contenders else 0
        for offset in range(contenders):
            order.append((round_index + 1, round_index < warmup, (first + offset) % contenders))
    return order


def measure(
    contenders: list[Contender],
    *,
    repeat: int = DEFAULT_REPEAT,
    warmup: int = DEFAULT_WARMUP,
    host: PluginHost | None = None,
    observer: TrialObserver | None = None,
    machine: MachineFacts | None = None,
    core_probe: CoreProbe | None = probe_cores,
) -> Measurement:
    """Run every combination that was not refused ``warmup + repeat`` times, interleaved.

    Ctrl-C stops the session: the trials finished so far are kept and the measurement is marked
    partial, so the caller can still report and save them. ``machine`` is what was read of the machine
    beforehand (read here if not given); ``core_probe=None`` skips probing the cores between rounds.
    """
    if repeat < 1:
        raise UsageError(f"repeat must be at least 1, got {repeat}")
    if warmup < 0:
        raise UsageError(f"warmup must be 0 or more, got {warmup}")
    host = host or get_host()
    runnable = [c for c in contenders if c.plan is not None]
    order = schedule(len(runnable), repeat, warmup)
    measurement = Measurement(
        list(contenders),
        repeat,
        warmup,
        planned=len(order),
        load_before=load_average(),
        machine=machine or read_machine(),
    )
    done = skipped = 0
    finished_round = 0
    try:
        _probe_cores(measurement, core_probe, finished_round)
        for round_number, is_warmup, index in order:
            if round_number != finished_round + 1:
                finished_round = round_number - 1
                _probe_cores(measurement, core_probe, finished_round)
            contender = runnable[index]
            if contender.label in measurement.stopped:
                skipped += 1
                continue
            total = len(order) - skipped
            if observer is not None:
                observer.trial_starting(contender, is_warmup, done, total)
            trial = _run_trial(contender, round_number, is_warmup, host)
            measurement.trials.append(trial)
            done += 1
            if trial.report.status is RunStatus.TIMEOUT:
                measurement.stopped[contender.label] = "a run reached the timeout, so the rest of its runs were skipped"
            with guest_code("a plugin's futstrat_trial_finished hook"):
                host.hook.futstrat_trial_finished(trial=trial, done=done, total=total)
            if observer is not None:
                observer.trial_finished(trial, done, total)
        if order:
            _probe_cores(measurement, core_probe, order[-1][0])
    except KeyboardInterrupt:
        measurement.partial = True
    finally:
        measurement.finished_at = time.time()
        measurement.load_after = load_average()
    return measurement


def _probe_cores(measurement: Measurement, core_probe: CoreProbe | None, finished_round: int) -> None:
    timings = core_probe(finished_round) if core_probe is not None else None
    if timings is not None:
        measurement.core_timings.append(timings)


def _run_trial(contender: Contender, round_number: int, warmup: bool, host: PluginHost) -> Trial:
    assert contender.plan is not None
    plan = contender.plan
    profiler = ComputeProfiler(
        plan.strategy.pickles_tasks, plan.strategy.crosses_processes or plan.sharing.uses_start_method
    )
    before = take_snapshot()
    report = execute(plan, host, profiler)
    after = take_snapshot()
    return Trial(contender, round_number, warmup, report, cpu_use_between(before, after), profiler.profile())
