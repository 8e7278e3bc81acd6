"""The four claims of the article futstrat started from, measured on this machine, with honest verdicts.

A claim that does not hold here is not a failure of the check: the verdict says so and says why, with
the numbers measured. Each check uses the same machinery as ``futstrat compare`` (warm-ups, interleaved
repeats, checked answers, bootstrap intervals), so its figures can be trusted as much as those.
"""

from __future__ import annotations

import enum
import statistics
import sys
from collections.abc import Callable, Mapping
from typing import Any

from attrs import frozen

from futstrat.errors import FutstratError, RefusedError
from futstrat.measure import Comparison, ContenderResult, TrialObserver, compare, measure, plan_contenders
from futstrat.measure.analysis import outside_cpus
from futstrat.measure.environment import gil_enabled
from futstrat.measure.stats import MINIMUM_DIFFERENCE, Ratio, ratio_of_medians
from futstrat.model import RunStatus
from futstrat.options import RunOptions
from futstrat.plugins import PluginHost, get_host
from futstrat.report import format as fmt
from futstrat.runner import plan_run, usable_cpus

CLAIMS = {
    1: "computing pi with a process pool is more than twice as fast as with a thread pool (the GIL)",
    2: "Manager proxies make the shared counter more than ten times slower than raw shared values",
    3: "without the lock, the shared counter ends below tasks x increments (lost updates)",
    4: "futures waited on across threads can deadlock; process futures are not shared, so they cannot",
}


class Verdict(enum.Enum):
    HOLDS = "holds"
    PARTLY = "partly holds"
    DOES_NOT_HOLD = "does not hold"
    #: Measured, but the machine was too busy for the figures to decide the claim either way.
    INCONCLUSIVE = "inconclusive here"
    NOT_MEASURED = "not measured"


@frozen
class ClaimSettings:
    """How hard to look; the defaults are the article's own sizes."""

    pi_terms: int = 10_000_000
    increments: int = 10_000
    workers: int = 2
    repeat: int = 3
    warmup: int = 1
    race_runs: int = 10
    manager_race_runs: int = 3
    start_method: str | None = None
    timeout: float | None = None

    def run_options(self, **changes: Any) -> RunOptions:
        """The options every run of the claims uses: these workers, start method and timeout."""
        options = RunOptions(workers=self.workers, start_method=self.start_method, timeout=self.timeout)
        return options.replace(**changes)


#: The futstrat-interpreters plugin's strategy: threads that each own a subinterpreter with its own GIL.
INTERPRETER_STRATEGY = "interpreter"

#: Other programs keeping this many CPUs busy leave no room for a parallel speed-up on a small machine.
BUSY_CPUS = 0.5
#: A pool whose start-up and shutdown take this share of its time is dominated by them.
LARGE_OVERHEAD = 0.2

#: Smaller sizes for a look in about ten seconds; the figures are rougher.
QUICK_SETTINGS = ClaimSettings(pi_terms=1_000_000, increments=2_000, race_runs=5, manager_race_runs=2)


@frozen
class ClaimResult:
    number: int
    claim: str
    measured: tuple[str, ...]
    verdict: Verdict
    explanation: str
    data: Mapping[str, Any]
    #: What makes the figures less trustworthy: noisy samples, other programs using the CPUs.
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "claim": self.claim,
            "measured": list(self.measured),
            "verdict": self.verdict.value,
            "explanation": self.explanation,
            "data": dict(self.data),
            "notes": list(self.notes),
        }


def _results_by_name(comparison: Comparison) -> dict[str, ContenderResult]:
    """Results by strategy or sharing name; raises if any combination failed or was refused."""
    if comparison.refused:
        refused = comparison.refused[0]
        raise FutstratError(f"{refused.label} was refused: {'; '.join(refused.reasons)}")
    failed = comparison.failed
    if failed:
        first = failed[0].failures[0].report
        raise FutstratError(f"{failed[0].label} failed: {first.status.value}: {first.error or ''}".rstrip(": "))
    if comparison.partial:
        raise KeyboardInterrupt
    return {key: r for r in comparison.results for key in (r.contender.strategy, r.contender.sharing or "")}


def _trust_notes(comparison: Comparison) -> tuple[str, ...]:
    """The comparison's warnings about noise and load (the few samples are the claims' own choice)."""
    return tuple(w for w in comparison.warnings if not w.startswith("only "))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _median(result: ContenderResult) -> float:
    return result.summaries["total"].median


def judge_gil(
    ratio: Ratio, thread_vs_serial: float, cpus: int, overhead: float, gil: bool, busy: float | None = None
) -> tuple[Verdict, str]:
    """Claim 1's verdict from thread time / process time, thread time / serial time and the usable CPUs.

    A process pool can at best divide the serial time by the CPUs, so thread/process is bounded by
    ``cpus x thread/serial``; when that bound is about 2 or less, "more than twice" cannot happen here.
    """
    low = ratio.low if ratio.low is not None else ratio.value
    bound = cpus * thread_vs_serial
    if ratio.significant and low > 2:
        return Verdict.HOLDS, (
            f"processes are {ratio.value:.2f}x as fast as threads: the GIL lets one thread run Python at a time,"
            f" so threads take about as long as serial ({thread_vs_serial:.2f}x), while {cpus} processes"
            " share the work"
        )
    if ratio.significant and ratio.value > 1:
        why = f"the direction holds (processes are {ratio.value:.2f}x as fast as threads), the size does not"
        if bound < 2 + 2 * MINIMUM_DIFFERENCE:
            why += (
                f": 'more than twice' is out of reach here. A process pool can at best divide the serial time"
                f" by the {cpus} usable CPUs, and threads under the GIL take {thread_vs_serial:.2f}x the serial"
                f" time, so thread/process is at most about {cpus} x {thread_vs_serial:.2f} = {bound:.2f};"
                f" measured {ratio.value:.2f}. What separates the two is the pool's own cost (start-up and"
                f" shutdown: {overhead:.0%} of its time here) and the CPUs not being free all the time"
            )
        else:
            why += (
                f", although up to {bound:.2f} would be possible with {cpus} CPUs ({cpus} x thread/serial);"
                f" the pool's start-up and shutdown take {overhead:.0%} of its time here"
            )
        return Verdict.PARTLY, why
    if not gil:
        return Verdict.DOES_NOT_HOLD, "this Python runs without the GIL, so threads compute in parallel as processes do"
    if cpus < 2:
        return Verdict.DOES_NOT_HOLD, "only one CPU is usable, so neither threads nor processes can compute in parallel"
    if busy is not None and busy >= BUSY_CPUS:
        return Verdict.INCONCLUSIVE, (
            f"processes were not significantly faster than threads, but other programs kept {busy:.2f} of the"
            f" {cpus} CPUs busy while this ran, leaving the pool's processes no room to run in parallel;"
            " rerun on a quiet machine"
        )
    if overhead >= LARGE_OVERHEAD:
        return Verdict.DOES_NOT_HOLD, (
            "processes are not significantly faster than threads here: with this small n the pool's start-up"
            f" and shutdown ({overhead:.0%} of its time) outweigh the parallel compute"
        )
    return Verdict.DOES_NOT_HOLD, "processes were not significantly faster than threads here"


def _runs_here(strategy: str, settings: ClaimSettings, host: PluginHost) -> bool:
    """Whether pi can run on ``strategy`` here: registered by a plugin, available and not refused."""
    try:
        plan_run("pi", strategy, params={"n": settings.pi_terms}, options=settings.run_options(), host=host)
    except FutstratError:
        return False
    return True


def describe_interpreters(thread_over_interpreter: Ratio | None) -> str:
    """What claim 1 adds about subinterpreters: measured when the strategy runs here, pointed to if not."""
    if thread_over_interpreter is None:
        return (
            " Threads do compute in parallel when each owns a subinterpreter with its own GIL: the"
            f" '{INTERPRETER_STRATEGY}' strategy of the futstrat-interpreters plugin does that on Python 3.13"
            " and newer"
        )
    if thread_over_interpreter.significant and thread_over_interpreter.value > 1:
        return (
            " Subinterpreters lift the GIL limit of the thread version: threads that each own an interpreter"
            f" with its own GIL ran pi {thread_over_interpreter.value:.2f}x as fast as plain threads"
        )
    return (
        " Threads that each own a subinterpreter with its own GIL were not significantly faster than plain"
        f" threads here ({thread_over_interpreter.value:.2f}x)"
    )


def check_gil_claim(settings: ClaimSettings, host: PluginHost, observer: TrialObserver | None) -> ClaimResult:
    interpreters = _runs_here(INTERPRETER_STRATEGY, settings, host)
    comparison = compare(
        "pi",
        ["serial", "thread", "process", *([INTERPRETER_STRATEGY] if interpreters else [])],
        params={"n": settings.pi_terms},
        options=settings.run_options(),
        repeat=settings.repeat,
        warmup=settings.warmup,
        host=host,
        observer=observer,
    )
    by = _results_by_name(comparison)
    serial, thread, process = by["serial"], by["thread"], by["process"]
    ratio = ratio_of_medians(thread.values("total"), process.values("total"))
    thread_vs_serial = _median(thread) / _median(serial)
    cpus = min(settings.workers, usable_cpus())
    bound = cpus * thread_vs_serial
    overhead = (process.summaries["startup"].median + process.summaries["shutdown"].median) / _median(process)
    measured: tuple[str, ...] = (
        f"pi with n={settings.pi_terms:,} on {settings.workers} workers ({cpus} usable CPUs),"
        f" {_plural(settings.repeat, 'sample')} each after {_plural(settings.warmup, 'warm-up')}, start-up included:",
        f"serial {fmt.duration(_median(serial))}, thread {fmt.duration(_median(thread))},"
        f" process {fmt.duration(_median(process))} (medians)",
        f"thread time / process time = {fmt.ratio(ratio)}; thread / serial = {thread_vs_serial:.2f}",
    )
    data: dict[str, Any] = {
        "thread_over_process": ratio.to_dict(),
        "thread_over_serial": thread_vs_serial,
        "usable_cpus": cpus,
        "bound": bound,
        "process_startup_shutdown_share": overhead,
        "gil_enabled": gil_enabled(),
    }
    thread_over_interpreter = None
    if interpreters:
        interpreter = by[INTERPRETER_STRATEGY]
        thread_over_interpreter = ratio_of_medians(thread.values("total"), interpreter.values("total"))
        measured += (
            f"interpreter (a subinterpreter per thread) {fmt.duration(_median(interpreter))};"
            f" thread time / interpreter time = {fmt.ratio(thread_over_interpreter)}",
        )
    data["thread_over_interpreter"] = None if thread_over_interpreter is None else thread_over_interpreter.to_dict()
    busy = outside_cpus([trial for result in comparison.results for trial in result.samples])
    data["outside_cpus"] = busy
    verdict, why = judge_gil(ratio, thread_vs_serial, cpus, overhead, gil_enabled(), busy)
    why += "." + describe_interpreters(thread_over_interpreter)
    return ClaimResult(1, CLAIMS[1], measured, verdict, why, data, _trust_notes(comparison))


def judge_manager(ratio: Ratio, compute_ratio: float) -> tuple[Verdict, str]:
    """Claim 2's verdict from Manager time / raw Value time (and the same for the compute phases alone)."""
    low = ratio.low if ratio.low is not None else ratio.value
    mechanism = (
        "every lock, read and write through a proxy is a round trip over a pipe to the Manager's server"
        " process, while a raw Value is a write to shared memory"
    )
    if ratio.value > 10 and low > 10:
        return Verdict.HOLDS, f"{ratio.value:.0f}x slower: {mechanism}"
    if ratio.value > 10:
        return Verdict.HOLDS, f"{ratio.value:.0f}x slower, though the interval reaches down to {low:.1f}x: {mechanism}"
    if ratio.significant and ratio.value > 1:
        return Verdict.PARTLY, (
            f"slower ({ratio.value:.1f}x), but not ten times: with few increments the pool's start-up weighs"
            f" more than the proxies' round trips (compute alone: {compute_ratio:.1f}x)"
        )
    return Verdict.DOES_NOT_HOLD, "no significant difference was measured"


def check_manager_claim(settings: ClaimSettings, host: PluginHost, observer: TrialObserver | None) -> ClaimResult:
    comparison = compare(
        "counter",
        ["process"],
        ["value", "manager"],
        params={"increments": settings.increments},
        options=settings.run_options(),
        repeat=settings.repeat,
        warmup=settings.warmup,
        host=host,
        observer=observer,
    )
    by = _results_by_name(comparison)
    raw, manager = by["value"], by["manager"]
    ratio = ratio_of_medians(manager.values("total"), raw.values("total"))
    compute_ratio = manager.summaries["compute"].median / raw.summaries["compute"].median
    updates = settings.increments * settings.workers
    per_update = manager.summaries["compute"].median / updates
    measured = (
        f"the counter on a process pool of {settings.workers}, {settings.increments:,} increments per task under"
        f" the lock, {_plural(settings.repeat, 'sample')} each after {_plural(settings.warmup, 'warm-up')}:",
        f"raw Value {fmt.duration(_median(raw))}, Manager proxies {fmt.duration(_median(manager))}"
        " (medians, start-up included)",
        f"Manager / raw = {fmt.ratio(ratio)}; compute phases alone {compute_ratio:.1f}x;"
        f" {fmt.duration(per_update)} per locked increment through the Manager",
    )
    data = {"manager_over_value": ratio.to_dict(), "compute_ratio": compute_ratio, "seconds_per_update": per_update}
    verdict, why = judge_manager(ratio, compute_ratio)
    return ClaimResult(2, CLAIMS[2], measured, verdict, why, data, _trust_notes(comparison))


@frozen
class RaceTally:
    strategy: str
    sharing: str
    runs: int
    lost: tuple[int, ...]  # updates lost in each run
    expected: int
    compute: float  # median seconds of the compute phase

    @property
    def lossy(self) -> int:
        return sum(1 for n in self.lost if n > 0)

    def describe(self) -> str:
        text = f"{self.strategy} x {self.sharing}: lost updates in {self.lossy} of {self.runs} runs"
        if self.lossy:
            lost = [n for n in self.lost if n > 0]
            amount = f"{min(lost):,}" if min(lost) == max(lost) else f"{min(lost):,} to {max(lost):,}"
            text += f" ({amount} of {self.expected:,} lost when it happened)"
        return text + f"; median compute {fmt.duration(self.compute)} per run"


def _race(
    sharing: str, strategies: list[str], runs: int, settings: ClaimSettings, host: PluginHost, observer: Any
) -> list[RaceTally]:
    contenders = plan_contenders(
        "counter-race",
        strategies,
        [sharing],
        params={"increments": settings.increments},
        options=settings.run_options(),
        host=host,
    )
    refused = [c for c in contenders if c.refused]
    if refused:
        raise FutstratError(f"{refused[0].label} was refused: {'; '.join(refused[0].reasons)}")
    measurement = measure(contenders, repeat=runs, warmup=0, host=host, observer=observer)
    if measurement.partial:
        raise KeyboardInterrupt
    tallies = []
    for contender in contenders:
        reports = [t.report for t in measurement.trials if t.contender is contender]
        bad = [r for r in reports if r.status is not RunStatus.PASSED or r.check is None]
        if bad:
            raise FutstratError(f"{contender.label} failed: {bad[0].status.value}: {bad[0].error or ''}")
        expected = int(reports[0].check.expected) if reports[0].check else 0
        tallies.append(
            RaceTally(
                contender.strategy,
                sharing,
                len(reports),
                tuple(expected - int(r.value) for r in reports),
                expected,
                statistics.median(r.timings.compute for r in reports),
            )
        )
    return tallies


def judge_race(lossy: int, runs: int) -> tuple[Verdict, str]:
    """Claim 3's verdict from the process runs that lost updates, out of all process runs."""
    if runs and lossy == runs:
        return Verdict.HOLDS, (
            f"lost updates in {lossy} of {runs} process runs: two processes read the same value and both write it + 1"
        )
    if lossy:
        return Verdict.PARTLY, (
            f"lost updates in {lossy} of {runs} process runs, not every time: the race depends on the number of"
            " increments and on how closely the tasks start"
        )
    return Verdict.DOES_NOT_HOLD, (
        f"lost updates in 0 of {runs} process runs here: the tasks did not overlap enough; more increments make"
        " the race likelier"
    )


def check_race_claim(settings: ClaimSettings, host: PluginHost, observer: TrialObserver | None) -> ClaimResult:
    tallies = _race("value", ["process", "thread"], settings.race_runs, settings, host, observer)
    tallies += _race("manager", ["process"], settings.manager_race_runs, settings, host, observer)
    processes = [t for t in tallies if t.strategy == "process"]
    lossy, runs = sum(t.lossy for t in processes), sum(t.runs for t in processes)
    measured = (
        f"the counter without its lock, {settings.workers} tasks of {settings.increments:,} increments"
        " starting together at a barrier:",
        *(t.describe() for t in tallies),
    )
    data = {"runs": [_tally_dict(t) for t in tallies]}
    switch_ms = sys.getswitchinterval() * 1000
    thread = next(t for t in tallies if t.strategy == "thread")
    if thread.lossy == 0:
        thread_note = (
            f" Threads lost none: under the GIL a thread is switched out only every {switch_ms:g} ms, and"
            f" {settings.increments:,} increments take about {fmt.duration(thread.compute)}, so each thread"
            " mostly finishes its read-then-write loop before the other runs; the race is there all the same."
        )
    else:
        thread_note = (
            f" Threads lost updates in {thread.lossy} of {thread.runs} runs too: the loop took about"
            f" {fmt.duration(thread.compute)}, longer than the GIL's {switch_ms:g} ms switch interval, so a"
            " thread could be switched out between its read and its write."
        )
    verdict, why = judge_race(lossy, runs)
    return ClaimResult(3, CLAIMS[3], measured, verdict, why + "." + thread_note, data)


def _tally_dict(tally: RaceTally) -> dict[str, Any]:
    return {
        "strategy": tally.strategy,
        "sharing": tally.sharing,
        "runs": tally.runs,
        "runs_with_lost_updates": tally.lossy,
        "lost": list(tally.lost),
        "expected": tally.expected,
        "median_compute": tally.compute,
    }


def judge_deadlock(thread_status: RunStatus, refusal: str | None) -> tuple[Verdict, str]:
    """Claim 4's verdict from how the thread run ended and whether the process run was refused."""
    deadlocked = thread_status is RunStatus.DEADLOCK
    if deadlocked and refusal:
        return Verdict.HOLDS, (
            "a thread pool's futures live in one process, so two tasks can each wait on the other's future and"
            " neither ever finishes; tasks in a process pool get pickled copies and cannot reach each other's"
            " futures, so that cycle cannot even be written (processes can still deadlock on locks or pipes)"
        )
    if deadlocked:
        return Verdict.PARTLY, "the threads deadlocked, but the process combination was not refused"
    return Verdict.DOES_NOT_HOLD, f"the threads did not deadlock here ({thread_status.value})"


def check_deadlock_claim(settings: ClaimSettings, host: PluginHost, observer: TrialObserver | None) -> ClaimResult:
    workers = max(2, settings.workers)
    options = settings.run_options(workers=workers)
    contenders = plan_contenders("deadlock", ["thread"], options=options, host=host)
    measurement = measure(contenders, repeat=1, warmup=0, host=host, observer=observer)
    if measurement.partial or not measurement.trials:
        raise KeyboardInterrupt
    report = measurement.trials[0].report
    try:
        plan_run("deadlock", "process", options=options, host=host)
        refusal = None
    except RefusedError as exc:
        refusal = "; ".join(exc.reasons)
    measured = (
        f"thread: {report.status.value}: {report.error or 'the tasks finished'}"
        f" (noticed and ended after {fmt.duration(report.timings.compute)})",
        f"process: {'refused before starting: ' + refusal if refusal else 'ran: it was not refused'}",
    )
    data = {"thread_status": report.status.value, "process_refused": refusal is not None, "refusal": refusal}
    verdict, why = judge_deadlock(report.status, refusal)
    return ClaimResult(4, CLAIMS[4], measured, verdict, why, data)


CHECKS: dict[int, Callable[[ClaimSettings, PluginHost, TrialObserver | None], ClaimResult]] = {
    1: check_gil_claim,
    2: check_manager_claim,
    3: check_race_claim,
    4: check_deadlock_claim,
}


def check_claims(
    settings: ClaimSettings | None = None,
    only: list[int] | None = None,
    *,
    host: PluginHost | None = None,
    observer: TrialObserver | None = None,
) -> list[ClaimResult]:
    """Check each claim (or those in ``only``); one that cannot be measured says why, the others go on."""
    settings = settings or ClaimSettings()
    host = host or get_host()
    results = []
    for number in only or sorted(CHECKS):
        try:
            results.append(CHECKS[number](settings, host, observer))
        except FutstratError as exc:
            results.append(ClaimResult(number, CLAIMS[number], (), Verdict.NOT_MEASURED, str(exc), {}))
    return results


__all__ = ["CLAIMS", "QUICK_SETTINGS", "ClaimResult", "ClaimSettings", "Verdict", "check_claims"]
