"""``futstrat compare`` end to end, on tiny workloads."""

from __future__ import annotations

import csv
import errno
import json
import multiprocessing
import os
import stat
import subprocess
import sys

import pytest

from futstrat.cli import main
from futstrat.report import csvfile, files
from futstrat.report.jsonfile import load_json, write_json
from tests.test_diff import run_futstrat_capped

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

    def interrupted_on_the_fourth_run(plan, host=None, observer=None):
        calls.append(plan.strategy.name)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_execute(plan, host, observer)

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


@pytest.fixture
def no_measuring(monkeypatch):
    """Any run at all fails the test: what is checked must be checked before measuring."""
    from futstrat.measure import trials

    def must_not_run(plan, host=None, observer=None):
        raise AssertionError("measured although the command line could not work")

    monkeypatch.setattr(trials, "execute", must_not_run)


def _special_outputs(tmp_path, suffix):
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    to_null = tmp_path / f"to-null{suffix}"
    to_null.symlink_to(os.devnull)
    outputs = {
        str(fifo): f"cannot write {fifo}: it is a FIFO (named pipe), not a regular file",
        str(to_null): f"cannot write {to_null}: it is a character device, not a regular file",
        str(tmp_path / "missing" / f"run{suffix}"): "the folder",
    }
    for system in ("/proc", "/sys"):
        if os.path.isdir(system):
            outputs[f"{system}/futstrat-run{suffix}"] = f"cannot write {system}/futstrat-run{suffix}: "
    return outputs


@pytest.mark.parametrize(("option", "suffix"), [("--json", ".json"), ("--csv", ".csv"), ("--plot", ".png")])
def test_an_output_that_cannot_be_written_is_refused_before_measuring(option, suffix, tmp_path, capsys, no_measuring):
    if option == "--plot":
        pytest.importorskip("matplotlib", reason="plotting is the optional extra futstrat[plot]")
    for path, message in _special_outputs(tmp_path, suffix).items():
        assert main(["compare", "pi", "--strategies", "serial", *TINY, option, path]) == 2
        err = capsys.readouterr().err
        assert err.startswith("futstrat: error: ")
        assert message in err
        assert len(err.splitlines()) == 1, err
    assert stat.S_ISFIFO((tmp_path / f"pipe{suffix}").stat().st_mode)
    assert (tmp_path / f"to-null{suffix}").is_symlink()
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_two_outputs_naming_one_file_are_refused_before_measuring(tmp_path, capsys, no_measuring):
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "run.json")
    assert main(["compare", "pi", *TINY, "--json", str(tmp_path / "run.json"), "--csv", str(link)]) == 2
    err = capsys.readouterr().err
    assert err == f"futstrat: error: --json and --csv name the same file, {link}: give each its own\n"
    assert list(tmp_path.iterdir()) == [link]


def test_a_damaged_baseline_is_refused_before_measuring(tmp_path, capsys, no_measuring):
    baseline = tmp_path / "old.json"
    baseline.write_text(json.dumps({"schema": "futstrat-compare", "schema_version": 1, "combinations": [1, 2]}))
    assert main(["compare", "pi", "--strategies", "serial", *TINY, "--baseline", str(baseline)]) == 2
    err = capsys.readouterr().err
    assert err == f"futstrat: error: {baseline} is damaged: combinations[0] should be an object, got an integer 1\n"
    capped = run_futstrat_capped("compare", "pi", "--strategies", "serial", *TINY, "--baseline", "/dev/zero")
    assert capped.returncode == 2
    assert capped.stderr == "futstrat: error: cannot read /dev/zero: it is a character device, not a file\n"
    assert capped.stdout == ""


def test_a_symlinked_output_is_written_through_and_a_replaced_file_keeps_its_mode(tmp_path, capsys):
    (tmp_path / "store").mkdir()
    real = tmp_path / "store" / "run.json"
    real.write_text("{}")
    real.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    table = tmp_path / "run.csv"
    table.write_text("")
    table.chmod(0o604)
    assert main(["compare", "pi", "--strategies", "serial", *TINY, "--json", str(link), "--csv", str(table)]) == 0
    assert f"wrote {link}, {table}" in capsys.readouterr().err
    assert link.is_symlink()
    assert load_json(real)["runs"]["done"] == 3
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert stat.S_IMODE(table.stat().st_mode) == 0o604
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "run.csv", "store"]


def test_when_the_files_cannot_be_written_at_the_end_the_table_is_printed_and_the_json_kept(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()

    def disk_full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "replace", disk_full)  # the checks before measuring pass; the final write fails
    code = main(["compare", "pi", "--strategies", "serial", *TINY, "--json", "out/run.json", "--csv", "out/run.csv"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "ranked by median total time" in out
    assert "futstrat: error: cannot write out/run.json: No space left on device" in err
    assert "futstrat: error: cannot write out/run.csv: No space left on device" in err
    assert "Traceback" not in err
    (kept,) = tmp_path.glob("futstrat-compare-*.json")
    assert f"futstrat: warning: the results are kept in {kept.name} instead" in err
    assert load_json(kept)["runs"]["done"] == 3
    assert list((tmp_path / "out").iterdir()) == []


def test_when_only_the_csv_fails_the_json_holds_the_results(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def disk_full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(csvfile, "write_atomically", disk_full)
    code = main(["compare", "pi", "--strategies", "serial", *TINY, "--json", "run.json", "--csv", "run.csv"])
    err = capsys.readouterr().err
    assert code == 1
    assert "wrote run.json" in err
    assert "cannot write run.csv: No space left on device" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]  # nothing kept elsewhere: the JSON is there


def _interrupt_on_the_fourth_run(monkeypatch):
    from futstrat.measure import trials

    real_execute, calls = trials.execute, []

    def interrupted_on_the_fourth_run(plan, host=None, observer=None):
        calls.append(plan.strategy.name)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_execute(plan, host, observer)

    monkeypatch.setattr(trials, "execute", interrupted_on_the_fourth_run)


def test_ctrl_c_keeps_a_complete_result_and_writes_the_partial_one_beside_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["compare", "pi", "--strategies", "serial,thread", *TINY, "--json", "run.json", "--csv", "run.csv"]
    assert main(args) == 0
    complete_json, complete_csv = (tmp_path / "run.json").read_bytes(), (tmp_path / "run.csv").read_bytes()
    capsys.readouterr()
    _interrupt_on_the_fourth_run(monkeypatch)
    assert main(args) == 130
    err = capsys.readouterr().err
    assert (tmp_path / "run.json").read_bytes() == complete_json
    assert (tmp_path / "run.csv").read_bytes() == complete_csv
    partial = load_json(tmp_path / "run.partial.json")
    assert partial["partial"] is True
    assert partial["runs"] == {"planned": 6, "done": 3}
    assert len(list(csv.DictReader((tmp_path / "run.partial.csv").open()))) == 3
    assert (
        "futstrat: warning: interrupted: wrote the partial result to run.partial.json, run.partial.csv;"
        " run.json, run.csv are kept as before" in err
    )
    assert "wrote run.json" not in err


def test_a_partial_result_replaces_an_earlier_partial_one(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _interrupt_on_the_fourth_run(monkeypatch)
    write_json(tmp_path / "run.json", {"schema": "futstrat-compare", "schema_version": 1, "partial": True,
                                       "combinations": []})  # fmt: skip
    assert main(["compare", "pi", "--strategies", "serial,thread", *TINY, "--json", "run.json"]) == 130
    assert "wrote run.json" in capsys.readouterr().err
    assert load_json(tmp_path / "run.json")["runs"] == {"planned": 6, "done": 3}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_a_partial_result_never_replaces_a_file_it_cannot_read(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _interrupt_on_the_fourth_run(monkeypatch)
    (tmp_path / "run.json").write_text("notes of mine")
    assert main(["compare", "pi", "--strategies", "serial,thread", *TINY, "--json", "run.json"]) == 130
    assert "wrote the partial result to run.partial.json; run.json is kept as before" in capsys.readouterr().err
    assert (tmp_path / "run.json").read_text() == "notes of mine"
    assert load_json(tmp_path / "run.partial.json")["partial"] is True
