"""A worker sweep: every strategy x sharing x worker count, measured in one interleaved session.

The worker count is one more dimension of the contender list: each contender of a sweep carries its
count (``Contender.sweep_workers``), so the rounds of ``measure`` interleave every count as they
interleave the strategies. Serial runs one task at a time whatever the count, so it is measured once,
with one worker, and every speed-up of the sweep is taken against that one baseline.

With ``scale_size`` the workload's size grows with the workers (Gustafson's question, "how much more
work in the same time?"): a workload's size parameter is its first whole-number parameter (``n`` for
``pi``, ``tasks`` for ``sleep``), multiplied by the worker count; serial runs the size as given, and a
speed-up is then ``workers x serial's time / the time of the grown job``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from attrs import frozen

from futstrat.errors import UsageError
from futstrat.measure.analysis import BASELINE_STRATEGY, Comparison, ContenderResult
from futstrat.measure.contenders import Contender, plan_contenders
from futstrat.measure.scaling import AMDAHL, GUSTAFSON, ScalingFit, fit_scaling
from futstrat.measure.stats import Ratio, ratio_of_medians
from futstrat.model import Workload
from futstrat.numbers import parse_whole
from futstrat.options import MAX_WORKERS, RunOptions
from futstrat.plugins import PluginHost, get_host
from futstrat.runner import usable_cpus


def parse_worker_counts(text: str) -> tuple[int, ...]:
    """``"4"``, ``"1,2,4"``, ``"1..8"`` or a mix (``"1..4,8"``) to the counts, ascending, without repeats."""
    counts: set[int] = set()
    for given in text.split(","):
        part = given.strip()
        if not part:
            raise ValueError(f"expected worker counts like 4, 1,2,4 or 1..8, got {text!r}")
        low_text, dots, high_text = part.partition("..")
        try:
            low = parse_whole(low_text.strip())
            high = parse_whole(high_text.strip()) if dots else low
        except ValueError:
            raise ValueError(f"expected worker counts like 4, 1,2,4 or 1..8, got {text!r}") from None
        if high < low:
            raise ValueError(f"the range {part} runs backwards: write it as {high}..{low}")
        problem = _count_problem(low) or _count_problem(high)
        if problem:
            raise ValueError(problem)
        counts.update(range(low, high + 1))
    return tuple(sorted(counts))


def sweep_counts(workers: int | Iterable[int] | None, scale_size: bool = False) -> tuple[int, ...] | None:
    """The worker counts to sweep, ascending and without repeats, or None for a plain comparison.

    Several counts (any sequence of them, even of one) make a sweep; a single count, or none, makes one
    only with ``scale_size``, which needs a count to grow the size by: the one given, else the usable
    CPUs. Counts given from Python are checked here as ``--workers`` checks its text.
    """
    if workers is None or (isinstance(workers, int) and not isinstance(workers, bool)):
        if not scale_size:
            return None
        workers = (usable_cpus(),) if workers is None else (workers,)
    if isinstance(workers, (str, bytes)) or not isinstance(workers, Iterable):
        raise UsageError(f"workers must be a whole number or a sequence of them, like [1, 2, 4], got {workers!r}")
    counts = tuple(workers)
    if not counts:
        raise UsageError("a sweep needs at least one worker count, like workers=[1, 2, 4]; got none")
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int):
            raise UsageError(f"worker counts must be whole numbers, got {count!r}")
        problem = _count_problem(count)
        if problem:
            raise UsageError(problem)
    return tuple(sorted(set(counts)))


def _count_problem(count: int) -> str | None:
    """What is wrong with a worker count, whether typed (``--workers``) or given from Python."""
    if count < 1:
        return f"worker counts must be at least 1, got {count}"
    if count > MAX_WORKERS:
        return f"worker counts must be at most {MAX_WORKERS}, got {count}"
    return None


def size_param(workload: Workload) -> str | None:
    """The parameter that sets a workload's size: its first whole-number parameter, or None."""
    for param in workload.params:
        if param.kind is int and param.default is not None:
            return param.name
    return None


def scaled_params(workload: Workload, params: Mapping[str, Any] | None, workers: int) -> dict[str, Any]:
    """``params`` with the size parameter multiplied by ``workers``; UsageError when there is none."""
    name = size_param(workload)
    if name is None:
        raise UsageError(
            f"--scale-size needs a workload with a whole-number size parameter, and {workload.name} has none"
        )
    given = dict(params or {})
    base = next(p.default for p in workload.params if p.name == name)
    given[name] = int(given.get(name, base)) * workers
    return given


def plan_sweep(
    workload: str,
    strategies: Sequence[str] | None,
    sharing: Sequence[str] | None,
    counts: Sequence[int],
    *,
    params: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
    scale_size: bool = False,
    host: PluginHost | None = None,
) -> list[Contender]:
    """Plan every strategy x sharing x worker count; serial once, with one worker and the size as given."""
    options = options or RunOptions()
    host = host or get_host()
    first = plan_contenders(workload, strategies, sharing, params=params, options=options.replace(workers=1), host=host)
    contenders = [attrs.evolve(c, sweep_workers=1) for c in first if c.strategy == BASELINE_STRATEGY]
    spec = _workload_named(workload, host) if scale_size else None
    for n in counts:
        grown = scaled_params(spec, params, n) if spec is not None else params
        planned = plan_contenders(
            workload, strategies, sharing, params=grown, options=options.replace(workers=n), host=host
        )
        contenders += [attrs.evolve(c, sweep_workers=n) for c in planned if c.strategy != BASELINE_STRATEGY]
    return contenders


def _workload_named(name: str, host: PluginHost) -> Workload:
    """The workload a sweep grows, found as planning finds it: registered, or ``package.module:name``."""
    if ":" in name:
        from futstrat.dotted import load_workload

        return load_workload(name)
    return host.registry.workloads.get(name)


@frozen
class SweepPoint:
    """One strategy at one worker count: its median, speed-up over serial and parallel efficiency."""

    strategy: str
    sharing: str | None
    workers: int
    median: float
    speedup: Ratio | None
    efficiency: Ratio | None
    oversubscribed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "sharing": self.sharing,
            "workers": self.workers,
            "median": self.median,
            "speedup": self.speedup.to_dict() if self.speedup else None,
            "efficiency": self.efficiency.to_dict() if self.efficiency else None,
            "oversubscribed": self.oversubscribed,
        }


@frozen
class Sweep:
    """The sweep's points, one fitted law per strategy, and why efficiency fell past the usable CPUs."""

    counts: tuple[int, ...]
    usable_cpus: int
    scale_size: bool
    size_param: str | None
    points: tuple[SweepPoint, ...]
    fits: tuple[ScalingFit, ...]

    @property
    def law(self) -> str:
        return GUSTAFSON if self.scale_size else AMDAHL

    def oversubscription_notes(self) -> list[str]:
        """One sentence per strategy whose efficiency fell once its workers outnumbered the usable CPUs."""
        notes = []
        for (strategy, sharing), points in _by_strategy(self.points).items():
            within = [p for p in points if not p.oversubscribed and p.efficiency is not None]
            beyond = [p for p in points if p.oversubscribed and p.efficiency is not None]
            if not within or not beyond:
                continue
            best, worst = within[-1], beyond[-1]
            assert best.efficiency is not None
            assert worst.efficiency is not None
            if worst.efficiency.value < best.efficiency.value:
                notes.append(
                    f"{strategy} (sharing {sharing}): efficiency fell from {best.efficiency.value:.0%} at"
                    f" {best.workers} workers to {worst.efficiency.value:.0%} at {worst.workers}, more workers"
                    f" than the {self.usable_cpus} usable CPUs: the extra workers take turns on the same cores,"
                    " adding switching but no computing"
                )
        return notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "workers": list(self.counts),
            "usable_cpus": self.usable_cpus,
            "scale_size": self.scale_size,
            "size_param": self.size_param,
            "law": self.law,
            "points": [p.to_dict() for p in self.points],
            "fits": [f.to_dict() for f in self.fits],
            "oversubscription": self.oversubscription_notes(),
        }


def _by_strategy(points: Sequence[SweepPoint]) -> dict[tuple[str, str | None], list[SweepPoint]]:
    grouped: dict[tuple[str, str | None], list[SweepPoint]] = {}
    for point in points:
        grouped.setdefault((point.strategy, point.sharing), []).append(point)
    for group in grouped.values():
        group.sort(key=lambda p: p.workers)
    return grouped


def _scaled(ratio: Ratio, factor: float) -> Ratio:
    return Ratio(
        ratio.value * factor,
        ratio.low * factor if ratio.low is not None else None,
        ratio.high * factor if ratio.high is not None else None,
    )


def measured_sweep(comparison: Comparison, counts: Sequence[int], *, scale_size: bool = False) -> Sweep:
    """The sweep of a comparison measured on this machine: fitted within its usable CPUs, and named by
    the size parameter the workload grew by when ``scale_size``."""
    plan = next((c.plan for c in comparison.measurement.contenders if c.plan is not None), None)
    size = size_param(plan.workload) if plan is not None and scale_size else None
    return analyse_sweep(comparison, counts, usable_cpus=usable_cpus(), scale_size=scale_size, size=size)


def analyse_sweep(
    comparison: Comparison,
    counts: Sequence[int],
    *,
    usable_cpus: int,
    scale_size: bool = False,
    size: str | None = None,
) -> Sweep:
    """Speed-ups, efficiencies and one fitted law per strategy, from a compared sweep.

    Only combinations whose runs all checked out count (a fast wrong answer is no speed-up); serial is
    the baseline with the same sharing backend when measured, else any serial one.
    """
    figure = comparison.figure
    good = [r for r in comparison.ranked if r.contender.sweep_workers is not None]
    serials = [r for r in good if r.contender.strategy == BASELINE_STRATEGY]
    points: list[SweepPoint] = []
    samples: dict[tuple[str, str | None], dict[int, list[float]]] = {}
    baselines: dict[tuple[str, str | None], ContenderResult] = {}
    for result in good:
        c = result.contender
        n = c.sweep_workers or 1
        serial = next((s for s in serials if s.contender.sharing == c.sharing), serials[0] if serials else None)
        values = result.values(figure)
        speedup = efficiency = None
        if serial is not None:
            raw = ratio_of_medians(serial.values(figure), values)
            speedup = _scaled(raw, n) if scale_size and c.strategy != BASELINE_STRATEGY else raw
            efficiency = _scaled(speedup, 1.0 / n)
            if c.strategy != BASELINE_STRATEGY:
                samples.setdefault((c.strategy, c.sharing), {})[n] = values
                baselines[(c.strategy, c.sharing)] = serial
        points.append(
            SweepPoint(c.strategy, c.sharing, n, statistics.median(values), speedup, efficiency, n > usable_cpus)
        )
    points.sort(key=lambda p: (p.strategy != BASELINE_STRATEGY, p.strategy, p.sharing or "", p.workers))
    law = GUSTAFSON if scale_size else AMDAHL
    fits = []
    for key, by_count in samples.items():
        observed = {p.workers: p.speedup for p in points if (p.strategy, p.sharing) == key and p.speedup is not None}
        fits.append(
            fit_scaling(
                key[0],
                key[1],
                law,
                baselines[key].values(figure),
                by_count,
                observed,
                usable_cpus=usable_cpus,
                largest=max(counts),
            )
        )
    return Sweep(tuple(counts), usable_cpus, scale_size, size, tuple(points), tuple(fits))
