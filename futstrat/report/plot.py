"""``--plot FILE.png``: median phases stacked per combination, with the spread of the ranked figure.

matplotlib is an optional extra (``pip install 'futstrat[plot]'``): the core stays light, and the
check for it runs before any measuring, so a missing extra never costs a long run. It is loaded by name
and drawn through its object API (no pyplot, no global backend state).
"""

from __future__ import annotations

import importlib
import io
import os
import textwrap
from pathlib import Path
from typing import Any

from futstrat.errors import UsageError
from futstrat.measure.analysis import FIGURE_NAMES, Comparison
from futstrat.measure.sweep import Sweep, SweepPoint
from futstrat.report.comparison_view import diagnosis_lines, title
from futstrat.report.files import write_atomically

INSTALL_HINT = "plotting needs matplotlib: pip install 'futstrat[plot]' (or pip install matplotlib)"
PHASES = (("startup", "start-up", "#8fb3d9"), ("compute", "compute", "#2b6cb0"), ("shutdown", "shutdown", "#f6ad55"))
FORMATS = (".png", ".svg", ".pdf")
#: Characters per line of the caption that gives the diagnosis under the bars.
CAPTION_WIDTH = 150


def caption(comparison: Comparison) -> str:
    """The diagnosis as the plot's caption, wrapped to the figure's width."""
    lines = diagnosis_lines(comparison)
    if not lines:
        return ""
    wrapped = [textwrap.fill(line, CAPTION_WIDTH, subsequent_indent="    ") for line in lines]
    return "why, from what the runs measured:\n" + "\n".join(wrapped)


def require_matplotlib() -> Any:
    """The ``matplotlib.figure`` module, or a usage error that says what to install."""
    try:
        return importlib.import_module("matplotlib.figure")
    except ImportError:
        raise UsageError(INSTALL_HINT) from None


def check_plot_path(path: str | os.PathLike[str]) -> None:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"--plot writes {', '.join(FORMATS)} files, not {Path(path).name!r}")
    require_matplotlib()


def plot_comparison(comparison: Comparison, path: str | os.PathLike[str]) -> Path:
    """Draw the ranked combinations as horizontal bars, fastest on top, and write the image atomically."""
    figure_module = require_matplotlib()
    results = [r for r in comparison.results if r.summaries]
    labels = [f"{r.contender.strategy} / {r.contender.sharing}" + ("" if r.rank else " (failed runs)") for r in results]
    why = caption(comparison)
    height = 1.8 + 0.45 * max(1, len(results)) + 0.15 * (why.count("\n") + 1 if why else 0)
    figure = figure_module.Figure(figsize=(9, height), layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(results)))
    left = [0.0] * len(results)
    for key, name, colour in PHASES:
        widths = [r.summaries[key].median for r in results]
        axes.barh(positions, widths, left=left, color=colour, label=f"{name} (median)", height=0.6)
        left = [a + b for a, b in zip(left, widths)]
    ranked = comparison.figure
    medians = [r.summaries[ranked].median for r in results]
    spread = [
        [m - r.summaries[ranked].q1 for m, r in zip(medians, results)],
        [r.summaries[ranked].q3 - m for m, r in zip(medians, results)],
    ]
    axes.errorbar(
        medians, positions, xerr=spread, fmt="none", ecolor="black", capsize=4, label=f"{FIGURE_NAMES[ranked]} IQR"
    )
    reach = max([*left, *(r.summaries[ranked].q3 for r in results), 1e-9])
    for position, result, end in zip(positions, results, left):
        note = f"{result.summaries[ranked].median:.3g} s"
        if result.speedup_over_serial is not None:
            note += f" ({result.speedup_over_serial.value:.2f}x the speed of serial)"
        axes.text(max(end, result.summaries[ranked].q3) + reach * 0.02, position, note, va="center", fontsize=8)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.set_xlabel("seconds")
    axes.set_xlim(0, reach * 1.45)
    axes.set_title(title(comparison), fontsize=9, wrap=True)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=4, fontsize=8, frameon=False)
    if why:
        figure.supxlabel(why, x=0.01, ha="left", fontsize=7, linespacing=1.4)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=Path(path).suffix.lower().lstrip("."), dpi=120)
    return write_atomically(path, buffer.getvalue())


def plot_sweep(sweep: Sweep, title_text: str, path: str | os.PathLike[str]) -> Path:
    """Draw speed-up against workers per strategy, with the ideal line, each point's interval and the
    usable CPUs marked, and write the image atomically."""
    figure_module = require_matplotlib()
    figure = figure_module.Figure(figsize=(8, 5.5), layout="constrained")
    axes = figure.add_subplot()
    top = max(sweep.counts)
    axes.plot([1, top], [1, top], linestyle="--", color="grey", label="ideal (speed-up = workers)")
    by_strategy: dict[str, list[SweepPoint]] = {}
    for point in sweep.points:
        if point.strategy != "serial" and point.speedup is not None:
            by_strategy.setdefault(f"{point.strategy} / {point.sharing}", []).append(point)
    for label, points in by_strategy.items():
        points.sort(key=lambda p: p.workers)
        xs = [p.workers for p in points]
        ys = [p.speedup.value for p in points if p.speedup is not None]
        below = [y - (p.speedup.low if p.speedup and p.speedup.low is not None else y) for y, p in zip(ys, points)]
        above = [(p.speedup.high if p.speedup and p.speedup.high is not None else y) - y for y, p in zip(ys, points)]
        axes.errorbar(xs, ys, yerr=[below, above], marker="o", capsize=4, label=label)
    if sweep.usable_cpus < top:
        axes.axvline(sweep.usable_cpus, color="red", linestyle=":", label=f"usable CPUs ({sweep.usable_cpus})")
    axes.set_xlabel("workers")
    axes.set_ylabel("scaled speed-up over serial" if sweep.scale_size else "speed-up over serial")
    axes.set_xticks(list(sweep.counts))
    axes.set_xlim(0.5, top + 0.5)
    axes.set_ylim(bottom=0)
    axes.set_title(title_text, fontsize=9, wrap=True)
    axes.legend(fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=Path(path).suffix.lower().lstrip("."), dpi=120)
    return write_atomically(path, buffer.getvalue())
