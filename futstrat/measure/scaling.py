"""How a strategy scales with its workers: Amdahl's or Gustafson's law fitted to a worker sweep.

Amdahl's law says what more workers do for a job of fixed size: with a serial fraction ``f`` (the share
of the serial run no worker can split), ``n`` workers reach a speed-up of ``1 / (f + (1 - f) / n)``.
Gustafson's law says what they do when the job grows with them (``--scale-size``): the scaled speed-up
is ``n - f (n - 1)``. Either fraction is fitted by least squares to the medians, and its interval comes
from the one bootstrap of ``measure.stats``, resampling every combination's samples, so that the
interval says how far the fraction moves when the runs are drawn again.

Only the worker counts the machine can run at once are fitted: past the usable CPUs the workers take
turns on the same cores, which neither law describes. A fit whose curve misses a measured speed-up by
more than twice that speed-up's interval (or 5% of it, when the interval is narrower) is called poor, and
then nothing is predicted: a law that does not explain the counts measured says nothing about others.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

from futstrat.measure.stats import MINIMUM_DIFFERENCE, Ratio, bootstrap_interval

AMDAHL = "amdahl"
GUSTAFSON = "gustafson"
LAWS = (AMDAHL, GUSTAFSON)
#: Predictions are made at these multiples of the largest measured worker count.
PREDICTION_MULTIPLES = (2, 4)
#: A measured speed-up further from the fitted curve than this many of its tolerances makes the fit poor.
POOR_FIT_TOLERANCES = 2.0
#: A fitted fraction this far outside 0..1 is no serial fraction at all (super-linear, or slower with workers).
FRACTION_SLACK = 0.05


def amdahl_speedup(fraction: float, workers: float) -> float:
    """The speed-up of ``workers`` on a job of fixed size whose serial fraction is ``fraction``."""
    share = fraction + (1.0 - fraction) / workers
    return 1.0 / share if share > 0 else float("inf")


def gustafson_speedup(fraction: float, workers: float) -> float:
    """The scaled speed-up of ``workers`` on a job that grows with them."""
    return workers - fraction * (workers - 1.0)


def law_speedup(law: str, fraction: float, workers: float) -> float:
    return amdahl_speedup(fraction, workers) if law == AMDAHL else gustafson_speedup(fraction, workers)


def fit_fraction(law: str, counts: Sequence[int], speedups: Sequence[float]) -> float | None:
    """The least-squares serial fraction of ``law`` for these speed-ups; None when no count is above 1.

    Amdahl is fitted on the time share ``1/S = f + (1 - f)/n``, which is linear in ``f``; Gustafson on
    ``n - S = f (n - 1)``. A count of 1 says nothing about ``f`` under either law and has no weight.
    """
    if law not in LAWS:
        raise ValueError(f"law must be one of {', '.join(LAWS)}, not {law!r}")
    top = bottom = 0.0
    for n, s in zip(counts, speedups):
        if law == AMDAHL:
            x = 1.0 / n
            weight = 1.0 - x
            top += (1.0 / s - x) * weight if s > 0 else weight
        else:
            weight = n - 1.0
            top += (n - s) * weight
        bottom += weight * weight
    return top / bottom if bottom > 0 else None


@frozen
class ScalingFit:
    """One strategy's fitted law, or why it has none, and what it predicts when the fit is good."""

    strategy: str
    sharing: str | None
    law: str
    #: The worker counts the fit used (those within the usable CPUs).
    fitted_counts: tuple[int, ...]
    fraction: float | None
    low: float | None
    high: float | None
    #: Why no fraction, or no prediction, is given; None for a good fit.
    problem: str | None
    #: ``(workers, predicted speed-up, low, high)``: a prediction, never a measurement.
    predictions: tuple[tuple[int, float, float | None, float | None], ...] = ()

    @property
    def poor(self) -> bool:
        return self.fraction is not None and self.problem is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "sharing": self.sharing,
            "law": self.law,
            "fitted_workers": list(self.fitted_counts),
            "serial_fraction": {"value": self.fraction, "low": self.low, "high": self.high},
            "poor_fit": self.poor,
            "problem": self.problem,
            "predictions": [
                {"workers": n, "speedup": s, "low": lo, "high": hi, "predicted": True}
                for n, s, lo, hi in self.predictions
            ],
        }


def _speedups(
    law: str, counts: Sequence[int], serial: Sequence[float], groups: Sequence[Sequence[float]]
) -> list[float]:
    base = statistics.median(serial)
    out = []
    for n, group in zip(counts, groups):
        median = statistics.median(group)
        ratio = base / median if median > 0 else float("inf")
        out.append(ratio * n if law == GUSTAFSON else ratio)
    return out


def fit_scaling(
    strategy: str,
    sharing: str | None,
    law: str,
    serial: Sequence[float],
    samples: Mapping[int, Sequence[float]],
    observed: Mapping[int, Ratio],
    *,
    usable_cpus: int,
    largest: int | None = None,
) -> ScalingFit:
    """Fit ``law`` to one strategy's samples per worker count against serial's samples.

    ``observed`` holds each count's measured speed-up with its interval (scaled already for Gustafson),
    against which the fitted curve is judged; ``largest`` is the largest count of the whole sweep, from
    which the predictions are made (the largest count of ``samples`` when not given).
    """
    counts = sorted(n for n in samples if n <= usable_cpus and samples[n])
    if not serial or not any(n > 1 for n in counts):
        return ScalingFit(
            strategy,
            sharing,
            law,
            tuple(counts),
            None,
            None,
            None,
            f"no worker count above 1 within the {usable_cpus} usable CPUs was measured, so there is nothing to fit",
        )
    groups = [samples[n] for n in counts]
    fraction = fit_fraction(law, counts, _speedups(law, counts, serial, groups))
    assert fraction is not None

    def refit(serial_draw: Sequence[float], *draws: Sequence[float]) -> float:
        value = fit_fraction(law, counts, _speedups(law, counts, serial_draw, draws))
        return value if value is not None else fraction

    interval = bootstrap_interval([serial, *groups], refit)
    low, high = interval if interval is not None else (None, None)
    problem = _poor_fit(law, fraction, (low, high), counts, observed)
    predictions: tuple[tuple[int, float, float | None, float | None], ...] = ()
    if problem is None:
        top = largest or max(samples)
        # A larger fraction means a smaller speed-up; a fraction outside 0..1 is no fraction at all.
        fewest = min(max(high, 0.0), 1.0) if high is not None else None
        most = min(max(low, 0.0), 1.0) if low is not None else None
        predictions = tuple(
            (
                top * multiple,
                law_speedup(law, min(max(fraction, 0.0), 1.0), top * multiple),
                law_speedup(law, fewest, top * multiple) if fewest is not None else None,
                law_speedup(law, most, top * multiple) if most is not None else None,
            )
            for multiple in PREDICTION_MULTIPLES
        )
    return ScalingFit(strategy, sharing, law, tuple(counts), fraction, low, high, problem, predictions)


def _poor_fit(
    law: str,
    fraction: float,
    interval: tuple[float | None, float | None],
    counts: Sequence[int],
    observed: Mapping[int, Ratio],
) -> str | None:
    """Why the fitted curve does not explain the measured speed-ups, in words; None when it does.

    A fraction outside 0..1 whose interval still reaches into it is noise, not a failed law: the curve,
    drawn with the fraction clamped to 0..1, is then judged as always against each count's interval.
    """
    low, high = interval
    reaches_in = low is not None and high is not None and low <= 1.0 + FRACTION_SLACK and high >= -FRACTION_SLACK
    if not -FRACTION_SLACK <= fraction <= 1.0 + FRACTION_SLACK and not reaches_in:
        kind = "faster than the workers explain" if fraction < 0 else "slower with more workers"
        return f"poor fit: the fitted serial fraction {fraction:.2f} is outside 0..1 (the runs got {kind})"
    for n in counts:
        ratio = observed.get(n)
        if ratio is None:
            continue
        predicted = law_speedup(law, min(max(fraction, 0.0), 1.0), n)
        tolerance = MINIMUM_DIFFERENCE * ratio.value
        if ratio.low is not None and ratio.high is not None:
            tolerance = max(tolerance, (ratio.high - ratio.low) / 2)
        if abs(predicted - ratio.value) > POOR_FIT_TOLERANCES * tolerance:
            return (
                f"poor fit: at {n} workers the law gives {predicted:.2f}x but the runs measured {ratio.value:.2f}x,"
                " further than their interval allows"
            )
    return None
