"""Measuring strategies against each other: warm-ups, interleaved repeats, statistics, warnings.

``compare`` is the whole of ``futstrat compare`` without the printing::

    comparison = compare("pi", ["serial", "process"], params={"n": 1_000_000}, repeat=5)
    comparison.fastest.label, comparison.fastest.speedup_over_serial

and, with several worker counts, of ``futstrat compare --workers 1,2,4``::

    comparison = compare("pi", ["serial", "process"], workers=[1, 2, 4])
    comparison.sweep.points, comparison.sweep.fits
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from futstrat.errors import UsageError
from futstrat.machine.steadiness import probe_cores as core_speed_probe
from futstrat.measure.analysis import FIGURES, Comparison, ContenderResult, analyse
from futstrat.measure.contenders import ALL, Contender, plan_contenders
from futstrat.measure.load import CpuUse
from futstrat.measure.scaling import ScalingFit
from futstrat.measure.stats import Ratio, Summary
from futstrat.measure.sweep import Sweep, SweepPoint, measured_sweep, plan_sweep, sweep_counts
from futstrat.measure.trials import DEFAULT_REPEAT, DEFAULT_WARMUP, Measurement, Trial, TrialObserver, measure
from futstrat.options import RunOptions, options_from
from futstrat.plugins import PluginHost


def compare(
    workload: str,
    strategies: Sequence[str] | None = None,
    sharing: Sequence[str] | None = None,
    *,
    workers: int | Iterable[int] | None = None,
    params: Mapping[str, Any] | None = None,
    start_method: str | None = None,
    timeout: float | None = None,
    task_timeout: float | None = None,
    chunksize: int | None = None,
    strategy_options: Mapping[str, Any] | None = None,
    options: RunOptions | None = None,
    repeat: int = DEFAULT_REPEAT,
    warmup: int = DEFAULT_WARMUP,
    figure: str = "total",
    host: PluginHost | None = None,
    observer: TrialObserver | None = None,
    probe_cores: bool = True,
    scale_size: bool = False,
) -> Comparison:
    """Plan every strategy x sharing combination, measure those not refused, and analyse the samples.

    The run options come as ``options=RunOptions(...)`` or as the loose keywords, not both.

    ``workers`` given as a sequence of counts (``[1, 2, 4]``, ``range(1, 5)``) makes a sweep, as
    ``futstrat compare --workers 1,2,4`` does: every strategy x sharing x count is measured in the same
    rounds, serial once with one worker, and ``comparison.sweep`` holds the speed-ups, efficiencies and
    the fitted law. ``scale_size=True`` grows the workload's size with the workers and fits Gustafson's
    law instead of Amdahl's (``--scale-size``). A plain count, or none, keeps the plain comparison.

    ``probe_cores=False`` skips timing a fixed loop on each CPU between rounds (see ``machine.steadiness``).
    """
    swept = workers is not None and not isinstance(workers, int)
    run_options = options_from(
        options,
        workers=None if swept else workers,
        start_method=start_method,
        timeout=timeout,
        task_timeout=task_timeout,
        chunksize=chunksize,
        strategy_options=strategy_options,
    )
    if swept and run_options.workers is not None:
        raise UsageError(
            f"workers={workers!r} sweeps the worker counts, and the options name {run_options.workers}:"
            " leave RunOptions.workers unset"
        )
    counts = sweep_counts(workers if swept else run_options.workers, scale_size)
    if counts is None:
        contenders = plan_contenders(workload, strategies, sharing, params=params, options=run_options, host=host)
    else:
        contenders = plan_sweep(
            workload, strategies, sharing, counts, params=params, options=run_options, scale_size=scale_size, host=host
        )
    measurement = measure(
        contenders,
        repeat=repeat,
        warmup=warmup,
        host=host,
        observer=observer,
        core_probe=core_speed_probe if probe_cores else None,
    )
    comparison = analyse(measurement, figure)
    if counts is None:
        return comparison
    return attrs.evolve(comparison, sweep=measured_sweep(comparison, counts, scale_size=scale_size))


__all__ = [
    "ALL",
    "DEFAULT_REPEAT",
    "DEFAULT_WARMUP",
    "FIGURES",
    "Comparison",
    "Contender",
    "ContenderResult",
    "CpuUse",
    "Measurement",
    "Ratio",
    "ScalingFit",
    "Summary",
    "Sweep",
    "SweepPoint",
    "Trial",
    "TrialObserver",
    "analyse",
    "compare",
    "measure",
    "plan_contenders",
]
