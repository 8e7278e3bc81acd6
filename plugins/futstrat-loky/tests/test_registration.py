"""The distribution's entry point makes its strategies appear next to the built-in ones."""

from __future__ import annotations

import json
import subprocess
import sys

import futstrat
from futstrat.plugins import get_host


def futstrat_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "futstrat", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_both_strategies_are_registered_by_this_plugin():
    strategies = get_host().registry.strategies
    assert {"loky", "loky-reusable"} <= set(strategies.names())
    assert strategies.plugin_of("loky") == "loky"
    assert strategies.get("loky").crosses_processes
    assert strategies.get("loky").uses_start_method
    assert strategies.get("loky").start_methods == ("fork", "spawn", "forkserver")
    assert not strategies.get("loky-reusable").uses_start_method
    assert strategies.get("loky-reusable").start_methods is None


def test_futstrat_list_and_plugins_show_the_distribution():
    listed = futstrat_cli("list", "--json")
    assert listed.returncode == 0, listed.stderr
    names = {s["name"]: s["plugin"] for s in json.loads(listed.stdout)["strategies"]}
    assert names["loky"] == "loky"
    assert names["loky-reusable"] == "loky"
    plugins = futstrat_cli("plugins", "--json")
    assert plugins.returncode == 0, plugins.stderr
    ours = [p for p in json.loads(plugins.stdout) if p["name"] == "loky"]
    assert ours, plugins.stdout
    assert ours[0]["distribution"] == "futstrat-loky"
    assert ours[0]["error"] is None
    assert set(ours[0]["hooks"]) == {"futstrat_register_strategies", "futstrat_veto"}


def test_the_plugin_uses_only_the_public_api():
    """A third party's plugin: everything it takes from futstrat is in ``futstrat.__all__``."""
    import ast
    import pathlib

    import futstrat_loky

    package = pathlib.Path(futstrat_loky.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("futstrat."):
                raise AssertionError(f"{source.name} imports {node.module}, which is not futstrat's public API")
            if isinstance(node, ast.ImportFrom) and node.module == "futstrat":
                assert {alias.name for alias in node.names} <= set(futstrat.__all__), source.name
