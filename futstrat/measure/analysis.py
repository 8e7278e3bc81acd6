"""From a session's trials to the answer: summaries, a ranking, ratios with intervals, and warnings.

Only samples whose answer checked out are timed; a combination with any failed run is listed with its
failures but not ranked, because a fast wrong answer must never look like a win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from futstrat.machine.steadiness import CoreSteadiness
from futstrat.measure.contenders import Contender
from futstrat.measure.diagnosis import Finding, StrategyFigures, diagnose, figures_of
from futstrat.measure.stats import NOISE_THRESHOLD, Ratio, Summary, noise_reasons, ratio_of_medians, summarize
from futstrat.measure.trials import Measurement, Trial
from futstrat.runner import usable_cpus

if TYPE_CHECKING:
    from futstrat.measure.sweep import Sweep

#: The phases of one run, then their sum.
FIGURES = ("startup", "compute", "shutdown", "total")
FIGURE_NAMES = {"startup": "start-up", "compute": "compute", "shutdown": "shutdown", "total": "total"}
#: Other programs using this share of the machine's CPUs while samples ran make the timings suspect.
OUTSIDE_LOAD_THRESHOLD = 0.10
#: Fewer samples than this give intervals too wide to say much.
RECOMMENDED_REPEAT = 5
BASELINE_STRATEGY = "serial"
#: More noisy combinations than this are named in one warning instead of one each.
MAX_NOISE_LINES = 3


def figure_of(trial: Trial, figure: str) -> float:
    timings = trial.report.timings
    return timings.total if figure == "total" else float(getattr(timings, figure))


@frozen
class ContenderResult:
    """What was measured for one combination."""

    contender: Contender
    samples: tuple[Trial, ...]  # the measured trials, passed or not
    warmups: tuple[Trial, ...]
    summaries: Mapping[str, Summary]  # per figure, over the samples that passed; empty if none did
    rank: int | None = None  # 1 is the fastest; None when not ranked
    ratio_to_fastest: Ratio | None = None  # this combination's time / the fastest's
    speedup_over_serial: Ratio | None = None  # serial's time / this combination's
    noise: tuple[str, ...] = ()
    stopped: str | None = None
    #: What its passed runs measured beyond the phase times, and the findings they support.
    figures: StrategyFigures | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def label(self) -> str:
        return self.contender.label

    @property
    def passed(self) -> list[Trial]:
        return [t for t in self.samples if t.ok]

    @property
    def failures(self) -> list[Trial]:
        """Failed runs, warm-ups included: any of them keeps the combination out of the ranking."""
        return [t for t in (*self.warmups, *self.samples) if not t.ok]

    @property
    def runs(self) -> int:
        return len(self.samples) + len(self.warmups)

    def values(self, figure: str) -> list[float]:
        return [figure_of(t, figure) for t in self.passed]

    @property
    def outside_cpus(self) -> float | None:
        """CPUs other programs kept busy on average during this combination's samples."""
        return outside_cpus(self.samples)


def outside_cpus(trials: Sequence[Trial]) -> float | None:
    known = [t.cpu for t in trials if t.cpu.outside is not None]
    wall = sum(c.wall for c in known)
    if not known or wall <= 0:
        return None
    return sum(c.outside or 0.0 for c in known) / wall


@frozen
class Comparison:
    """The result of ``futstrat compare``: ranked results, refusals, warnings and the raw trials."""

    workload: str
    params: Mapping[str, Any]
    workers: int | None
    figure: str
    measurement: Measurement
    results: tuple[ContenderResult, ...]  # ranked fastest first, then the unranked ones
    refused: tuple[Contender, ...]
    warnings: tuple[str, ...]
    #: Why the ranked combinations came out as they did, fastest first: each finding names its figure.
    diagnosis: tuple[Finding, ...] = ()
    #: A sweep of worker counts: speed-ups, efficiencies and fitted laws; None for a plain comparison.
    sweep: Sweep | None = None

    @property
    def fastest(self) -> ContenderResult | None:
        return next((r for r in self.results if r.rank == 1), None)

    @property
    def ranked(self) -> list[ContenderResult]:
        return [r for r in self.results if r.rank is not None]

    @property
    def partial(self) -> bool:
        return self.measurement.partial

    @property
    def failed(self) -> list[ContenderResult]:
        return [r for r in self.results if r.failures]

    @property
    def core_steadiness(self) -> CoreSteadiness | None:
        """How steady the cores' speed stayed between the rounds; None when they were not probed."""
        timings = self.measurement.core_timings
        return CoreSteadiness(tuple(timings)) if timings else None

    def judged_differences(self) -> list[float]:
        """The significant differences the verdict rests on, as shares (1.12x is 0.12): each ranked
        combination's time against the fastest's, and the fastest's speed-up over serial."""
        fastest = self.fastest
        ratios = [r.ratio_to_fastest for r in self.ranked[1:]]
        ratios.append(fastest.speedup_over_serial if fastest is not None else None)
        return [r.value - 1 for r in ratios if r is not None and r.significant]

    def tied_with_fastest(self) -> list[ContenderResult]:
        """The ranked combinations whose difference from the fastest is not significant."""
        return [r for r in self.ranked[1:] if r.ratio_to_fastest is not None and not r.ratio_to_fastest.significant]


def analyse(measurement: Measurement, figure: str = "total") -> Comparison:
    """Summarize each combination, rank those without failures, and relate them to the fastest and serial."""
    if figure not in FIGURES:
        raise ValueError(f"figure must be one of {', '.join(FIGURES)}, not {figure!r}")
    plain = [_summarize(c, measurement) for c in measurement.contenders if not c.refused]
    eligible = sorted((r for r in plain if r.summaries and not r.failures), key=lambda r: r.summaries[figure].median)
    fastest = eligible[0] if eligible else None
    results: list[ContenderResult] = []
    for rank, result in enumerate(eligible, start=1):
        serial = _serial_for(result, eligible)
        results.append(
            attrs.evolve(
                result,
                rank=rank,
                ratio_to_fastest=(
                    ratio_of_medians(result.values(figure), fastest.values(figure))
                    if fastest is not None and result is not fastest
                    else None
                ),
                speedup_over_serial=(
                    ratio_of_medians(serial.values(figure), result.values(figure))
                    if serial is not None and serial is not result
                    else None
                ),
                noise=tuple(noise_reasons(result.summaries[figure])),
            )
        )
        figures = _figures(result)
        if figures is not None:
            results[-1] = attrs.evolve(results[-1], figures=figures, findings=tuple(diagnose(figures)))
    ranked_ids = {id(r) for r in eligible}
    results += sorted((r for r in plain if id(r) not in ranked_ids), key=lambda r: r.label)
    plan = next((c.plan for c in measurement.contenders if c.plan is not None), None)
    comparison = Comparison(
        workload=measurement.contenders[0].workload if measurement.contenders else "",
        params=dict(plan.params) if plan else {},
        workers=plan.workers if plan else None,
        figure=figure,
        measurement=measurement,
        results=tuple(results),
        refused=tuple(c for c in measurement.contenders if c.refused),
        warnings=(),
        diagnosis=tuple(finding for result in results for finding in result.findings),
    )
    return attrs.evolve(comparison, warnings=tuple(collect_warnings(comparison)))


def _summarize(contender: Contender, measurement: Measurement) -> ContenderResult:
    trials = [t for t in measurement.trials if t.contender is contender]
    samples = tuple(t for t in trials if not t.warmup)
    passed = [t for t in samples if t.ok]
    summaries = {f: summarize([figure_of(t, f) for t in passed]) for f in FIGURES} if passed else {}
    return ContenderResult(
        contender,
        samples,
        tuple(t for t in trials if t.warmup),
        summaries,
        stopped=measurement.stopped.get(contender.label),
    )


def _figures(result: ContenderResult) -> StrategyFigures | None:
    plan = result.contender.plan
    if plan is None or not result.summaries:
        return None
    return figures_of(
        result.samples,
        strategy=result.contender.strategy,
        sharing=result.contender.sharing,
        workers=plan.workers,
        cpus=usable_cpus(),
        concurrent=plan.strategy.concurrent,
        crosses_processes=plan.strategy.pickles_tasks,  # tasks run apart from this interpreter and its GIL
        startup=result.summaries["startup"].median,
        shutdown=result.summaries["shutdown"].median,
        total=result.summaries["total"].median,
        outside_cpus=result.outside_cpus,
    )


def _serial_for(result: ContenderResult, eligible: Sequence[ContenderResult]) -> ContenderResult | None:
    """The serial baseline with the same sharing backend if it was measured, else any serial one."""
    serials = [r for r in eligible if r.contender.strategy == BASELINE_STRATEGY]
    same = [r for r in serials if r.contender.sharing == result.contender.sharing]
    candidates = same or serials
    return candidates[0] if candidates else None


def collect_warnings(comparison: Comparison) -> list[str]:
    """Everything that should make a reader trust these numbers less, in plain sentences."""
    measurement = comparison.measurement
    warnings = []
    if measurement.partial:
        warnings.append(
            f"interrupted: {len(measurement.trials)} of {measurement.planned} runs finished;"
            " the figures use the samples gathered so far"
        )
    if measurement.repeat < RECOMMENDED_REPEAT:
        warnings.append(
            f"only {measurement.repeat} sample(s) per combination: the intervals are wide"
            f" (use --repeat {RECOMMENDED_REPEAT} or more)"
        )
    noisy = [r for r in comparison.ranked if r.noise]
    if len(noisy) > MAX_NOISE_LINES:
        names = ", ".join(r.contender.short_name for r in noisy)
        warnings.append(
            f"noisy: {len(noisy)} of {len(comparison.ranked)} combinations have a spread of"
            f" {NOISE_THRESHOLD:.0%} or more (IQR or standard deviation): {names}"
        )
    else:
        warnings += [f"noisy: {r.label}: {'; '.join(r.noise)}" for r in noisy]
    samples = [t for r in comparison.results for t in r.samples]
    busy = outside_cpus(samples)
    cpus = os.cpu_count() or 1
    if busy is not None and busy >= OUTSIDE_LOAD_THRESHOLD * cpus:
        worst = max(
            (r for r in comparison.results if r.outside_cpus is not None),
            key=lambda r: r.outside_cpus or 0.0,
        )
        warnings.append(
            f"other programs kept {busy:.2f} of {cpus} CPUs busy on average while the samples ran"
            f" (most during {worst.label}: {worst.outside_cpus or 0.0:.2f}): the timings may be inflated"
        )
    elif busy is None and measurement.load_before is not None and measurement.load_before[0] >= 0.5:
        warnings.append(
            f"the load average was {measurement.load_before[0]:.2f} when the samples started:"
            " other programs may have been using the CPUs"
        )
    return warnings
