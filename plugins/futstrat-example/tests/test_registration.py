"""The plugin is found through its entry point and shows in ``futstrat plugins`` and ``futstrat list``."""

from __future__ import annotations

import json
import subprocess
import sys

from futstrat.plugins import get_host


def futstrat_command(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "futstrat", *args], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


def test_futstrat_plugins_lists_the_plugin_with_its_hooks():
    plugins = {plugin["name"]: plugin for plugin in json.loads(futstrat_command("plugins", "--json"))}
    example = plugins["example"]
    assert example["distribution"] == "futstrat-example"
    assert example["error"] is None
    assert example["hooks"] == [
        "futstrat_register_sharing",
        "futstrat_register_strategies",
        "futstrat_register_workloads",
    ]


def test_everything_it_registers_is_known_by_name():
    registry = get_host().registry
    assert registry.strategies.plugin_of("fresh-thread") == "example"
    assert registry.sharing.plugin_of("thread-lock") == "example"
    assert registry.workloads.plugin_of("primes") == "example"
