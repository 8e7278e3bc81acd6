"""The ``--json`` file of ``futstrat compare``: a versioned schema that keeps every raw sample.

A saved comparison holds enough to recompute every statistic (the raw phase times of each run, warm-ups
marked), to judge it (versions, CPUs, start method, load, thread variables) and to compare it with a
later one (``futstrat diff``). ``schema`` names the format and ``schema_version`` changes whenever a
field changes meaning or goes away; new fields may appear within a version.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from futstrat.errors import UsageError
from futstrat.measure.analysis import FIGURES, Comparison, ContenderResult
from futstrat.measure.environment import collect_metadata, iso_time
from futstrat.measure.trials import Trial
from futstrat.plugins import PluginHost
from futstrat.report.comparison_shape import shape_problem
from futstrat.report.files import read_regular_file, write_atomically

SCHEMA = "futstrat-compare"
SCHEMA_VERSION = 1

#: The largest saved comparison futstrat reads: ten thousand runs take a few megabytes.
MAX_FILE_BYTES = 256 * 1024 * 1024


def trial_to_dict(trial: Trial) -> dict[str, Any]:
    report = trial.report
    timings = report.timings
    return {
        "round": trial.round,
        "warmup": trial.warmup,
        "status": report.status.value,
        "ok": report.ok,
        "startup": timings.startup,
        "compute": timings.compute,
        "shutdown": timings.shutdown,
        "total": timings.total,
        "wall": trial.cpu.wall,
        "own_cpu": _rounded(trial.cpu.own),
        "outside_cpu": _rounded(trial.cpu.outside),
        "profile": None if trial.profile is None else trial.profile.to_dict(),
        "value": report.to_dict()["value"],
        "check": report.check.detail if report.check is not None else None,
        "error": report.error,
    }


def _rounded(value: float | None) -> float | None:
    """CPU counters tick in hundredths of a second; drop the float dust from subtracting them."""
    return None if value is None else round(value, 6)


def result_to_dict(result: ContenderResult) -> dict[str, Any]:
    contender = result.contender
    plan = contender.plan
    # Only a worker sweep says which of its counts a combination is: a plain comparison's JSON is unchanged.
    sweep = {} if contender.sweep_workers is None else {"sweep_workers": contender.sweep_workers}
    return {
        "workload": contender.workload,
        "strategy": contender.strategy,
        "sharing": contender.sharing,
        "workers": plan.workers if plan else None,
        "start_method": plan.start_method if plan else None,
        "params": dict(plan.params) if plan else {},
        "rank": result.rank,
        "failures": len(result.failures),
        "stopped": result.stopped,
        "statistics": {figure: result.summaries[figure].to_dict() for figure in FIGURES if figure in result.summaries},
        "ratio_to_fastest": result.ratio_to_fastest.to_dict() if result.ratio_to_fastest else None,
        "speedup_over_serial": result.speedup_over_serial.to_dict() if result.speedup_over_serial else None,
        "noise": list(result.noise),
        "outside_cpus": _rounded(result.outside_cpus),
        "figures": None if result.figures is None else result.figures.to_dict(),
        "samples": [trial_to_dict(t) for t in sorted((*result.warmups, *result.samples), key=lambda t: t.round)],
        **sweep,
    }


def comparison_to_dict(
    comparison: Comparison, settings: dict[str, Any] | None = None, host: PluginHost | None = None
) -> dict[str, Any]:
    """The whole comparison as the schema describes it; ``settings`` records how it was asked for."""
    measurement = comparison.measurement
    metadata = collect_metadata(host, measurement.machine)
    metadata["started_at"] = iso_time(measurement.started_at)
    metadata["finished_at"] = iso_time(measurement.finished_at) if measurement.finished_at else None
    metadata["load_average"] = {"before": measurement.load_before, "after": measurement.load_after}
    fastest = comparison.fastest
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "partial": measurement.partial,
        "workload": comparison.workload,
        "params": dict(comparison.params),
        "workers": comparison.workers,
        "figure": comparison.figure,
        "repeat": measurement.repeat,
        "warmup": measurement.warmup,
        "runs": {"planned": measurement.planned, "done": len(measurement.trials)},
        "settings": settings or {},
        "metadata": metadata,
        "fastest": None
        if fastest is None
        else {"strategy": fastest.contender.strategy, "sharing": fastest.contender.sharing},
        "combinations": [result_to_dict(r) for r in comparison.results],
        "refused": [
            {"workload": c.workload, "strategy": c.strategy, "sharing": c.sharing, "reasons": list(c.reasons)}
            for c in comparison.refused
        ],
        "warnings": list(comparison.warnings),
        "diagnosis": [finding.to_dict() for finding in comparison.diagnosis],
        "core_speeds": None if comparison.core_steadiness is None else comparison.core_steadiness.to_dict(),
    }


def strict_json(value: Any) -> Any:
    """``value`` with infinities and NaN replaced by their names, which strict JSON readers accept."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def json_text(data: dict[str, Any]) -> str:
    """``data`` as the text of a report file: strict JSON, indented, ending with a newline."""
    return json.dumps(strict_json(data), indent=2, allow_nan=False, default=repr) + "\n"


def write_json(path: str | os.PathLike[str], data: dict[str, Any]) -> Path:
    return write_atomically(path, json_text(data))


def load_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a saved comparison, refusing files that are not one or come from a newer futstrat.

    Whatever the file holds, the answer is the comparison or a usage error naming what is wrong: a
    device or FIFO is not read, a file over ``MAX_FILE_BYTES`` is not read, deep nesting does not
    overflow the stack, and every field the readers use has the type the writer gives it.
    """
    content = read_regular_file(path, MAX_FILE_BYTES)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not JSON: it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise UsageError(f"{path} is not a saved comparison: its lists or objects nest too deeply to read") from None
    except ValueError as exc:  # json.JSONDecodeError, or an integer too long to convert
        raise UsageError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(f"{path} is not a saved comparison (write one with 'futstrat compare ... --json FILE')")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > SCHEMA_VERSION:
        raise UsageError(
            f"{path} has schema version {version!r}, and this futstrat reads up to {SCHEMA_VERSION}: upgrade futstrat"
        )
    if not isinstance(data.get("combinations"), list):
        raise UsageError(f"{path} is damaged: it has no list of combinations")
    problem = shape_problem(data)
    if problem:
        raise UsageError(f"{path} is damaged: {problem}")
    return data


def holds_partial_comparison(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a saved comparison that was interrupted (and so may give way to another)."""
    try:
        return load_json(path).get("partial") is True
    except UsageError:
        return False
