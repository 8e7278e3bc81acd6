"""How durations and ratios are written, the same in tables, diffs and claims."""

from __future__ import annotations

from futstrat.measure.stats import Ratio


def duration(seconds: float | None, *, ascii_only: bool = True) -> str:
    """Four significant figures or so, in the unit that keeps the number readable."""
    if seconds is None:
        return "-"
    if seconds >= 100:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} {'us' if ascii_only else 'µs'}"


def ratio(value: Ratio | None, *, interval: bool = True) -> str:
    """``1.93x [1.90-1.96]``, with ``n.s.`` when the difference is not significant."""
    if value is None:
        return "-"
    text = f"{value.value:.2f}x"
    if interval and value.low is not None and value.high is not None:
        text += f" [{value.low:.2f}-{value.high:.2f}]"
    if not value.significant:
        text += " n.s."
    return text


def percent_change(value: float) -> str:
    """A time ratio as a change: 0.8 is "20% faster", 1.25 is "25% slower"."""
    if value < 1:
        return f"{1 - value:.0%} faster"
    if value > 1:
        return f"{value - 1:.0%} slower"
    return "no change"


def rate(per_second: float | None) -> str:
    """Tasks per second, short: 950/s, 12.3k/s, 1.46M/s."""
    if per_second is None:
        return "-"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if per_second >= limit:
            return f"{per_second / limit:.3g}{suffix}/s"
    return f"{per_second:.3g}/s"
