"""Broken plugins installed for real (a distribution found on the path), seen through the CLI."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import textwrap

import pytest

from .cli_process import run_futstrat

BAD_PLUGINS = textwrap.dedent(
    """
    import futstrat
    from futstrat.builtin.strategies import make_thread_pool


    class Misspelled:
        @staticmethod
        @futstrat.hookimpl
        def futstrat_register_strategie(register):
            pass


    class WrongSignature:
        @staticmethod
        @futstrat.hookimpl
        def futstrat_register_workloads(register, colour):
            pass


    class Duplicate:
        @staticmethod
        @futstrat.hookimpl
        def futstrat_register_strategies(register):
            register(futstrat.StrategySpec(name="thread", description="another thread", factory=make_thread_pool))


    class Raising:
        @staticmethod
        @futstrat.hookimpl
        def futstrat_register_workloads(register):
            settings = {}
            return settings["extra_workload"]
    """
)

ENTRY_POINTS = textwrap.dedent(
    """
    [futstrat]
    bad-import = module_that_is_not_there
    bad-misspelled = bad_plugins:Misspelled
    bad-signature = bad_plugins:WrongSignature
    bad-duplicate = bad_plugins:Duplicate
    bad-raising = bad_plugins:Raising
    """
)

EXPECTED = {
    "bad-import": "failed to import module_that_is_not_there",
    "bad-misspelled": "implements unknown hook 'futstrat_register_strategie'",
    "bad-signature": "colour",
    "bad-raising": "KeyError: 'extra_workload'",
}


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    site = tmp_path_factory.mktemp("site")
    (site / "bad_plugins.py").write_text(BAD_PLUGINS)
    info = site / "futstrat_bad_plugins-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: futstrat-bad-plugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return site


def futstrat(site: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return run_futstrat(*args, env={"PYTHONPATH": path})


#: Where the Raising plugin fails: its own file and line, which every report of it names.
RAISING_LINE = BAD_PLUGINS.splitlines().index("""        return settings["extra_workload"]""") + 1
RAISING_AT = f"bad_plugins.py:{RAISING_LINE}"


def test_plugins_shows_each_problem_and_exits_with_1(broken_site):
    result = futstrat(broken_site, "plugins", "--json")
    assert result.returncode == 1, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    for name, words in EXPECTED.items():
        assert plugins[name]["distribution"] == "futstrat-bad-plugins"
        assert words in plugins[name]["error"], plugins[name]
    assert plugins["bad-duplicate"]["error"] is None
    assert plugins["bad-duplicate"]["skipped_names"] == [
        "strategy 'thread' is built in (from 'futstrat.builtin.strategies'), so this plugin's one is not used"
    ]
    assert plugins["bad-raising"]["location"] == str(broken_site / RAISING_AT)
    result = futstrat(broken_site, "plugins")
    assert result.returncode == 1
    assert "plugin 'bad-raising' (bad_plugins:Raising) was skipped" in result.stdout
    assert f"failed to register: KeyError: 'extra_workload' (at {broken_site / RAISING_AT})" in result.stdout
    assert "plugin 'bad-duplicate' (bad_plugins:Duplicate) loaded, but not all of its names are used" in result.stdout
    assert "Traceback" not in result.stdout


@pytest.mark.parametrize("args", [("--debug", "plugins"), ("plugins", "--debug")])
def test_plugins_with_debug_shows_the_plugin_s_own_traceback(broken_site, args):
    result = futstrat(broken_site, *args)
    assert result.returncode == 1
    assert "Traceback (most recent call last):" in result.stdout
    assert f'File "{broken_site / "bad_plugins.py"}", line {RAISING_LINE}, in futstrat_register_workloads' in (
        result.stdout
    )


def test_plugins_exits_with_0_when_every_plugin_loads(broken_site):
    result = run_futstrat("plugins", env={"FUTSTRAT_PLUGINS": ""})
    assert result.returncode == 0, result.stdout


def test_other_commands_show_the_plugin_s_traceback_with_debug(broken_site):
    result = futstrat(broken_site, "--debug", "list")
    assert result.returncode == 0
    assert "futstrat: warning: plugin 'bad-raising' was skipped: failed to register: KeyError: 'extra_workload'" in (
        result.stderr
    )
    assert f'File "{broken_site / "bad_plugins.py"}", line {RAISING_LINE}, in futstrat_register_workloads' in (
        result.stderr
    )


def test_asking_for_a_name_a_skipped_plugin_may_offer_says_it_was_skipped(broken_site):
    result = futstrat(broken_site, "run", "pi", "--sharing", "file-lock")
    assert result.returncode == 2
    error = result.stderr.splitlines()[-1]
    assert error.startswith("futstrat: error: unknown sharing backend 'file-lock' (known: manager, none, shm, value); ")
    assert "plugin 'bad-import', which may offer it, was skipped: failed to import module_that_is_not_there" in error


def test_the_rest_keep_working_with_one_warning_line_each(broken_site):
    result = futstrat(broken_site, "run", "pi", "--strategy", "thread", "--param", "n=1000")
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("futstrat: warning: plugin")]
    assert len(warnings) == len(EXPECTED) + 1  # and one for the name bad-duplicate cannot have
    assert "Traceback" not in result.stderr


def test_strict_mode_makes_them_fatal(broken_site):
    result = futstrat(broken_site, "--strict", "list")
    assert result.returncode == 1
    assert "plugin 'bad-import'" in result.stderr
    assert "Traceback" not in result.stderr
