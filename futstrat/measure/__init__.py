"""Measuring strategies against each other: warm-ups, interleaved repeats, statistics, warnings.

``compare`` is the whole of ``futstrat compare`` without the printing::

    comparison = compare("pi", ["serial", "process"], params={"n": 1_000_000}, repeat=5)
    comparison.fastest.label, comparison.fastest.speedup_over_serial
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from futstrat.machine.steadiness import probe_cores as core_speed_probe
from futstrat.measure.analysis import FIGURES, Comparison, ContenderResult, analyse
from futstrat.measure.contenders import ALL, Contender, plan_contenders
from futstrat.measure.load import CpuUse
from futstrat.measure.stats import Ratio, Summary
from futstrat.measure.trials import DEFAULT_REPEAT, DEFAULT_WARMUP, Measurement, Trial, TrialObserver, measure
from futstrat.options import RunOptions, options_from
from futstrat.plugins import PluginHost


def compare(
    workload: str,
    strategies: Sequence[str] | None = None,
    sharing: Sequence[str] | None = None,
    *,
    workers: int | None = None,
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
) -> Comparison:
    """Plan every strategy x sharing combination, measure those not refused, and analyse the samples.

    The run options come as ``options=RunOptions(...)`` or as the loose keywords, not both.

    ``probe_cores=False`` skips timing a fixed loop on each CPU between rounds (see ``machine.steadiness``).
    """
    contenders = plan_contenders(
        workload,
        strategies,
        sharing,
        params=params,
        options=options_from(
            options,
            workers=workers,
            start_method=start_method,
            timeout=timeout,
            task_timeout=task_timeout,
            chunksize=chunksize,
            strategy_options=strategy_options,
        ),
        host=host,
    )
    measurement = measure(
        contenders,
        repeat=repeat,
        warmup=warmup,
        host=host,
        observer=observer,
        core_probe=core_speed_probe if probe_cores else None,
    )
    return analyse(measurement, figure)


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
    "Summary",
    "Trial",
    "TrialObserver",
    "analyse",
    "compare",
    "measure",
    "plan_contenders",
]
