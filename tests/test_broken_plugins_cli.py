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
            raise RuntimeError("cannot read my settings")
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
    "bad-duplicate": "strategy 'thread' is registered twice",
    "bad-raising": "cannot read my settings",
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


def test_plugins_shows_each_problem(broken_site):
    result = futstrat(broken_site, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    for name, words in EXPECTED.items():
        assert plugins[name]["distribution"] == "futstrat-bad-plugins"
        assert words in plugins[name]["error"], plugins[name]
    text = futstrat(broken_site, "plugins").stdout
    assert "plugin 'bad-raising' (bad_plugins:Raising) was skipped" in text


def test_the_rest_keep_working_with_one_warning_line_each(broken_site):
    result = futstrat(broken_site, "run", "pi", "--strategy", "thread", "--param", "n=1000")
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("futstrat: warning: plugin")]
    assert len(warnings) == len(EXPECTED)
    assert "Traceback" not in result.stderr


def test_strict_mode_makes_them_fatal(broken_site):
    result = futstrat(broken_site, "--strict", "list")
    assert result.returncode == 1
    assert "plugin 'bad-import'" in result.stderr
    assert "Traceback" not in result.stderr
