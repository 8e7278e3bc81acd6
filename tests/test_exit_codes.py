"""Exit codes that tell the truth: user and plugin code's ``SystemExit`` or ``KeyboardInterrupt`` is its
failure, a mistake on the command line is one line and exit code 2, and numbers are plain ASCII."""

from __future__ import annotations

import os
import pathlib
import subprocess
import textwrap

import pytest

import futstrat
from futstrat.cli import main
from futstrat.errors import UsageError
from futstrat.model import RunStatus

from .cli_process import run_futstrat

ROOT = pathlib.Path(__file__).resolve().parent.parent
MISBEHAVING = "tests.user_workloads.misbehaving"


def futstrat_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return run_futstrat(*args, env={"PYTHONPATH": path, **(env or {})}, timeout=60)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# -- user code in the parent: combine, check, items, tasks, the import of a dotted path ----------------


@pytest.mark.parametrize("strategy", ["serial", "process"])
@pytest.mark.parametrize(
    ("workload", "words"),
    [
        ("exits_in_combine", "ERROR: combine raised SystemExit(0)"),
        ("interrupts_in_combine", "ERROR: combine raised KeyboardInterrupt()"),
    ],
)
def test_combine_that_exits_or_interrupts_is_a_failed_run(strategy, workload, words):
    result = futstrat_cli("run", f"{MISBEHAVING}:{workload}", "--strategy", strategy, "--workers", "2")
    assert result.returncode == 1, result.stderr
    assert words in result.stdout
    assert "interrupted" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("workload", "words"),
    [
        ("exits_in_items", "items raised SystemExit(0)"),
        ("ExitsInTasks", "tasks raised SystemExit(3)"),
        ("InterruptsInCheck", "check raised KeyboardInterrupt()"),
    ],
)
def test_items_tasks_and_check_that_exit_or_interrupt_fail_the_run(workload, words):
    report = futstrat.run(f"{MISBEHAVING}:{workload}", "serial", workers=1)
    assert report.status is RunStatus.ERROR
    assert report.error.startswith(words), report.error


def test_a_stream_of_tasks_that_exits_part_way_fails_the_run_on_a_pool():
    report = futstrat.run(f"{MISBEHAVING}:ExitsInTasks", "thread", workers=2, params={"n": 40}, chunksize=4)
    assert report.status is RunStatus.ERROR
    assert report.error.startswith("tasks raised SystemExit(3)"), report.error


def test_a_real_ctrl_c_while_combining_still_interrupts(capsys):
    code = main(["run", f"{MISBEHAVING}:ctrl_c_in_combine"])
    assert code == 130
    assert capsys.readouterr().err.strip() == "futstrat: error: interrupted"


@pytest.mark.parametrize(
    ("module", "raised"), [("interrupts_on_import", "KeyboardInterrupt()"), ("exits_on_import", "SystemExit(0)")]
)
def test_a_dotted_path_whose_import_exits_or_interrupts_is_a_usage_error(module, raised):
    result = futstrat_cli("run", f"tests.user_workloads.{module}:work")
    assert result.returncode == 2, result.stderr
    assert error_lines(result.stderr) == [
        f"futstrat: error: importing 'tests.user_workloads.{module}' for workload"
        f" 'tests.user_workloads.{module}:work' failed: it raised {raised}"
    ]


def test_a_workload_class_that_needs_arguments_is_one_line_and_a_hint():
    result = futstrat_cli("run", f"{MISBEHAVING}:NeedsArguments")
    assert result.returncode == 2
    [line] = error_lines(result.stderr)
    assert "workload class 'tests.user_workloads.misbehaving:NeedsArguments' cannot be built without arguments" in line
    assert "work = NeedsArguments(...)" in line


@pytest.mark.parametrize("workload", ["closes_stdout", "closes_sys_stdout"])
def test_a_serial_task_that_closes_stdout_gets_one_line_not_a_traceback(workload):
    result = futstrat_cli("run", f"{MISBEHAVING}:{workload}")
    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        "futstrat: error: standard output was closed while the command ran, so its output could not be written"
    ]


# -- plugins that exit -----------------------------------------------------------------------------

EXITING_PLUGINS = textwrap.dedent(
    """
    import sys

    import futstrat


    class ExitsInHook:
        @staticmethod
        @futstrat.hookimpl
        def futstrat_register_workloads(register):
            sys.exit(0)


    class InterruptsInHook:
        @staticmethod
        @futstrat.hookimpl
        def futstrat_register_strategies(register):
            raise KeyboardInterrupt


    class ExitsWhenARunStarts:
        @staticmethod
        @futstrat.hookimpl
        def futstrat_run_started(plan):
            sys.exit(0)


    class InterruptsInVeto:
        @staticmethod
        @futstrat.hookimpl
        def futstrat_veto(combination):
            raise KeyboardInterrupt
    """
)

EXITING_ENTRY_POINTS = textwrap.dedent(
    """
    [futstrat]
    exits-on-import = exiting_plugin_module
    exits-in-hook = exiting_plugins:ExitsInHook
    interrupts-in-hook = exiting_plugins:InterruptsInHook
    exits-when-a-run-starts = exiting_plugins:ExitsWhenARunStarts
    interrupts-in-veto = exiting_plugins:InterruptsInVeto
    """
)

EXITING_EXPECTED = {
    "exits-on-import": "failed to import exiting_plugin_module: it raised SystemExit(4)",
    "exits-in-hook": "failed to register: it raised SystemExit(0)",
    "interrupts-in-hook": "failed to register: it raised KeyboardInterrupt()",
}


@pytest.fixture(scope="module")
def exiting_site(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    site = tmp_path_factory.mktemp("site")
    (site / "exiting_plugins.py").write_text(EXITING_PLUGINS)
    (site / "exiting_plugin_module.py").write_text("import sys\n\nsys.exit(4)\n")
    info = site / "futstrat_exiting_plugins-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: futstrat-exiting-plugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(EXITING_ENTRY_POINTS)
    return site


def with_site(site: pathlib.Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return run_futstrat(*args, env={"PYTHONPATH": path, **(env or {})}, timeout=60)


LOADING_FAULTS = {"FUTSTRAT_PLUGINS": ",".join(EXITING_EXPECTED)}


def test_plugins_that_exit_are_listed_as_skipped(exiting_site):
    import json

    result = with_site(exiting_site, "plugins", "--json", env=LOADING_FAULTS)
    assert result.returncode == 1, result.stderr  # a plugin was skipped
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    for name, words in EXITING_EXPECTED.items():
        assert plugins[name]["location"].startswith(str(exiting_site)), plugins[name]
        assert plugins[name]["error"] == f"{words} (at {plugins[name]['location']})"


def test_plugins_that_exit_leave_the_rest_working(exiting_site):
    result = with_site(exiting_site, "run", "pi", "--param", "n=1000", env=LOADING_FAULTS)
    assert result.returncode == 0, result.stderr
    assert "check   passed" in result.stdout
    warnings = error_lines(result.stderr)
    assert len(warnings) == len(EXITING_EXPECTED)
    assert all(line.startswith("futstrat: warning: plugin") for line in warnings)


def test_plugins_that_exit_are_fatal_when_strict(exiting_site):
    result = with_site(exiting_site, "--strict", "list", env=LOADING_FAULTS)
    assert result.returncode == 1
    assert "it raised SystemExit(4)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("plugin", "words"),
    [
        ("exits-when-a-run-starts", "a plugin's futstrat_run_started hook raised SystemExit(0)"),
        ("interrupts-in-veto", "a plugin's futstrat_veto hook raised KeyboardInterrupt()"),
    ],
)
def test_a_plugin_hook_that_exits_during_a_command_fails_it_with_one_line(exiting_site, plugin, words):
    result = with_site(exiting_site, "run", "pi", "--param", "n=1000", env={"FUTSTRAT_PLUGINS": plugin})
    assert result.returncode == 1
    assert error_lines(result.stderr) == [f"futstrat: error: {words}"]


# -- the allow-list ---------------------------------------------------------------------------------


def test_an_allow_list_name_that_matches_no_plugin_is_warned_about():
    result = futstrat_cli("run", "pi", "--param", "n=1000", env={"FUTSTRAT_PLUGINS": "sampel"})
    assert result.returncode == 0
    assert error_lines(result.stderr) == [
        "futstrat: warning: plugin 'sampel' was skipped: FUTSTRAT_PLUGINS names it, but no installed plugin has"
        " that name; did you mean 'sample'? (see 'futstrat plugins')"
    ]


def test_an_allow_list_name_that_matches_no_plugin_is_fatal_when_strict():
    result = futstrat_cli("list", env={"FUTSTRAT_PLUGINS": "sample,lokky", "FUTSTRAT_STRICT": "1"})
    assert result.returncode == 1
    assert "plugin 'lokky': FUTSTRAT_PLUGINS names it, but no installed plugin has that name" in result.stderr


# -- the command line: one line, exit code 2 ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--workers", "0"], "argument --workers: must be at least 1, got 0"),
        (["--timeout", "nan"], "argument --timeout: expected a number of seconds, got 'nan'"),
        (["--chunksize", "0"], "argument --chunksize: must be at least 1, got 0"),
        (["--start-method", "vfork"], "argument --start-method: invalid choice: 'vfork'"),
        (["--timeout", "1e10"], "argument --timeout: must be at most 31,536,000 seconds (a year), got 1e10"),
        (["--task-timeout", "1e10"], "argument --task-timeout: must be at most 31,536,000 seconds"),
        (["--workers", "\u0661\u0662"], "in ASCII digits, got '\u0661\u0662'"),
        (["--workers", "\uff11\uff12"], "in ASCII digits, got '\uff11\uff12'"),
        (["--timeout", "\u0663"], "argument --timeout: expected a number of seconds, got '\u0663'"),
        (["--param", "n=\u0661\u0662\u0663\u0664"], "parameter n takes a whole number, not '\u0661\u0662\u0663\u0664'"),
        (["--param", "n=\uff11\uff12\uff13\uff14"], "parameter n takes a whole number, not '\uff11\uff12\uff13\uff14'"),
        (["--param", "n=1__0"], "parameter n takes a whole number, not '1__0'"),
        (["--param", "n=_10"], "parameter n takes a whole number, not '_10'"),
        (["--param", "n=1", "--param", "n=2"], "parameter 'n' is given twice ('1' and '2'): give it once"),
    ],
)
def test_command_line_mistakes_are_one_line_and_exit_2(args, words, capsys):
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main(["run", "pi", *args]))
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    [line] = err.splitlines()
    assert line.startswith("futstrat: error: ")
    assert words in line
    assert out == ""


@pytest.mark.parametrize("option", ["--json", "--csv", "--plot", "--baseline"])
def test_an_empty_file_name_is_refused(option, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["compare", "pi", "--strategies", "serial", "--repeat", "1", "--warmup", "0", option, ""])
    assert exited.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"argument {option}: expected a file name, got ''" in line


def test_usage_block_is_not_printed_in_a_real_process():
    result = futstrat_cli("run", "pi", "--workers", "0")
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "futstrat: error: argument --workers: must be at least 1, got 0 (see 'futstrat run --help')"
    ]


def test_whole_numbers_with_single_underscores_and_exponents_still_work():
    assert futstrat.run("pi", "serial", params={"n": "1_000", "tasks": "2e0"}).ok


def test_the_python_api_refuses_a_timeout_beyond_a_year():
    with pytest.raises(UsageError, match="at most 31,536,000 seconds"):
        futstrat.run("pi", "serial", timeout=1e10)


def test_debug_shows_the_traceback_and_keeps_the_exit_code():
    result = futstrat_cli("--debug", "run", "pi", "--strategy", "nope")
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("futstrat: error: unknown strategy 'nope'")


# -- a timeout counts the tasks that finished -------------------------------------------------------


@pytest.mark.parametrize("strategy", ["pool-map", "process-map"])
def test_a_timeout_counts_finished_tasks_not_those_whose_results_were_read(strategy):
    """Map-style dispatch reads results in task order: tasks 2 and 3 finish while task 1 hangs, and
    their results wait behind it; they are done all the same."""
    result = futstrat_cli(
        "run", f"{MISBEHAVING}:one_task_hangs", "--strategy", strategy, "--workers", "2", "--timeout", "4"
    )
    assert result.returncode == 1
    assert "TIMEOUT: the run reached its timeout with 3 of 6 tasks done" in result.stdout
