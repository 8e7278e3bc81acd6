"""Ranking, ratios and warnings, on made-up samples so that every number is known in advance.

``fake_measurement`` is also used by the report tests.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import pytest

from futstrat.measure import Contender, Measurement, Trial, analyse
from futstrat.measure.load import CpuUse
from futstrat.model import Check, RunReport, RunStatus, Timings
from futstrat.runner import plan_run

STARTUP, SHUTDOWN = 0.010, 0.005


def fake_contender(strategy: str, sharing: str = "none") -> Contender:
    plan = plan_run("pi", strategy, sharing=sharing, workers=2, params={"n": 1000})
    return Contender("pi", strategy, sharing, plan)


def fake_report(contender: Contender, total: float, status: RunStatus = RunStatus.PASSED) -> RunReport:
    plan = contender.plan
    assert plan is not None
    passed = status is RunStatus.PASSED
    return RunReport(
        workload="pi",
        strategy=contender.strategy,
        sharing=contender.sharing or "none",
        workers=plan.workers,
        start_method=plan.start_method,
        params=dict(plan.params),
        status=status,
        value=math.pi if passed else None,
        check=Check(passed, math.pi, "made up") if status in (RunStatus.PASSED, RunStatus.CHECK_FAILED) else None,
        timings=Timings(STARTUP, total - STARTUP - SHUTDOWN, SHUTDOWN),
        tasks=2,
        error=None if passed else "made-up failure",
    )


def fake_measurement(
    times: Mapping[str, Sequence[float]],
    *,
    warmup: float | None = 9.0,
    failures: Mapping[str, RunStatus] | None = None,
    outside: float = 0.0,
    refused: Sequence[str] = (),
    partial: bool = False,
) -> Measurement:
    """Strategies with their sample totals; a warm-up round of ``warmup`` seconds first, if not None."""
    contenders = [fake_contender(name) for name in times]
    contenders += [Contender("pi", name, "value", None, ("made-up refusal",)) for name in refused]
    repeat = max(len(v) for v in times.values())
    measurement = Measurement(contenders, repeat=repeat, warmup=0 if warmup is None else 1, partial=partial)
    rounds: list[tuple[bool, int]] = ([(True, -1)] if warmup is not None else []) + [(False, i) for i in range(repeat)]
    for number, (is_warmup, index) in enumerate(rounds, start=1):
        for contender in contenders[: len(times)]:
            values = times[contender.strategy]
            if not is_warmup and index >= len(values):
                continue
            total = warmup if is_warmup else values[index]
            assert total is not None
            status = (failures or {}).get(contender.strategy, RunStatus.PASSED) if not is_warmup else RunStatus.PASSED
            cpu = CpuUse(wall=total, own=total, outside=outside * total)
            measurement.trials.append(Trial(contender, number, is_warmup, fake_report(contender, total, status), cpu))
    measurement.planned = len(measurement.trials) + (3 if partial else 0)
    return measurement


FIVE = {
    "serial": [2.00, 2.02, 1.99, 2.01, 2.00],
    "thread": [2.10, 2.12, 2.11, 2.09, 2.10],
    "process": [1.05, 1.04, 1.06, 1.05, 1.05],
    "pool-map": [1.06, 1.05, 1.04, 1.05, 1.06],
}


def test_ranks_fastest_first_and_ignores_warmups():
    comparison = analyse(fake_measurement(FIVE, warmup=0.001))
    assert [r.contender.strategy for r in comparison.results] == ["process", "pool-map", "serial", "thread"]
    assert [r.rank for r in comparison.results] == [1, 2, 3, 4]
    fastest = comparison.fastest
    assert fastest is not None
    assert fastest.contender.strategy == "process"
    assert fastest.summaries["total"].median == 1.05
    assert len(fastest.warmups) == 1
    assert len(fastest.samples) == 5


def test_ratios_against_the_fastest_and_serial():
    comparison = analyse(fake_measurement(FIVE))
    by = {r.contender.strategy: r for r in comparison.results}
    assert by["process"].ratio_to_fastest is None
    assert by["serial"].ratio_to_fastest is not None
    assert by["serial"].ratio_to_fastest.value == pytest.approx(2.00 / 1.05)
    assert by["serial"].speedup_over_serial is None
    speedup = by["process"].speedup_over_serial
    assert speedup is not None
    assert speedup.value == pytest.approx(2.00 / 1.05)
    assert speedup.significant
    assert by["thread"].speedup_over_serial is not None
    assert by["thread"].speedup_over_serial.value < 1


def test_a_difference_within_noise_is_a_tie():
    comparison = analyse(fake_measurement(FIVE))
    ratio = {r.contender.strategy: r for r in comparison.results}["pool-map"].ratio_to_fastest
    assert ratio is not None
    assert not ratio.significant
    assert [r.contender.strategy for r in comparison.tied_with_fastest()] == ["pool-map"]


def test_failed_runs_are_listed_but_never_ranked():
    times = {"serial": [2.0, 2.0], "thread": [0.1, 0.1], "process": [1.0, 1.0]}
    comparison = analyse(fake_measurement(times, failures={"thread": RunStatus.CHECK_FAILED}))
    thread = comparison.results[-1]
    assert thread.contender.strategy == "thread"
    assert thread.rank is None
    assert len(thread.failures) == 2
    assert thread.summaries == {}
    assert comparison.fastest is not None
    assert comparison.fastest.contender.strategy == "process"
    assert comparison.failed == [thread]


def test_without_serial_there_is_no_speedup():
    comparison = analyse(fake_measurement({"thread": [1.0, 1.1], "process": [0.5, 0.6]}))
    assert all(r.speedup_over_serial is None for r in comparison.results)


def test_refused_combinations_are_kept_with_their_reasons():
    comparison = analyse(fake_measurement(FIVE, refused=["process"]))
    assert [(c.strategy, c.reasons) for c in comparison.refused] == [("process", ("made-up refusal",))]
    assert len(comparison.results) == 4


def test_few_samples_noise_load_and_interruption_are_warned_about():
    times = {"serial": [1.0, 1.5, 1.0], "process": [0.5, 0.5, 0.5]}
    busy = float(os.cpu_count() or 1)  # as if other programs kept every CPU busy
    comparison = analyse(fake_measurement(times, outside=busy, partial=True))
    text = "\n".join(comparison.warnings)
    assert "interrupted" in text
    assert "only 3 sample(s)" in text
    assert "noisy: pi x serial x none" in text
    assert f"other programs kept {busy:.2f} of" in text


def test_a_quiet_well_sampled_comparison_has_no_warnings():
    assert analyse(fake_measurement(FIVE)).warnings == ()


def test_ranking_by_the_compute_phase():
    comparison = analyse(fake_measurement(FIVE), figure="compute")
    assert comparison.figure == "compute"
    assert comparison.results[0].summaries["compute"].median == pytest.approx(1.05 - STARTUP - SHUTDOWN)
    with pytest.raises(ValueError, match="figure"):
        analyse(fake_measurement(FIVE), figure="fastest")


def test_many_noisy_combinations_share_one_warning():
    noisy = [1.0, 1.5, 1.0, 1.6, 1.1]
    times = {name: [t * (i + 1) for t in noisy] for i, name in enumerate(["serial", "thread", "process", "pool-map"])}
    warnings = analyse(fake_measurement(times)).warnings
    assert warnings == (
        "noisy: 4 of 4 combinations have a spread of 10% or more (IQR or standard deviation):"
        " serial, thread, process, pool-map",
    )
