"""``futstrat compare`` end to end, on tiny workloads."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import subprocess
import sys

import pytest

from futstrat.cli import main
from futstrat.report.jsonfile import load_json

TINY = ["--param", "n=2000", "--workers", "2", "--repeat", "2", "--warmup", "1", "--timeout", "30"]


def test_compare_prints_a_ranked_plain_table_and_saves_json_and_csv(tmp_path, capsys):
    json_path, csv_path = tmp_path / "run.json", tmp_path / "run.csv"
    code = main(["compare", "pi", "--strategies", "serial,thread,process", *TINY, "--json", str(json_path),
                 "--csv", str(csv_path)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "\x1b" not in out
    assert "\r" not in out
    assert "pi (n=2000), 2 workers" in out
    assert "ranked by median total time" in out
    ranked = sorted(line.split()[1] for line in out.splitlines() if line[:1].isdigit())
    assert ranked == ["process", "serial", "thread"]
    assert "fastest: " in out
    assert f"wrote {json_path}, {csv_path}" in err
    data = load_json(json_path)
    assert data["runs"] == {"planned": 9, "done": 9}
    assert {c["strategy"] for c in data["combinations"]} == {"serial", "thread", "process"}
    process = next(c for c in data["combinations"] if c["strategy"] == "process")
    assert process["start_method"] in ("fork", "spawn", "forkserver")
    assert all(s["ok"] and s["check"] for s in process["samples"])
    assert len(list(csv.DictReader(csv_path.open()))) == 9


def test_refused_combinations_are_listed_with_their_reasons(capsys):
    code = main(["compare", "pi", "--strategies", "serial", "--sharing", "none,manager", *TINY])
    out = capsys.readouterr().out
    assert code == 0
    assert "refused, not measured (1):" in out
    assert "pi x serial x manager: 'pi' shares no state" in out


def test_a_failing_combination_is_reported_and_the_exit_code_says_so(capsys):
    code = main(["compare", "deadlock", "--strategies", "thread,process", "--param", "delay=0.01", "--workers", "2",
                 "--repeat", "1", "--warmup", "0", "--timeout", "30"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "failed runs (their times are not ranked):" in out
    assert "deadlock x thread x none: 1 of 1 runs failed; first: deadlock" in out
    assert "futures are not shared between processes" in out  # the refusal of the process strategy


def test_nothing_to_measure_is_a_usage_error(capsys):
    assert main(["compare", "deadlock", "--strategies", "serial,process", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "every combination is refused" in err
    assert "deadlock x process" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategies", "proces"], "did you mean 'process'"),
        (["--sharing", "valu"], "did you mean 'value'"),
        (["--repeat", "0"], "must be at least 1"),
        (["--warmup", "-1"], "must be 0 or more"),
        (["--plot", "chart.txt"], "writes .png, .svg, .pdf files"),
        (["--json", "no/such/folder/x.json"], "does not exist"),
        (["--baseline", "missing.json"], "no such file"),
        (["--param", "n=0"], "must be at least 1"),
    ],
)
def test_mistakes_are_caught_before_measuring(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["compare", "pi", *args])
    except SystemExit as exc:  # argparse's own checks end there
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "runs" not in err
    assert "Traceback" not in err


def test_the_baseline_diff_follows_the_table(tmp_path, capsys):
    baseline = tmp_path / "old.json"
    assert main(["compare", "pi", "--strategies", "serial", *TINY, "--json", str(baseline)]) == 0
    capsys.readouterr()
    assert main(["compare", "pi", "--strategies", "serial,thread", *TINY, "--baseline", str(baseline)]) == 0
    out = capsys.readouterr().out
    assert "median total time, now against baseline" in out
    assert "only in the new run" in out  # thread


def test_ctrl_c_writes_the_samples_so_far_marked_partial(tmp_path, capsys, monkeypatch):
    from futstrat.measure import trials

    real_execute, calls = trials.execute, []

    def interrupted_on_the_fourth_run(plan, host=None):
        calls.append(plan.strategy.name)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_execute(plan, host)

    monkeypatch.setattr(trials, "execute", interrupted_on_the_fourth_run)
    path = tmp_path / "partial.json"
    code = main(["compare", "pi", "--strategies", "serial,thread", *TINY, "--json", str(path)])
    out, err = capsys.readouterr()
    assert code == 130
    assert "interrupted after 3 of 6 runs" in err
    assert "warning: interrupted: 3 of 6 runs finished" in out
    data = json.loads(path.read_text())
    assert data["partial"] is True
    assert data["runs"] == {"planned": 6, "done": 3}
    assert sum(len(c["samples"]) for c in data["combinations"]) == 3


def test_the_plot_is_written_when_matplotlib_is_there(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="plotting is the optional extra futstrat[plot]")
    path = tmp_path / "phases.png"
    assert main(["compare", "pi", "--strategies", "serial,thread", *TINY, "--plot", str(path)]) == 0
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_a_pipe_gets_no_progress_bar_and_no_colours():
    result = subprocess.run(
        [sys.executable, "-m", "futstrat", "compare", "pi", "--strategies", "serial", *TINY],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TERM": "xterm"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout + result.stderr
    assert "runs" not in result.stderr  # the progress bar only draws on a terminal


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_other_start_methods_are_measured_and_recorded(method, tmp_path, capsys):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not offered here")
    path = tmp_path / "run.json"
    args = ["--param", "n=2000", "--workers", "2", "--repeat", "1", "--warmup", "0", "--timeout", "60"]
    assert main(["compare", "pi", "--strategies", "process", "--start-method", method, *args, "--json", str(path)]) == 0
    assert f"start method {method}" in capsys.readouterr().out
    (combination,) = load_json(path)["combinations"]
    assert combination["start_method"] == method
    assert combination["samples"][0]["own_cpu"] is not None
