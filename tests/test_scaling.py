"""Worker sweeps and scaling fits: the laws on made-up medians, the --workers parser, the sweep's
table and JSON on made-up samples, and one real small sweep under a hard limit."""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
import sys

import pytest

from futstrat.cli import main
from futstrat.measure import Contender, Measurement, Trial, analyse
from futstrat.measure.load import CpuUse
from futstrat.measure.scaling import (
    AMDAHL,
    GUSTAFSON,
    amdahl_speedup,
    fit_fraction,
    fit_scaling,
    gustafson_speedup,
)
from futstrat.measure.stats import Ratio, ratio_of_medians
from futstrat.measure.sweep import analyse_sweep, parse_worker_counts, plan_sweep, scaled_params, size_param
from futstrat.plugins import get_host
from futstrat.report.comparison_shape import shape_problem
from futstrat.report.jsonfile import comparison_to_dict, strict_json
from futstrat.report.sweep_view import render_sweep
from futstrat.runner import plan_run
from tests.test_measure_analysis import fake_report

SERIAL_SECONDS = 4.0


def amdahl_samples(fraction: float, counts: list[int], noise: float = 0.0, n: int = 7, seed: int = 1):
    """Samples whose times follow Amdahl's law with ``fraction``, with relative noise around them."""
    rng = random.Random(seed)

    def around(seconds: float) -> list[float]:
        return [seconds * (1 + rng.uniform(-noise, noise)) for _ in range(n)] if noise else [seconds] * n

    serial = around(SERIAL_SECONDS)
    samples = {w: around(SERIAL_SECONDS / amdahl_speedup(fraction, w)) for w in counts}
    return serial, samples


def observed_ratios(serial, samples) -> dict[int, Ratio]:
    return {w: ratio_of_medians(serial, values) for w, values in samples.items()}


# --- the laws --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.35, 1.0])
def test_exact_amdahl_data_gives_back_its_fraction(fraction):
    counts = [1, 2, 4, 8]
    speedups = [amdahl_speedup(fraction, n) for n in counts]
    assert fit_fraction(AMDAHL, counts, speedups) == pytest.approx(fraction, abs=1e-12)


def test_exact_gustafson_data_gives_back_its_fraction():
    counts = [1, 2, 3, 6]
    speedups = [gustafson_speedup(0.2, n) for n in counts]
    assert fit_fraction(GUSTAFSON, counts, speedups) == pytest.approx(0.2, abs=1e-12)


def test_a_single_worker_says_nothing_about_the_fraction():
    assert fit_fraction(AMDAHL, [1], [0.9]) is None


def test_exact_data_fits_well_and_predicts_at_twice_and_four_times_the_largest_count():
    serial, samples = amdahl_samples(0.1, [1, 2, 4])
    fit = fit_scaling("process", "none", AMDAHL, serial, samples, observed_ratios(serial, samples), usable_cpus=4)
    assert fit.fraction == pytest.approx(0.1)
    assert fit.problem is None
    assert not fit.poor
    assert [p[0] for p in fit.predictions] == [8, 16]
    assert fit.predictions[0][1] == pytest.approx(amdahl_speedup(0.1, 8))
    assert fit.to_dict()["predictions"][0]["predicted"] is True


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noisy_data_gives_an_interval_holding_the_fraction(seed):
    serial, samples = amdahl_samples(0.25, [1, 2, 3, 4], noise=0.05, n=9, seed=seed)
    fit = fit_scaling("process", "none", AMDAHL, serial, samples, observed_ratios(serial, samples), usable_cpus=4)
    assert fit.low is not None
    assert fit.high is not None
    assert fit.low <= 0.25 <= fit.high
    assert fit.low < fit.high
    assert fit.problem is None


def test_data_no_model_explains_is_called_a_poor_fit_and_nothing_is_predicted():
    # Faster at two workers, back to serial's speed at four: neither law bends that way.
    serial = [SERIAL_SECONDS] * 5
    samples = {2: [SERIAL_SECONDS / 1.9] * 5, 4: [SERIAL_SECONDS / 1.0] * 5}
    fit = fit_scaling("thread", "none", AMDAHL, serial, samples, observed_ratios(serial, samples), usable_cpus=4)
    assert fit.poor
    assert fit.problem is not None
    assert fit.problem.startswith("poor fit")
    assert fit.predictions == ()


def test_slower_with_more_workers_is_no_serial_fraction():
    serial = [SERIAL_SECONDS] * 5
    samples = {2: [SERIAL_SECONDS * 2] * 5}
    fit = fit_scaling("thread", "none", AMDAHL, serial, samples, observed_ratios(serial, samples), usable_cpus=4)
    assert fit.poor
    assert "outside 0..1" in (fit.problem or "")


def test_counts_past_the_usable_cpus_are_not_fitted():
    serial, samples = amdahl_samples(0.1, [1, 2, 4])
    samples[4] = [SERIAL_SECONDS] * 7  # oversubscribed: no faster than serial
    fit = fit_scaling("process", "none", AMDAHL, serial, samples, observed_ratios(serial, samples), usable_cpus=2)
    assert fit.fitted_counts == (1, 2)
    assert fit.fraction == pytest.approx(0.1)


def test_no_count_above_one_within_the_cpus_gives_no_fit():
    serial, samples = amdahl_samples(0.1, [1, 4])
    fit = fit_scaling("process", "none", AMDAHL, serial, samples, observed_ratios(serial, samples), usable_cpus=2)
    assert fit.fraction is None
    assert not fit.poor
    assert "nothing to fit" in (fit.problem or "")


# --- the --workers parser --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "counts"),
    [("4", (4,)), ("1,2,4", (1, 2, 4)), ("4, 2,2", (2, 4)), ("1..4", (1, 2, 3, 4)), ("1..3,8", (1, 2, 3, 8))],
)
def test_worker_counts_are_a_list_a_range_or_both(text, counts):
    assert parse_worker_counts(text) == counts


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected worker counts"),
        ("1,,2", "expected worker counts"),
        ("two", "expected worker counts"),
        ("1...4", "expected worker counts"),
        ("0,1", "at least 1"),
        ("4..1", "runs backwards"),
        ("1..100000", "at most"),
    ],
)
def test_bad_worker_counts_are_one_line_and_exit_2(text, message, capsys):
    with pytest.raises(ValueError, match=message):
        parse_worker_counts(text)
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "pi", "--workers", text])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


# --- planning --------------------------------------------------------------------------------------


def test_a_sweep_plans_serial_once_and_every_other_strategy_at_every_count():
    contenders = plan_sweep("pi", ["serial", "thread"], None, (1, 2, 3), params={"n": 1000})
    seen = [(c.strategy, c.sweep_workers, c.plan.workers if c.plan else None) for c in contenders]
    assert seen == [("serial", 1, 1), ("thread", 1, 1), ("thread", 2, 2), ("thread", 3, 3)]
    assert len({c.label for c in contenders}) == 4


def test_scale_size_multiplies_the_first_whole_number_parameter():
    workload = get_host().registry.workloads.get("pi")
    assert size_param(workload) == "n"
    assert scaled_params(workload, {"n": 1000}, 3)["n"] == 3000
    contenders = plan_sweep("pi", ["serial", "thread"], None, (1, 2), params={"n": 1000}, scale_size=True)
    sizes = {(c.strategy, c.sweep_workers): c.plan.params["n"] for c in contenders if c.plan}
    assert sizes == {("serial", 1): 1000, ("thread", 1): 1000, ("thread", 2): 2000}


# --- the table and the JSON on made-up samples -----------------------------------------------------


def fake_sweep_measurement(times: dict[tuple[str, int], list[float]]) -> Measurement:
    contenders = []
    for strategy, workers in times:
        plan = plan_run("pi", strategy, sharing="none", workers=workers, params={"n": 1000})
        contenders.append(Contender("pi", strategy, "none", plan, sweep_workers=workers))
    repeat = max(len(v) for v in times.values())
    measurement = Measurement(contenders, repeat=repeat, warmup=0)
    for index in range(repeat):
        for contender in contenders:
            total = times[(contender.strategy, contender.sweep_workers or 1)][index]
            cpu = CpuUse(wall=total, own=total, outside=0.0)
            measurement.trials.append(Trial(contender, index + 1, False, fake_report(contender, total), cpu))
    measurement.planned = len(measurement.trials)
    return measurement


SWEEP_TIMES = {
    ("serial", 1): [2.00, 2.01, 1.99, 2.00, 2.02],
    ("process", 1): [2.05, 2.04, 2.06, 2.05, 2.05],
    ("process", 2): [1.10, 1.11, 1.09, 1.10, 1.12],
    ("process", 3): [1.30, 1.31, 1.29, 1.30, 1.32],
}


def test_the_sweep_table_shows_speed_up_efficiency_and_oversubscription():
    comparison = analyse(fake_sweep_measurement(SWEEP_TIMES))
    sweep = analyse_sweep(comparison, (1, 2, 3), usable_cpus=2)
    text = render_sweep(sweep)
    lines = text.splitlines()
    assert lines[0] == "scaling over 1, 2, 3 workers (2 usable CPUs)"
    two = next(line for line in lines if line.split()[:3] == ["process", "none", "2"])
    speedup = 2.00 / 1.10
    assert f"{speedup:.2f}x [" in two
    assert f"{speedup / 2:.0%} [" in two
    three = next(line for line in lines if line.split()[:3] == ["process", "none", "3"])
    assert "oversubscribed: 3 workers > 2 usable CPUs" in three
    assert "Amdahl serial fraction" in text
    assert "fitted to 1, 2 workers" in text
    assert "predicted, not measured" in text
    assert "at 6 workers" in text
    assert "efficiency fell from" in text
    assert "take turns on the same cores" in text
    point = next(p for p in sweep.points if p.strategy == "process" and p.workers == 2)
    assert point.efficiency is not None
    assert point.speedup is not None
    assert point.efficiency.value == pytest.approx(point.speedup.value / 2)
    assert point.efficiency.low == pytest.approx((point.speedup.low or 0) / 2)


def test_the_main_table_names_each_worker_count():
    comparison = analyse(fake_sweep_measurement(SWEEP_TIMES))
    from futstrat.report.comparison_view import render_comparison

    text = render_comparison(comparison)
    assert "pi (n=1000), 1, 2, 3 workers" in text
    assert "process x2" in text
    assert "serial x1" in text


def test_the_sweep_goes_into_the_json_and_its_shape_is_checked():
    comparison = analyse(fake_sweep_measurement(SWEEP_TIMES))
    sweep = analyse_sweep(comparison, (1, 2, 3), usable_cpus=2)
    data = comparison_to_dict(comparison)
    data["sweep"] = sweep.to_dict()
    data = json.loads(json.dumps(strict_json(data)))
    assert shape_problem(data) is None
    assert data["sweep"]["workers"] == [1, 2, 3]
    assert [p["workers"] for p in data["sweep"]["points"] if p["strategy"] == "process"] == [1, 2, 3]
    fit = data["sweep"]["fits"][0]
    assert fit["law"] == "amdahl"
    assert fit["fitted_workers"] == [1, 2]
    assert 0 < fit["serial_fraction"]["value"] < 1
    old = {k: v for k, v in data.items() if k != "sweep"}
    assert shape_problem(old) is None
    data["sweep"]["points"][0]["workers"] = "two"
    assert shape_problem(data) == "sweep.points[0].workers should be an integer, got a string 'two'"


# --- a real small sweep ----------------------------------------------------------------------------


def test_a_real_small_sweep_ends_within_its_limit(tmp_path):
    path = tmp_path / "sweep.json"
    done = subprocess.run(
        [sys.executable, "-m", "futstrat", "compare", "pi", "--strategies", "serial,thread", "--workers", "1..2",
         "--param", "n=20000", "--repeat", "2", "--warmup", "0", "--no-core-probe", "--json", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "scaling over 1, 2 workers" in done.stdout
    data = json.loads(path.read_text())
    assert shape_problem(data) is None
    assert data["settings"]["workers"] == [1, 2]
    assert {(p["strategy"], p["workers"]) for p in data["sweep"]["points"]} == {
        ("serial", 1),
        ("thread", 1),
        ("thread", 2),
    }
    assert data["runs"] == {"planned": 6, "done": 6}


def test_one_worker_count_keeps_the_plain_comparison(capsys, tmp_path):
    path = tmp_path / "one.json"
    code = main(["compare", "pi", "--strategies", "serial,thread", "--workers", "2", "--param", "n=2000",
                 "--repeat", "2", "--warmup", "0", "--no-core-probe", "--json", str(path)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "pi (n=2000), 2 workers" in out
    assert "scaling over" not in out
    assert " x2 " not in out
    data = json.loads(path.read_text())
    assert "sweep" not in data
    assert data["settings"]["workers"] == 2
    assert not math.isnan(data["combinations"][0]["statistics"]["total"]["median"])


def test_the_plot_draws_the_sweep(tmp_path):
    pytest.importorskip("matplotlib", reason="plotting is the optional extra futstrat[plot]")
    from futstrat.report.plot import plot_sweep

    comparison = analyse(fake_sweep_measurement(SWEEP_TIMES))
    sweep = analyse_sweep(comparison, (1, 2, 3), usable_cpus=2)
    path = plot_sweep(sweep, "made-up sweep", tmp_path / "sweep.png")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_a_fraction_past_one_whose_interval_reaches_into_range_is_noise_not_a_poor_fit():
    serial = [3.2, 3.6, 4.0, 4.4, 4.8]
    samples = {2: [3.4, 3.9, 4.4, 4.9, 5.4]}  # a little slower than serial at two workers, within the noise
    fit = fit_scaling("process", "none", AMDAHL, serial, samples, observed_ratios(serial, samples), usable_cpus=2)
    assert fit.fraction is not None
    assert fit.fraction > 1.0
    assert fit.low is not None
    assert fit.low < 1.0
    assert fit.problem is None
    assert all(p[1] == pytest.approx(1.0) for p in fit.predictions)  # clamped to a fraction of 1


def test_a_diff_of_two_sweeps_sets_each_worker_count_against_its_own():
    from futstrat.report.diff import diff_runs

    old = comparison_to_dict(analyse(fake_sweep_measurement(SWEEP_TIMES)))
    slower = {key: [t * 1.5 for t in times] for key, times in SWEEP_TIMES.items()}
    slower[("process", 2)] = SWEEP_TIMES[("process", 2)]
    new = comparison_to_dict(analyse(fake_sweep_measurement(slower)))
    diff = diff_runs(old, new)
    by_strategy = {change.key[1]: change for change in diff.changes}
    assert set(by_strategy) == {"serial x1", "process x1", "process x2", "process x3"}
    assert by_strategy["process x2"].ratio is not None
    assert not by_strategy["process x2"].ratio.significant
    assert by_strategy["process x3"].ratio is not None
    assert by_strategy["process x3"].ratio.value == pytest.approx(1.5)


def test_a_plain_comparison_keeps_no_worker_count_in_its_json():
    comparison = analyse(fake_sweep_measurement(SWEEP_TIMES))
    assert all("sweep_workers" in c for c in comparison_to_dict(comparison)["combinations"])
    from tests.test_measure_analysis import FIVE, fake_measurement

    plain = comparison_to_dict(analyse(fake_measurement(FIVE)))
    assert all("sweep_workers" not in c for c in plain["combinations"])


def test_scale_size_fits_gustafsons_law_on_a_real_small_sweep(capsys):
    code = main(["compare", "pi", "--strategies", "serial,thread", "--workers", "1,2", "--scale-size",
                 "--param", "n=4000", "--repeat", "2", "--warmup", "0", "--no-core-probe"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "the size parameter n grown with the workers" in out
    assert "speed-up vs serial (scaled)" in out
    assert "Gustafson's law fitted" in out


def test_scale_size_on_a_workload_without_a_size_is_one_line_and_exit_2(capsys):
    code = main(["compare", "deadlock", "--strategies", "thread", "--workers", "1,2", "--scale-size"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--scale-size needs a workload with a whole-number size parameter" in err
    assert len(err.strip().splitlines()) == 1


def test_the_diagnosis_names_each_worker_count_of_a_sweep():
    from futstrat.measure.diagnosis import Finding, sentence

    findings = [Finding("process", "none", "start-up-bound", "start-up takes 37% of its total time", {})]
    assert sentence(findings) == "process: start-up takes 37% of its total time"
    assert sentence(findings, "process x2") == "process x2: start-up takes 37% of its total time"
    shared = [Finding("process", "shm", "start-up-bound", "start-up takes most", {})]
    assert sentence(shared, "process x4") == "process x4 (sharing shm): start-up takes most"


def test_the_noise_warning_of_a_sweep_names_each_worker_count():
    noisy = {key: [t * f for t, f in zip(times, (1.0, 1.3, 0.8, 1.25, 0.85))] for key, times in SWEEP_TIMES.items()}
    comparison = analyse(fake_sweep_measurement(noisy))
    warning = next(w for w in comparison.warnings if w.startswith("noisy:"))
    assert warning.endswith(": process x2, process x3, serial x1, process x1")


def test_a_combination_is_named_by_strategy_worker_count_and_sharing_other_than_none():
    assert Contender("pi", "process", "none", None).short_name == "process"
    assert Contender("pi", "process", None, None, sweep_workers=2).short_name == "process x2"
    assert Contender("counter", "thread", "shm", None, sweep_workers=4).short_name == "thread x4 (sharing shm)"
    assert Contender("counter", "thread", "value", None).short_name == "thread (sharing value)"


# --- sweeps from Python ----------------------------------------------------------------------------


def test_compare_sweeps_worker_counts_from_python():
    from futstrat.measure import compare

    comparison = compare(
        "pi", ["serial", "thread"], workers=[2, 1, 2], params={"n": 20000}, repeat=2, warmup=0, timeout=60,
        probe_cores=False,
    )  # fmt: skip
    sweep = comparison.sweep
    assert sweep is not None
    assert sweep.counts == (1, 2)
    assert sweep.law == AMDAHL
    assert [(p.strategy, p.workers) for p in sweep.points] == [("serial", 1), ("thread", 1), ("thread", 2)]
    assert all(p.speedup is not None and p.efficiency is not None for p in sweep.points)
    (fit,) = sweep.fits
    assert (fit.strategy, fit.sharing) == ("thread", "none")
    assert sorted(r.contender.short_name for r in comparison.ranked) == ["serial x1", "thread x1", "thread x2"]
    assert render_sweep(sweep).startswith("scaling over 1, 2 workers")
    assert len(comparison.measurement.trials) == 6


def test_compare_grows_the_size_with_the_workers_from_python():
    from futstrat.measure import compare

    comparison = compare(
        "pi", ["serial", "thread"], workers=range(1, 3), params={"n": 4000}, scale_size=True, repeat=2, warmup=0,
        timeout=60, probe_cores=False,
    )  # fmt: skip
    assert comparison.sweep is not None
    assert (comparison.sweep.law, comparison.sweep.size_param) == (GUSTAFSON, "n")
    sizes = {(c.strategy, c.sweep_workers): c.plan.params["n"] for c in comparison.measurement.contenders if c.plan}
    assert sizes == {("serial", 1): 4000, ("thread", 1): 4000, ("thread", 2): 8000}


def test_one_worker_count_from_python_keeps_the_plain_comparison():
    from futstrat.measure import compare

    comparison = compare("pi", ["serial"], workers=2, params={"n": 2000}, repeat=1, warmup=0, probe_cores=False)
    assert comparison.sweep is None
    assert comparison.measurement.contenders[0].sweep_workers is None


@pytest.mark.parametrize(
    ("workers", "message"),
    [
        ([], "at least one worker count"),
        ((), "at least one worker count"),
        ([0, 2], "worker counts must be at least 1, got 0"),
        ([1, -3], "worker counts must be at least 1, got -3"),
        ([1, 100_000], "worker counts must be at most"),
        ([1, 2.5], "worker counts must be whole numbers, got 2.5"),
        ([True, 2], "worker counts must be whole numbers, got True"),
        ("1,2", "a whole number or a sequence of them"),
        (2.5, "a whole number or a sequence of them"),
    ],
)
def test_bad_worker_counts_from_python_are_refused_before_anything_runs(workers, message):
    from futstrat.errors import UsageError
    from futstrat.measure import compare

    with pytest.raises(UsageError, match=re.escape(message)):
        compare("pi", ["serial", "thread"], workers=workers, repeat=1, warmup=0, probe_cores=False)


def test_a_sweep_beside_options_that_name_workers_is_refused():
    from futstrat import RunOptions
    from futstrat.errors import UsageError
    from futstrat.measure import compare

    with pytest.raises(UsageError, match=r"leave RunOptions\.workers unset"):
        compare("pi", ["thread"], workers=[1, 2], options=RunOptions(workers=2), repeat=1, warmup=0)
    contenders = plan_sweep("pi", ["thread"], None, (1, 2), options=RunOptions(timeout=30))
    assert [c.plan.timeout for c in contenders if c.plan] == [30.0, 30.0]
