"""What got faster or slower between two saved comparisons, judged by the same rule as a comparison.

Each combination's new samples are set against its old ones as a ratio of medians with a bootstrap
interval; under 5% or an interval that holds 1 is "no significant change". Differences in the setting
(another Python, other CPUs, other parameters) are listed, because they can explain a change as
readily as the code can.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from attrs import frozen

from futstrat.errors import UsageError
from futstrat.measure.analysis import FIGURE_NAMES, FIGURES
from futstrat.measure.stats import Ratio, ratio_of_medians, summarize
from futstrat.report import format as fmt
from futstrat.report.table import Cell, Column, render_boxed, render_plain
from futstrat.report.terminal import Styler

Key = tuple[str, str, str]


def sample_values(combination: dict[str, Any], figure: str) -> list[float]:
    """The figure of every measured (not warm-up) run whose answer checked out."""
    return [
        float(s[figure])
        for s in combination.get("samples", [])
        if not s.get("warmup") and s.get("ok") and isinstance(s.get(figure), (int, float))
    ]


def failed_runs(combination: dict[str, Any]) -> int:
    """How many measured (not warm-up) runs failed: raised, timed out or gave a wrong answer."""
    return sum(1 for s in combination.get("samples", []) if not s.get("warmup") and not s.get("ok"))


def measured_runs(combination: dict[str, Any]) -> int:
    return sum(1 for s in combination.get("samples", []) if not s.get("warmup"))


def _key(combination: dict[str, Any]) -> Key:
    """Workload, strategy and sharing; in a worker sweep the strategy carries its count (``process x2``),
    since the sweep measures each strategy at several counts."""
    strategy = str(combination.get("strategy"))
    if _is_count(combination.get("sweep_workers")):
        strategy += f" x{combination['sweep_workers']}"
    return (str(combination.get("workload")), strategy, str(combination.get("sharing")))


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@frozen
class Change:
    """One combination in both runs (or in only one of them)."""

    key: Key
    before: tuple[float, ...]
    after: tuple[float, ...]
    ratio: Ratio | None  # after / before
    present: str = "both"  # "both", "before" or "after"
    #: Measured runs of the new side that failed, and how many it measured.
    after_failures: int = 0
    after_runs: int = 0

    @property
    def label(self) -> str:
        return " x ".join(self.key)

    @property
    def verdict(self) -> str:
        failed = f"; {self.after_failures} of {self.after_runs} new runs failed" if self.after_failures else ""
        return self._judgement() + failed

    def _judgement(self) -> str:
        if self.present == "before":
            return "only in the old run"
        if self.present == "after":
            return "only in the new run"
        if self.ratio is None:
            return "not comparable: no correct samples on one side"
        if not self.ratio.significant:
            return "no significant change"
        return fmt.percent_change(self.ratio.value)


@frozen
class RunDiff:
    figure: str
    old_name: str
    new_name: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...]

    @property
    def faster(self) -> list[Change]:
        return [c for c in self.changes if c.ratio is not None and c.ratio.significant and c.ratio.value < 1]

    @property
    def slower(self) -> list[Change]:
        return [c for c in self.changes if c.ratio is not None and c.ratio.significant and c.ratio.value > 1]


def diff_runs(
    old: dict[str, Any], new: dict[str, Any], figure: str | None = None, names: tuple[str, str] = ("old", "new")
) -> RunDiff:
    """Compare two saved comparisons (as loaded by ``load_json``) combination by combination."""
    if figure is None:
        figure = old.get("figure") if old.get("figure") == new.get("figure") else "total"
    if figure not in FIGURES:
        raise UsageError(f"the figure to compare must be one of {', '.join(FIGURES)}, not {figure!r}")
    before = {_key(c): c for c in old["combinations"]}
    after = {_key(c): c for c in new["combinations"]}
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key not in after:
            changes.append(Change(key, tuple(sample_values(before[key], figure)), (), None, "before"))
            continue
        failures, runs = failed_runs(after[key]), measured_runs(after[key])
        new_values = sample_values(after[key], figure)
        if key not in before:
            changes.append(Change(key, (), tuple(new_values), None, "after", failures, runs))
            continue
        old_values = sample_values(before[key], figure)
        ratio = ratio_of_medians(new_values, old_values) if old_values and new_values else None
        changes.append(Change(key, tuple(old_values), tuple(new_values), ratio, "both", failures, runs))
    return RunDiff(figure, names[0], names[1], tuple(changes), tuple(setting_differences(old, new, before, after)))


def setting_differences(
    old: dict[str, Any], new: dict[str, Any], before: dict[Key, Any], after: dict[Key, Any]
) -> Iterable[str]:
    """Sentences naming what differs between the two runs besides the code under test."""
    old_meta, new_meta = old.get("metadata", {}), new.get("metadata", {})
    checks = [
        ("workloads", old.get("workload"), new.get("workload")),
        ("futstrat version", old_meta.get("futstrat_version"), new_meta.get("futstrat_version")),
        ("Python", _get(old_meta, "python", "version"), _get(new_meta, "python", "version")),
        ("GIL enabled", _get(old_meta, "python", "gil_enabled"), _get(new_meta, "python", "gil_enabled")),
        ("host", old_meta.get("hostname"), new_meta.get("hostname")),
        ("usable CPUs", _get(old_meta, "cpus", "usable"), _get(new_meta, "cpus", "usable")),
        ("thread variables", old_meta.get("env"), new_meta.get("env")),
        ("workers", old.get("workers"), new.get("workers")),
        ("parameters", old.get("params"), new.get("params")),
    ]
    for name, a, b in checks:
        if a != b:
            yield f"{name} differ: {a!r} then {b!r}"
    methods_old = {c.get("start_method") for c in before.values()} - {None}
    methods_new = {c.get("start_method") for c in after.values()} - {None}
    if methods_old and methods_new and methods_old != methods_new:
        yield f"start methods differ: {', '.join(sorted(methods_old))} then {', '.join(sorted(methods_new))}"
    for name, data in (("old", old), ("new", new)):
        if data.get("partial"):
            yield f"the {name} run was interrupted: it holds only part of its planned samples"


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def diff_table(diff: RunDiff, *, ascii_only: bool = True) -> tuple[list[Column], list[list[Cell]]]:
    """The columns and rows of the diff, for the terminal and for Markdown alike."""
    columns = [
        Column("workload"),
        Column("strategy"),
        Column("sharing"),
        Column(f"{diff.old_name} median", "right"),
        Column(f"{diff.new_name} median", "right"),
        Column(f"{diff.new_name}/{diff.old_name}"),
        Column("verdict"),
    ]
    rows = []
    for change in diff.changes:
        old_median = summarize(change.before).median if change.before else None
        new_median = summarize(change.after).median if change.after else None
        style = ""
        if change in diff.faster:
            style = "good"
        elif change in diff.slower:
            style = "bad"
        elif change.ratio is not None:
            style = "dim"
        rows.append(
            [
                Cell(change.key[0]),
                Cell(change.key[1]),
                Cell(change.key[2]),
                Cell(fmt.duration(old_median, ascii_only=ascii_only)),
                Cell(fmt.duration(new_median, ascii_only=ascii_only)),
                Cell(fmt.ratio(change.ratio), style),
                Cell(change.verdict, style),
            ]
        )
    return columns, rows


def diff_heading(diff: RunDiff) -> str:
    name = FIGURE_NAMES[diff.figure]
    return f"median {name} time, {diff.new_name} against {diff.old_name} (a ratio below 1 is faster)"


def diff_summary(diff: RunDiff) -> str:
    unchanged = sum(1 for c in diff.changes if c.ratio is not None and not c.ratio.significant)
    return f"{len(diff.faster)} faster, {len(diff.slower)} slower, {unchanged} without a significant change"


def render_diff(diff: RunDiff, styler: Styler | None = None, width: int | None = None) -> str:
    styled = styler is not None
    paint = styler or Styler(colour=False)
    columns, rows = diff_table(diff, ascii_only=not styled)
    blocks = [paint.paint(diff_heading(diff), "bold")]
    blocks.append(render_boxed(columns, rows, paint, width) if styled else render_plain(columns, rows))
    blocks.append(diff_summary(diff))
    if diff.notes:
        blocks.append(paint.paint("\n".join(f"note: {n}" for n in diff.notes), "warn"))
    return "\n\n".join(blocks)
