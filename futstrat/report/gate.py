"""A regression gate: whether a new comparison is slower than a baseline by more than a stated share.

The gate asks nothing new of the statistics: it reads the diff, whose ratios of medians already carry
their bootstrap intervals and the significance rule of ``futstrat.measure.stats``. A combination fails
the gate when its new/old ratio is significant and its median slowdown is past the threshold. As the
significance rule never calls a change under 5% a difference, a threshold under 5% acts as 5%.

A gate must not pass by not looking, so it fails, besides, for every combination of the baseline that
the new run did not measure (a strategy that disappeared or is now refused), for one whose new runs
failed, and for one it cannot judge (fewer than two correct samples on a side, so no interval). A
combination only in the new run has nothing to be slower than: it is listed and passes.
"""

from __future__ import annotations

import enum
import math

from attrs import frozen

from futstrat.measure.stats import MINIMUM_DIFFERENCE
from futstrat.numbers import parse_real
from futstrat.report import format as fmt
from futstrat.report.diff import Change, RunDiff


class Outcome(enum.Enum):
    """What the gate made of one combination; the first four fail it."""

    SLOWER = "slower past the threshold"
    MISSING = "missing from the new run"
    FAILED_RUNS = "failed runs"
    NOT_JUDGED = "cannot be judged"
    SLOWER_WITHIN = "slower, within the threshold"
    SLOWER_NOT_SIGNIFICANT = "slower, not significantly"
    NEW = "only in the new run"
    PASSED = "passed"

    @property
    def fails(self) -> bool:
        return self in (Outcome.SLOWER, Outcome.MISSING, Outcome.FAILED_RUNS, Outcome.NOT_JUDGED)


@frozen
class Threshold:
    """The slowdown a gate allows, as a fraction of the old median (0.05 allows 5%)."""

    fraction: float

    @property
    def text(self) -> str:
        """As a percentage, however it was given: ``5%``."""
        return f"{self.fraction * 100:.6g}%"


def parse_threshold(text: str) -> Threshold:
    """``5%`` or ``0.05`` in ASCII digits; a plain number must be under 1, so that ``5`` is not read as 500%."""
    given = text.strip()
    percent = given.endswith("%")
    number = given[:-1].strip() if percent else given
    try:
        value = parse_real(number)
    except ValueError:
        raise ValueError(f"expected a share such as 5% or 0.05, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"expected a share of 0 or more such as 5% or 0.05, got {text!r}")
    if percent:
        return Threshold(value / 100)
    if value >= 1:
        raise ValueError(f"{text!r} is ambiguous: write {number}% for a percentage, or a fraction under 1 (0.05)")
    return Threshold(value)


@frozen
class Finding:
    change: Change
    outcome: Outcome
    #: Why, in words, with the figures: "50% slower, 1.50x [1.47-1.53], past the 5% allowed".
    reason: str


@frozen
class GateResult:
    threshold: Threshold
    findings: tuple[Finding, ...]

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome.fails]

    @property
    def passed(self) -> bool:
        return not self.failures

    def with_outcome(self, outcome: Outcome) -> list[Finding]:
        return [f for f in self.findings if f.outcome is outcome]


def judge(diff: RunDiff, threshold: Threshold) -> GateResult:
    """The gate's outcome for every combination of the diff, in the diff's order."""
    return GateResult(threshold, tuple(_judge_one(change, threshold) for change in diff.changes))


def _judge_one(change: Change, threshold: Threshold) -> Finding:
    allowed = f"the {threshold.text} allowed"
    if change.present == "before":
        return Finding(change, Outcome.MISSING, "in the baseline but not measured in the new run")
    if change.after_failures:
        runs = f"{change.after_failures} of {change.after_runs} runs failed in the new run"
        return Finding(change, Outcome.FAILED_RUNS, runs)
    if change.present == "after":
        return Finding(change, Outcome.NEW, "not in the baseline: nothing to compare it with")
    ratio = change.ratio
    if ratio is None or ratio.low is None or ratio.high is None:
        counts = f"{len(change.before)} in the baseline, {len(change.after)} in the new run"
        why = f"too few correct samples for an interval ({counts}; the gate needs 2 on each side)"
        return Finding(change, Outcome.NOT_JUDGED, why)
    figures = f"{fmt.percent_change(ratio.value)}, {fmt.ratio(ratio)}"
    if ratio.value <= 1:
        return Finding(change, Outcome.PASSED, figures)
    if not ratio.significant:
        why = "its interval holds 1" if ratio.low <= 1 <= ratio.high else f"under {MINIMUM_DIFFERENCE:.0%}"
        return Finding(change, Outcome.SLOWER_NOT_SIGNIFICANT, f"{figures}: not significant ({why})")
    if ratio.value - 1 > threshold.fraction:
        return Finding(change, Outcome.SLOWER, f"{figures}, past {allowed}")
    return Finding(change, Outcome.SLOWER_WITHIN, f"{figures}, within {allowed}")


def gate_lines(result: GateResult) -> list[str]:
    """The gate's report: its verdict first, then the failures, then the slowdowns it let pass."""
    allowed = result.threshold.text
    failures = result.failures
    judged = len(result.findings)
    if failures:
        lines = [
            f"gate failed (--fail-if-slower {allowed}): {len(failures)} of {judged} combination"
            f"{'s' if judged != 1 else ''} failed it"
        ]
    else:
        lines = [
            f"gate passed (--fail-if-slower {allowed}): no combination is significantly slower by more than"
            f" {allowed}, missing or failing"
        ]
    groups = [
        ("failed the gate", failures),
        (f"slower, but within {allowed}", result.with_outcome(Outcome.SLOWER_WITHIN)),
        ("slower, but not significantly", result.with_outcome(Outcome.SLOWER_NOT_SIGNIFICANT)),
        ("only in the new run, not judged", result.with_outcome(Outcome.NEW)),
    ]
    for heading, findings in groups:
        if findings:
            lines.append(f"{heading}:")
            lines += [f"  {f.change.label}: {f.reason}" for f in findings]
    return lines


def render_gate(result: GateResult) -> str:
    return "\n".join(gate_lines(result))


def failure_summary(result: GateResult) -> str:
    """One line for stderr when the gate fails."""
    allowed = result.threshold.text
    phrases = {
        Outcome.SLOWER: f"significantly slower by more than {allowed}",
        Outcome.MISSING: "missing from the new run",
        Outcome.FAILED_RUNS: "with failed runs",
        Outcome.NOT_JUDGED: "with too few samples to judge",
    }
    parts = []
    for outcome, phrase in phrases.items():
        n = len(result.with_outcome(outcome))
        if n:
            parts.append(f"{n} combination{'s' if n != 1 else ''} {phrase}")
    return f"the regression gate failed (--fail-if-slower {allowed}): {', '.join(parts)}"
