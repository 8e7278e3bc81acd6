"""The distribution's entry point adds the ``dask`` strategy and sharing backend to futstrat."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import futstrat_dask

import futstrat
from futstrat.plugins import get_host


def futstrat_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "futstrat", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_strategy_and_the_sharing_backend_are_registered_by_this_plugin():
    registry = get_host().registry
    assert registry.strategies.plugin_of("dask") == "dask"
    assert registry.sharing.plugin_of("dask") == "dask"
    spec = registry.strategies.get("dask")
    assert spec.crosses_processes
    assert not spec.supports_initializer
    assert not spec.uses_start_method


def test_futstrat_list_and_plugins_show_the_distribution():
    listed = futstrat_cli("list", "--json")
    assert listed.returncode == 0, listed.stderr
    catalogue = json.loads(listed.stdout)
    assert {s["name"]: s["plugin"] for s in catalogue["strategies"]}["dask"] == "dask"
    assert {s["name"]: s["plugin"] for s in catalogue["sharing"]}["dask"] == "dask"
    plugins = futstrat_cli("plugins", "--json")
    assert plugins.returncode == 0, plugins.stderr
    ours = [p for p in json.loads(plugins.stdout) if p["name"] == "dask"]
    assert ours, plugins.stdout
    assert ours[0]["distribution"] == "futstrat-dask"
    assert ours[0]["error"] is None
    assert set(ours[0]["hooks"]) == {"futstrat_register_strategies", "futstrat_register_sharing", "futstrat_veto"}


def test_the_strategy_offers_its_in_flight_bound_as_a_bounded_option():
    spec = get_host().registry.strategies.get("dask")
    assert {param.name for param in spec.params} == {"address", "max_in_flight"}
    refused = futstrat_cli("run", "pi", "--strategy", "dask", "--option", "max_in_flight=0")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.strip().splitlines() == ["futstrat: error: option max_in_flight must be at least 1, got 0"]


def test_loading_the_plugin_does_not_import_dask():
    """futstrat loads every plugin for ``futstrat list``: dask is imported only by a run that uses it."""
    code = "import futstrat.plugins as p, sys; p.get_host(); print('distributed' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert completed.stdout.strip() == "False"


def test_the_plugin_uses_only_the_public_api():
    """A third party's plugin: everything it takes from futstrat is in ``futstrat.__all__``."""
    package = pathlib.Path(futstrat_dask.__file__).parent
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("futstrat."):
                raise AssertionError(f"{source.name} imports {node.module}, which is not futstrat's public API")
            if isinstance(node, ast.ImportFrom) and node.module == "futstrat":
                assert {alias.name for alias in node.names} <= set(futstrat.__all__), source.name
