"""The command line as a user meets it: exit codes, JSON, and one clear line for every mistake."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from futstrat.cli import main

from .cli_process import run_futstrat as futstrat


def test_run_pi_on_a_pool_prints_a_checked_answer():
    result = futstrat("run", "pi", "--strategy", "pool-map", "--param", "n=200000", "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "check   passed" in result.stdout
    for phase in ("start-up", "compute", "shutdown"):
        assert phase in result.stdout
    assert result.stderr == ""


def test_run_json_is_the_report():
    result = futstrat(
        "run", "counter", "--strategy", "process", "--workers", "2", "--param", "increments=100", "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "passed"
    assert report["value"] == 200
    assert report["sharing"] == "value"
    assert report["start_method"]
    assert set(report["timings"]) == {"startup", "compute", "shutdown", "total"}


def test_run_honours_the_start_method():
    result = futstrat("run", "pi", "--strategy", "process", "--start-method", "spawn", "--param", "n=1000", "--json")
    assert json.loads(result.stdout)["start_method"] == "spawn"


def test_a_deadlock_exits_1_and_says_so():
    result = futstrat("run", "deadlock", "--strategy", "thread", "--workers", "2", "--timeout", "20")
    assert result.returncode == 1
    assert "DEADLOCK" in result.stdout
    assert "task 0 waits on task 1's future" in result.stdout


def test_the_timeout_ends_a_run_that_takes_too_long():
    result = futstrat("run", "sleep", "--strategy", "thread", "--param", "seconds=30", "--param", "tasks=2",
                      "--timeout", "0.5")  # fmt: skip
    assert result.returncode == 1
    assert "TIMEOUT" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "pie", "--strategy", "thread"], "unknown workload 'pie'; did you mean 'pi'?"),
        (["run", "pi", "--strategy", "procces"], "did you mean 'process'"),
        (["run", "pi", "--strategy", "thread", "--sharing", "valu"], "did you mean 'value'"),
        (["run", "pi", "--param", "n=0"], "parameter n must be at least 1, got 0"),
        (["run", "pi", "--param", "n=many"], "parameter n takes a whole number, not 'many'"),
        (["run", "pi", "--param", "n=1e30"], "parameter n must be at most"),
        (["run", "pi", "--param", "m=10"], "unknown parameter 'm' of workload 'pi' (known: n, tasks)"),
        (["run", "pi", "--param", "n"], "--param takes name=value"),
        (["run", "pi", "--workers", "0"], "must be at least 1"),
        (["run", "pi", "--timeout", "-1"], "positive number of seconds"),
        (["run", "pi", "--strategy", "process", "--sharing", "value"], "shares no state"),
        (["run", "deadlock", "--strategy", "process"], "futures are not shared between processes"),
        (["run", "nowhere.module:thing"], "cannot import 'nowhere.module'"),
        (["run"], "name a workload"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_mistakes_exit_2_with_one_clear_line(args, words, capsys):
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main(args))
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback():
    result = futstrat("--debug", "run", "pi", "--strategy", "nope")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_list_json_names_everything_with_capabilities():
    result = futstrat("list", "--json")
    assert result.returncode == 0
    listing = json.loads(result.stdout)
    strategies = {s["name"]: s for s in listing["strategies"]}
    assert {"serial", "thread", "process", "process-map", "pool-map", "pool-imap", "pool-async"} <= set(strategies)
    assert "crosses-processes" in strategies["pool-async"]["capabilities"]
    assert "shares-futures" in strategies["thread"]["capabilities"]
    assert {s["name"] for s in listing["sharing"]} >= {"none", "value", "manager"}
    pi = next(w for w in listing["workloads"] if w["name"] == "pi")
    n = {"name": "n", "type": "int", "default": 10_000_000, "help": "number of terms of the series", "minimum": 1}
    assert n.items() <= next(p for p in pi["params"] if p["name"] == "n").items()
    for kind in listing.values():
        assert all(entry["description"] and "\n" not in entry["description"] for entry in kind)


def test_list_and_plugins_read_plainly():
    listing = futstrat("list").stdout
    assert "pool-imap" in listing
    assert "Sharing backends" in listing
    plugins = futstrat("plugins").stdout
    assert "futstrat.builtin.strategies" in plugins
    assert "register_strategies" in plugins
    assert "\x1b" not in listing + plugins


def test_serial_reports_the_one_worker_it_runs_on_and_the_same_tasks_as_the_others(capsys):
    assert main(["run", "pi", "--strategy", "serial", "--workers", "2", "--param", "n=1000"]) == 0
    serial = capsys.readouterr().out.splitlines()[0]
    assert main(["run", "pi", "--strategy", "thread", "--workers", "2", "--param", "n=1000"]) == 0
    thread = capsys.readouterr().out.splitlines()[0]
    assert "(sharing none, 1 worker, 8 tasks" in serial
    assert "(sharing none, 2 workers, 8 tasks" in thread


def test_the_listing_says_chunks_travel_where_they_do():
    listing = futstrat("list").stdout
    assert "per task" not in listing
    assert "ThreadPoolExecutor, one submit() per chunk of tasks" in listing


def test_plugins_json_lists_hooks_distribution_and_errors():
    plugins = json.loads(futstrat("plugins", "--json").stdout)
    builtin = next(p for p in plugins if p["name"] == "futstrat.builtin.workloads")
    assert builtin["distribution"] == "futstrat"
    assert builtin["hooks"] == ["futstrat_register_workloads"]
    assert builtin["error"] is None


def test_pi_answer_is_within_the_series_bound():
    result = futstrat("run", "pi", "--strategy", "pool-async", "--param", "n=100000", "--json")
    value = json.loads(result.stdout)["value"]
    assert abs(value - math.pi) <= 4 / (2 * 100_000 + 1)


def test_a_reader_that_goes_away_gets_no_traceback():
    process = subprocess.Popen(
        [sys.executable, "-m", "futstrat", "run", "pi", "--param", "n=1000", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.close()  # like `futstrat run ... | head -0`: gone before the report is written
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err
    assert process.returncode == 1
