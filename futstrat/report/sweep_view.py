"""A worker sweep as text: speed-up and parallel efficiency per worker count, the fitted laws, and why
efficiency fell past the usable CPUs."""

from __future__ import annotations

from futstrat.measure.scaling import AMDAHL, ScalingFit
from futstrat.measure.stats import Ratio
from futstrat.measure.sweep import Sweep, SweepPoint
from futstrat.report import format as fmt
from futstrat.report.table import Cell, Column, render_boxed, render_plain
from futstrat.report.terminal import Styler

PLAIN = Styler(colour=False)
LAW_NAMES = {AMDAHL: "Amdahl", "gustafson": "Gustafson"}


def sweep_columns(sweep: Sweep) -> list[Column]:
    scaled = " (scaled)" if sweep.scale_size else ""
    return [
        Column("strategy"),
        Column("sharing"),
        Column("workers", "right"),
        Column("median", "right"),
        Column(f"speed-up vs serial{scaled}"),
        Column("efficiency"),
        Column("notes", drop_order=1),
    ]


def efficiency_text(value: Ratio | None) -> str:
    """``94% [90-97%]``: speed-up per worker, with its interval."""
    if value is None:
        return "-"
    text = f"{value.value:.0%}"
    if value.low is not None and value.high is not None:
        text += f" [{value.low * 100:.0f}-{value.high * 100:.0f}%]"
    return text


def sweep_row(point: SweepPoint, sweep: Sweep, ascii_only: bool) -> list[Cell]:
    baseline = point.strategy == "serial"
    note = f"oversubscribed: {point.workers} workers > {sweep.usable_cpus} usable CPUs" if point.oversubscribed else ""
    return [
        Cell(point.strategy),
        Cell(point.sharing or "-"),
        Cell(str(point.workers)),
        Cell(fmt.duration(point.median, ascii_only=ascii_only)),
        Cell("baseline" if baseline else fmt.ratio(point.speedup), "dim" if baseline else ""),
        Cell("-" if baseline else efficiency_text(point.efficiency)),
        Cell(note, "warn" if note else ""),
    ]


def fit_line(fit: ScalingFit, sweep: Sweep) -> str:
    """One strategy's fitted serial fraction and its predictions, or why there are none."""
    law = LAW_NAMES.get(fit.law, fit.law)
    name = f"{fit.strategy} (sharing {fit.sharing})"
    if fit.fraction is None:
        return f"{name}: {fit.problem}"
    text = f"{name}: {law} serial fraction {fit.fraction:.3f}"
    if fit.low is not None and fit.high is not None:
        text += f" [{fit.low:.3f}-{fit.high:.3f}]"
    text += f", fitted to {', '.join(map(str, fit.fitted_counts))} workers"
    if fit.problem is not None:
        return f"{text}; {fit.problem}, so nothing is predicted"
    predictions = []
    for workers, speedup, low, high in fit.predictions:
        shown = f"{speedup:.2f}x"
        if low is not None and high is not None:
            shown += f" [{low:.2f}-{high:.2f}]"
        predictions.append(f"{shown} at {workers} workers")
    return f"{text}; predicted, not measured: {', '.join(predictions)}"


def render_sweep(sweep: Sweep, styler: Styler | None = None, width: int | None = None) -> str:
    """The sweep's table, its fits and the oversubscription notes, as one block of the compare report."""
    styled = styler is not None
    styler = styler or PLAIN
    cols = sweep_columns(sweep)
    rows = [sweep_row(p, sweep, not styled) for p in sweep.points]
    size = f", the size parameter {sweep.size_param} grown with the workers" if sweep.scale_size else ""
    heading = styler.paint(
        f"scaling over {', '.join(map(str, sweep.counts))} workers ({sweep.usable_cpus} usable CPUs{size})", "bold"
    )
    blocks = [heading]
    if rows:
        blocks.append(render_boxed(cols, rows, styler, width) if styled else render_plain(cols, rows))
    if sweep.fits:
        law = LAW_NAMES.get(sweep.law, sweep.law)
        lines = [f"{law}'s law fitted to the medians (within the usable CPUs; intervals by bootstrap):"]
        lines += [f"  {fit_line(fit, sweep)}" for fit in sweep.fits]
        blocks.append("\n".join(lines))
    notes = sweep.oversubscription_notes()
    if notes:
        blocks.append(styler.paint("\n".join(f"oversubscribed: {note}" for note in notes), "warn"))
    return "\n".join(blocks)
