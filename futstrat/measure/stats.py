"""Summaries of timing samples, and ratios of medians with bootstrap confidence intervals.

Timings on a shared machine have a long right tail (a sample the scheduler interrupted), so summaries
lead with the median and the interquartile range, as pyperf and hyperfine do; the minimum is kept as
the figure least touched by noise. A ratio is only called a difference when its confidence interval
excludes 1 and it is at least 5% away from 1: smaller differences are within what a rerun changes.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from attrs import frozen

#: A ratio closer to 1 than this is not called a difference, whatever its interval says.
MINIMUM_DIFFERENCE = 0.05
#: Relative IQR or relative standard deviation from which a set of samples is called noisy.
NOISE_THRESHOLD = 0.10
BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
#: The bootstrap is seeded so that the same samples always give the same interval.
BOOTSTRAP_SEED = 20230828


@frozen
class Summary:
    """Median, quartiles, extremes, mean and standard deviation of one figure's samples."""

    n: int
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float
    mean: float
    stdev: float | None  # None for a single sample

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def relative_iqr(self) -> float:
        return self.iqr / self.median if self.median > 0 else 0.0

    @property
    def relative_stdev(self) -> float | None:
        if self.stdev is None:
            return None
        return self.stdev / self.mean if self.mean > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "median": self.median,
            "q1": self.q1,
            "q3": self.q3,
            "iqr": self.iqr,
            "min": self.minimum,
            "max": self.maximum,
            "mean": self.mean,
            "stdev": self.stdev,
        }


def summarize(values: Sequence[float]) -> Summary:
    """Summarize at least one value; quartiles interpolate between samples (the "inclusive" method)."""
    if not values:
        raise ValueError("cannot summarize no samples")
    data = sorted(float(v) for v in values)
    if len(data) == 1:
        q1 = q3 = data[0]
    else:
        q1, _, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return Summary(
        n=len(data),
        median=statistics.median(data),
        q1=q1,
        q3=q3,
        minimum=data[0],
        maximum=data[-1],
        mean=statistics.fmean(data),
        stdev=statistics.stdev(data) if len(data) > 1 else None,
    )


def noise_reasons(summary: Summary) -> list[str]:
    """Why these samples are too spread out to trust closely; empty when they are not."""
    reasons = []
    if summary.relative_iqr >= NOISE_THRESHOLD:
        reasons.append(f"IQR is {summary.relative_iqr:.0%} of the median")
    relative_stdev = summary.relative_stdev
    if relative_stdev is not None and relative_stdev >= NOISE_THRESHOLD:
        reasons.append(f"standard deviation is {relative_stdev:.0%} of the mean")
    return reasons


@frozen
class Ratio:
    """``median(numerator) / median(denominator)`` with a bootstrap confidence interval."""

    value: float
    low: float | None  # None when either side has fewer than two samples
    high: float | None

    @property
    def significant(self) -> bool:
        """The interval excludes 1 and the ratio is at least ``MINIMUM_DIFFERENCE`` away from it."""
        if self.low is None or self.high is None:
            return False
        if self.low <= 1.0 <= self.high:
            return False
        return abs(self.value - 1.0) >= MINIMUM_DIFFERENCE

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "low": self.low, "high": self.high, "significant": self.significant}


def ratio_of_medians(
    numerator: Sequence[float],
    denominator: Sequence[float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> Ratio:
    """The ratio of the two medians and its percentile-bootstrap interval.

    Each side is resampled on its own: the samples of two combinations are separate runs, not pairs.
    """
    if not numerator or not denominator:
        raise ValueError("a ratio needs samples on both sides")
    value = _safe_ratio(statistics.median(numerator), statistics.median(denominator))
    interval = bootstrap_interval(
        [numerator, denominator],
        lambda num, den: _safe_ratio(statistics.median(num), statistics.median(den)),
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    )
    if interval is None:
        return Ratio(value, None, None)
    return Ratio(value, *interval)


def bootstrap_interval(
    groups: Sequence[Sequence[float]],
    statistic: Callable[..., float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float] | None:
    """The percentile-bootstrap interval of ``statistic(*groups)``; None when a group has fewer than two samples.

    Each group is resampled on its own, in the order given: the groups are separate runs, not pairs.
    The one bootstrap of the project: ratios and scaling fits both come through here.
    """
    if not groups or any(len(group) < 2 for group in groups):
        return None
    rng = random.Random(seed)
    lists = [list(group) for group in groups]
    values = sorted(statistic(*(rng.choices(g, k=len(g)) for g in lists)) for _ in range(resamples))
    tail = (1.0 - confidence) / 2
    low = values[max(0, math.floor(tail * (resamples - 1)))]
    high = values[min(resamples - 1, math.ceil((1.0 - tail) * (resamples - 1)))]
    return low, high


def _safe_ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.inf
