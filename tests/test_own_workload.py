"""A user's own workload, first class: its errors keep their traceback, its answer is shown briefly and
honestly (unchecked when there is nothing to check it against), its reducers and parameters work, and
its module is found from the project folder."""

from __future__ import annotations

import collections
import json
import multiprocessing
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import futstrat
from futstrat.cli.run_command import format_report
from futstrat.errors import UnknownNameError
from futstrat.model import RunStatus
from futstrat.report.answer import answer_lines

from .cli_process import run_futstrat

OWN = "tests.user_workloads.own_code"
METHODS = [m for m in ("spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


# -- errors in the workload's own code keep their traceback ------------------------------------------


def line_of(text: str) -> int:
    """The line of the user's module that holds ``text``."""
    lines = Path(__file__).with_name("user_workloads").joinpath("own_code.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize(
    ("name", "phase", "error", "marker"),
    [
        ("broken_items", "items", "IndexError: list index out of range", "[[]][0][0]"),
        ("broken_combine", "combine", "IndexError: list index out of range", "[total][1]"),
        ("broken_check", "check", "KeyError: 'missing'", '{}["missing"]'),
        ("BrokenTasks", "tasks", "ValueError: no third task", "no third task"),
    ],
)
def test_an_error_in_the_workloads_own_code_names_its_file_and_line(name, phase, error, marker):
    line = line_of(marker)
    report = futstrat.run(f"{OWN}:{name}", "process", workers=2, timeout=60)
    assert report.status is RunStatus.ERROR
    where = f"{Path('tests', 'user_workloads', 'own_code.py')}:{line}"
    assert report.error == f"{phase} raised {error} ({where})"
    assert report.failed_in == phase
    assert report.traceback is not None
    assert f'own_code.py", line {line}' in report.traceback
    assert report.traceback.endswith(error)
    assert "futstrat/engine/execution.py" not in report.traceback  # the user's frames, not the runner's


def test_the_traceback_of_the_workloads_code_is_in_the_json_and_shown_with_debug():
    as_json = run_futstrat("run", f"{OWN}:broken_combine", "--json", timeout=60)
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    line = line_of("[total][1]")
    assert f'own_code.py", line {line}, in _combine_badly' in data["traceback"]
    assert data["failed_in"] == "combine"
    plain = run_futstrat("run", f"{OWN}:broken_combine", timeout=60)
    assert (
        f"combine raised IndexError: list index out of range (tests/user_workloads/own_code.py:{line})" in plain.stdout
    )
    assert "Traceback" not in plain.stdout + plain.stderr
    debug = run_futstrat("--debug", "run", f"{OWN}:broken_combine", timeout=60)
    assert debug.returncode == 1
    assert "traceback of combine:" in debug.stdout
    assert "return [total][1]" in debug.stdout


# -- an answer with nothing to check it against is unchecked, not passed -----------------------------


def test_without_expected_the_run_is_unchecked_and_still_ok():
    report = futstrat.run(f"{OWN}:no_expected", "thread", workers=2)
    assert report.status is RunStatus.UNCHECKED
    assert report.ok
    assert report.check is not None
    assert not report.check.checked
    assert not report.check.passed
    assert report.tasks_per_second is not None
    data = report.to_dict()
    assert (data["status"], data["ok"], data["check"]["checked"]) == ("unchecked", True, False)
    assert "  check   unchecked: no expected value was given" in format_report(report)


def test_an_unchecked_run_exits_0_and_compare_counts_it_as_ok(tmp_path):
    result = run_futstrat("run", f"{OWN}:no_expected", timeout=60)
    assert result.returncode == 0
    assert "check   unchecked: no expected value was given" in result.stdout
    out = tmp_path / "compare.json"
    compared = run_futstrat(
        "compare", f"{OWN}:no_expected", "--strategies", "serial,thread", "--workers", "2",
        "--repeat", "1", "--warmup", "0", "--json", str(out), timeout=120,
    )  # fmt: skip
    assert compared.returncode == 0, compared.stdout + compared.stderr
    combinations = json.loads(out.read_text())["combinations"]
    assert [c["failures"] for c in combinations] == [0, 0]
    assert {s["status"] for c in combinations for s in c["samples"]} == {"unchecked"}


# -- a long answer is shortened on the screen, whole in the JSON -------------------------------------


def test_a_long_answer_is_shortened_with_its_size_and_kept_whole_in_json():
    report = futstrat.run(f"{OWN}:many_entries", "serial")
    text = format_report(report)
    answer = [line for line in text.splitlines() if line.startswith(("  answer", "          "))]
    assert len(answer) <= 8
    assert answer[-1].strip() == "... (dict of 50 entries)"
    assert len(report.to_dict()["value"]) == 50


def test_a_short_answer_stays_on_one_line():
    assert answer_lines(45) == ["45"]
    assert answer_lines(list(range(3))) == ["[0, 1, 2]"]
    assert answer_lines(list(range(1000)))[-1] == "... (list of 1,000 items)"
    assert answer_lines("x" * 500)[0].endswith("... (str of 500 characters)")


# -- combine takes the common reducers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("counted", 30),
        ("sorted_answer", [0, 1, 2, 3, 4]),
        ("largest", 4),
        ("tallied", collections.Counter(range(6))),
        ("read_twice", (10, 4)),
    ],
)
def test_combine_takes_len_sorted_max_counter_and_a_function_that_reads_twice(name, value):
    report = futstrat.run(f"{OWN}:{name}", "process", workers=2, timeout=60)
    assert report.ok, report.error
    assert report.value == value


def test_a_reducer_that_cannot_take_a_stream_is_told_the_fix():
    report = futstrat.run(f"{OWN}:streamed_len", "serial")
    assert report.status is RunStatus.ERROR
    assert "has no len()" in (report.error or "")
    assert "fold them in one pass, or make a list of them first" in (report.error or "")


def test_many_results_still_stream_to_combine():
    from futstrat.function_workload import LISTED_RESULTS_LIMIT, _listed_if_few

    few = _listed_if_few(iter(range(10)), 10)
    assert isinstance(few, list)
    many = _listed_if_few(iter(range(11)), 10)
    assert not isinstance(many, list)
    assert list(many) == list(range(11))
    assert LISTED_RESULTS_LIMIT >= 10_000


# -- parameters reach the function; unknown ones are refused -----------------------------------------


def test_keyword_parameters_of_the_function_are_workload_parameters():
    workload = futstrat.plan_run(f"{OWN}:scaled").workload
    assert {p.name: (p.kind, p.default) for p in workload.params} == {
        "factor": (int, 1),
        "label": (str, "x"),
        "n": (int, 4),
    }


@pytest.mark.parametrize("strategy", ["serial", "process", "pool-map"])
def test_a_param_reaches_the_function_in_every_worker(strategy):
    report = futstrat.run(f"{OWN}:scaled", strategy, workers=2, params={"factor": "3", "label": "y"}, timeout=60)
    assert report.ok, report.error
    assert report.value == ["y0", "y3", "y6", "y9"]


def test_declared_params_reach_the_function_too():
    @futstrat.workload(params={"rounds": 2, "n": 3}, combine=list)
    def repeat(i, rounds=1):
        return [i] * rounds

    assert futstrat.run(repeat, "serial", params={"rounds": 3}).value == [[0] * 3, [1] * 3, [2] * 3]


def test_an_undeclared_param_is_refused_with_the_known_ones():
    with pytest.raises(UnknownNameError, match=r"unknown parameter 'rounds'.*known: factor, label, n"):
        futstrat.plan_run(f"{OWN}:scaled", params={"rounds": 3})
    result = run_futstrat("run", f"{OWN}:scaled", "--param", "rounds=3", timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "known: factor, label, n" in result.stderr


# -- the module is found from the project folder -----------------------------------------------------

PROJECT_MODULE = """
import futstrat


@futstrat.workload(params={"n": 20}, combine=sum, expected=lambda p: sum(range(p["n"])))
def count(i):
    return i
"""


@pytest.mark.parametrize("start_method", ["fork", *METHODS])
def test_a_module_in_the_current_directory_is_found_by_parent_and_workers(tmp_path, start_method):
    (tmp_path / "mywork").mkdir()
    (tmp_path / "mywork" / "__init__.py").write_text("")
    (tmp_path / "mywork" / "loads.py").write_text(textwrap.dedent(PROJECT_MODULE))
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # The console script, as a user types it: ``python -m futstrat`` would put the folder on the path itself.
    script = Path(sys.executable).parent / "futstrat"
    if not script.exists():
        pytest.skip("the futstrat console script is not installed beside this Python")
    result = subprocess.run(
        [str(script), "run", "mywork.loads:count", "--strategy", "process", "--workers", "2",
         "--start-method", start_method],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check   passed" in result.stdout


# -- a decorated function dispatches like a built-in one ---------------------------------------------


def test_chunks_of_a_decorated_function_carry_the_function_itself_by_name():
    """Workers call the user's function straight, not through the workload object (which cost four
    times the call), and it travels by reference: module and name, never by value."""
    import pickle

    from futstrat.engine.chunking import ChunkSource
    from futstrat.engine.workers import Chunk
    from futstrat.model import PlanContext

    from .user_workloads import squares

    tasks = squares.square.tasks({"n": 10}, PlanContext(2, "none", "pool-map"))
    chunk = ChunkSource(tasks).take(4)
    assert isinstance(chunk, Chunk)
    assert chunk.fn is squares.square.__wrapped__
    assert not isinstance(chunk.fn, futstrat.Workload)
    sent = pickle.dumps(chunk)
    assert b"square.__wrapped__" in sent
    assert len(sent) < 200
    assert pickle.loads(sent).fn is chunk.fn


def test_a_task_of_a_decorated_function_is_described_by_its_own_name():
    from futstrat.model import PlanContext, describe_call

    from .user_workloads import squares

    task = squares.square.tasks({"n": 3}, PlanContext(1, "none", "serial"))[1]
    assert describe_call(task) == "square(1)"


# -- a script without the main guard is told about it ------------------------------------------------

UNGUARDED_SCRIPT = """
import sys
import futstrat


@futstrat.workload(params={"n": 10}, combine=sum)
def identity(i):
    return i


report = futstrat.run(identity, "process", workers=1, start_method=sys.argv[1], timeout=60)
print(report.status.value)
"""


@pytest.mark.parametrize("start_method", METHODS)
def test_a_script_that_runs_without_the_main_guard_is_told_to_add_it(tmp_path, start_method):
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), start_method], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert 'only under `if __name__ == "__main__":`' in result.stderr
    assert "bootstrapping phase" not in result.stderr
    assert result.stdout.strip() == "error"  # the parent's run ends: its worker could not start


@pytest.mark.parametrize("strategy", ["serial", "thread"])
def test_a_task_that_raises_in_this_process_keeps_its_traceback(strategy):
    report = futstrat.run("tests.user_workloads.squares:failing", strategy, workers=2, params={"n": 4})
    assert report.status is RunStatus.ERROR
    assert report.traceback is not None
    assert 'squares.py", line' in report.traceback
    assert "in raise_value_error" in report.traceback
    # Every item fails; with two threads, whichever fails first ends the run.
    assert re.search(r"ValueError: item [01] is not welcome$", report.traceback), report.traceback
