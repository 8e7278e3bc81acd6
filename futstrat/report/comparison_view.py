"""The answer to "which strategy is fastest, and by how much?" as text: a ranked table and its footnotes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from futstrat.measure.analysis import BASELINE_STRATEGY, FIGURE_NAMES, FIGURES, Comparison, ContenderResult
from futstrat.measure.contenders import Contender
from futstrat.measure.diagnosis import sentence, unsteady_cores
from futstrat.report import format as fmt
from futstrat.report.table import Cell, Column, render_boxed, render_plain
from futstrat.report.terminal import Styler

PLAIN = Styler(colour=False)


def columns(figure: str) -> list[Column]:
    name = FIGURE_NAMES[figure]
    return [
        Column("#", "right"),
        Column("strategy"),
        Column("sharing"),
        Column("start-up", "right", drop_order=3),
        Column("compute", "right", drop_order=1 if figure != "compute" else 0),
        Column("shutdown", "right", drop_order=4),
        Column("total", "right", drop_order=1 if figure != "total" else 0),
        Column(f"{name} IQR", "right", drop_order=5),
        Column(f"{name} min", "right", drop_order=6),
        Column("tasks/s", "right", drop_order=7),
        Column("chunk", "right", drop_order=8),
        Column("time vs fastest", "left"),
        Column("speed-up vs serial", "left"),
        Column("ok", "right"),
        Column("notes", drop_order=2),
    ]


def _median(result: ContenderResult, figure: str, ascii_only: bool) -> str:
    summary = result.summaries.get(figure)
    return fmt.duration(summary.median if summary else None, ascii_only=ascii_only)


def row(result: ContenderResult, comparison: Comparison, ascii_only: bool) -> list[Cell]:
    figure = comparison.figure
    summary = result.summaries.get(figure)
    failed = bool(result.failures)
    base_style = "bad" if failed else ("good" if result.rank == 1 else "")
    if result.rank == 1:
        vs_fastest = Cell("fastest", "good")
    else:
        vs_fastest = Cell(
            fmt.ratio(result.ratio_to_fastest),
            "dim" if result.ratio_to_fastest is not None and not result.ratio_to_fastest.significant else "",
        )
    if result.contender.strategy == "serial" and result.rank is not None:
        vs_serial = Cell("baseline", "dim")
    else:
        speedup = result.speedup_over_serial
        vs_serial = Cell(fmt.ratio(speedup), "dim" if speedup is not None and not speedup.significant else "")
    timing = [_median(result, f, ascii_only) for f in ("startup", "compute", "shutdown", "total")]
    return [
        Cell(str(result.rank) if result.rank is not None else "-", base_style),
        Cell(strategy_name(result.contender), base_style),
        Cell(result.contender.sharing or "-", base_style),
        *(
            Cell(text, "bold" if f == figure and not failed else "")
            for f, text in zip(("startup", "compute", "shutdown", "total"), timing)
        ),
        Cell(fmt.duration(summary.iqr if summary else None, ascii_only=ascii_only)),
        Cell(fmt.duration(summary.minimum if summary else None, ascii_only=ascii_only)),
        *throughput(result),
        vs_fastest,
        vs_serial,
        Cell(f"{len(result.passed)}/{len(result.samples)}", "bad" if failed else ""),
        Cell(notes(result, comparison), "bad" if failed else ("warn" if result.noise else "")),
    ]


def strategy_name(contender: Contender) -> str:
    """The strategy, with its worker count when a sweep measures several: ``process x4``."""
    if contender.sweep_workers is None:
        return contender.strategy
    return f"{contender.strategy} x{contender.sweep_workers}"


def throughput(result: ContenderResult) -> list[Cell]:
    """Tasks per second of the median compute phase, and the chunk size the runs used (a range when
    the pilot of ``--chunksize auto`` chose differently from run to run)."""
    compute = result.summaries.get("compute")
    passed = result.passed
    if not passed or compute is None or compute.median <= 0:
        return [Cell("-"), Cell("-")]
    sizes = sorted({t.report.chunksize for t in passed if t.report.chunksize})
    chunk = "-" if not sizes else str(sizes[0]) if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"
    return [Cell(fmt.rate(passed[0].report.tasks / compute.median)), Cell(chunk)]


def notes(result: ContenderResult, comparison: Comparison) -> str:
    parts = []
    if result.failures:
        statuses = Counter(t.report.status.value for t in result.failures)
        parts.append("failed: " + ", ".join(f"{n} {status}" for status, n in statuses.items()))
    if result.stopped:
        parts.append("stopped after a timeout")
    if result.noise:
        parts.append("noisy")
    return "; ".join(parts)


def title(comparison: Comparison) -> str:
    m = comparison.measurement
    params = ", ".join(f"{k}={v}" for k, v in comparison.params.items() if v is not None)
    plan = next((c.plan for c in m.contenders if c.plan is not None), None)
    method = next((c.plan.start_method for c in m.contenders if c.plan is not None and c.plan.start_method), None)
    parts = [comparison.workload + (f" ({params})" if params else "")]
    swept = sorted({c.sweep_workers for c in m.contenders if c.sweep_workers is not None})
    if len(swept) > 1:
        parts.append(f"{', '.join(map(str, swept))} workers")
    elif plan is not None:
        parts.append(f"{plan.workers} workers")
    if method:
        parts.append(f"start method {method}")
    warmups = f" after {m.warmup} warm-up{'s' if m.warmup != 1 else ''}" if m.warmup else " (no warm-up)"
    return (
        f"{', '.join(parts)}: {m.repeat} sample{'s' if m.repeat != 1 else ''} per combination{warmups},"
        f" ranked by median {FIGURE_NAMES[comparison.figure]} time"
    )


def machine_line(comparison: Comparison) -> str | None:
    """The machine the comparison ran on, for the header: CPUs and who decided them, speed, GIL."""
    machine = comparison.measurement.machine
    if machine is None:
        return None
    line = f"machine: {machine.describe()}"
    steadiness = comparison.core_steadiness
    if steadiness is not None and steadiness.spread is not None:
        line += f"; the cores' speed varied by up to {steadiness.spread:.0%} between rounds"
    return line


def verdict(comparison: Comparison) -> str:
    """One sentence that answers the question at a glance, and whether the cores' speed could have decided it."""
    ranking = ranking_verdict(comparison)
    steadiness = comparison.core_steadiness
    if comparison.fastest is None or steadiness is None:
        return ranking
    cores = unsteady_cores(steadiness.spread, comparison.judged_differences())
    return ranking if cores is None else f"{ranking}; {cores}"


def ranking_verdict(comparison: Comparison) -> str:
    """Which combination won, by how much, and which are not significantly slower."""
    fastest = comparison.fastest
    if fastest is None:
        return "no combination finished all of its runs with a correct answer, so none is ranked"
    name = f"{strategy_name(fastest.contender)} (sharing {fastest.contender.sharing})"
    tied = comparison.tied_with_fastest()
    if tied and len(tied) == len(comparison.ranked) - 1:
        sentence = f"no clear winner: the lowest median is {name}'s, and no other combination is significantly slower"
        return sentence + ("; the warnings below say why" if comparison.warnings else "")
    sentence = f"fastest: {name}"
    speedup = fastest.speedup_over_serial
    if speedup is not None:
        sentence += f", {speedup.value:.2f}x the speed of serial"
        if not speedup.significant:
            sentence += " (not a significant difference)"
    elif not any(r.contender.strategy == BASELINE_STRATEGY for r in comparison.ranked):
        sentence += " (serial was not measured, so there is no speed-up to give: add it to --strategies)"
    if tied:
        sentence += "; not significantly slower: " + ", ".join(_with_sharing(r.contender, tied) for r in tied)
    return sentence


def _with_sharing(contender: Contender, among: Sequence[ContenderResult]) -> str:
    """The strategy's name, with its sharing backend where the same strategy appears with several."""
    name = strategy_name(contender)
    if sum(strategy_name(r.contender) == name for r in among) > 1:
        return f"{name} (sharing {contender.sharing})"
    return name


def diagnosis_lines(comparison: Comparison) -> list[str]:
    """Why each ranked combination came out as it did, fastest first: one line each, figures named."""
    return [
        sentence(result.findings, strategy_name(result.contender)) for result in comparison.ranked if result.findings
    ]


def render_diagnosis(comparison: Comparison) -> str:
    lines = diagnosis_lines(comparison)
    if not lines:
        return ""
    return "why, from what the runs measured:\n" + "\n".join(f"  {line}" for line in lines)


def render_details(comparison: Comparison, styler: Styler | None = None, width: int | None = None) -> str:
    """Median, IQR, minimum and maximum of every phase of every combination: one row each."""
    styled = styler is not None
    ascii_only = not styled
    cols = [
        Column("strategy"),
        Column("sharing"),
        Column("phase"),
        Column("median", "right"),
        Column("IQR", "right"),
        Column("min", "right"),
        Column("max", "right"),
        Column("n", "right"),
    ]
    rows = []
    for result in comparison.results:
        for figure in FIGURES:
            summary = result.summaries.get(figure)
            if summary is None:
                continue
            rows.append(
                [
                    Cell(result.contender.strategy),
                    Cell(result.contender.sharing or "-"),
                    Cell(FIGURE_NAMES[figure], "bold" if figure == comparison.figure else ""),
                    *(
                        Cell(fmt.duration(value, ascii_only=ascii_only))
                        for value in (summary.median, summary.iqr, summary.minimum, summary.maximum)
                    ),
                    Cell(str(summary.n)),
                ]
            )
    heading = (styler or PLAIN).paint("every phase, over the samples whose answer checked out", "bold")
    body = render_boxed(cols, rows, styler, width) if styler is not None else render_plain(cols, rows)
    return f"{heading}\n{body}"


def render_comparison(comparison: Comparison, styler: Styler | None = None, width: int | None = None) -> str:
    """The whole report: title, table, verdict, refusals, failures and warnings."""
    styled = styler is not None
    styler = styler or PLAIN
    ascii_only = not styled
    cols = columns(comparison.figure)
    rows = [row(r, comparison, ascii_only) for r in comparison.results]
    blocks = [styler.paint(title(comparison), "bold")]
    machine = machine_line(comparison)
    if machine is not None:
        blocks[0] += "\n" + machine
    if rows:
        blocks.append(render_boxed(cols, rows, styler, width) if styled else render_plain(cols, rows))
    blocks.append(styler.paint(verdict(comparison), "good" if comparison.fastest else "bad"))
    diagnosis = render_diagnosis(comparison)
    if diagnosis:
        blocks.append(diagnosis)
    if comparison.refused:
        lines = [f"refused, not measured ({len(comparison.refused)}):"]
        lines += [f"  {c.label}: {'; '.join(c.reasons)}" for c in comparison.refused]
        blocks.append("\n".join(lines))
    if comparison.failed:
        lines = ["failed runs (their times are not ranked):"]
        for result in comparison.failed:
            first = result.failures[0].report
            lines.append(
                f"  {result.label}: {len(result.failures)} of {result.runs} runs failed;"
                f" first: {first.status.value}: {first.error or (first.check.detail if first.check else '')}"
            )
        blocks.append(styler.paint("\n".join(lines), "bad"))
    if comparison.warnings:
        blocks.append(styler.paint("\n".join(f"warning: {w}" for w in comparison.warnings), "warn"))
    return "\n\n".join(blocks)
