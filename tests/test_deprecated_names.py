"""Names a plugin written against an earlier futstrat uses keep working, each with one warning."""

from __future__ import annotations

import warnings

import pytest

import futstrat
from futstrat import deprecated
from futstrat.hookspecs import hookimpl
from futstrat.model import StrategySpec
from futstrat.plugins import PluginCandidate, load_plugins


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(deprecated, "_warned", set())


def test_executor_spec_is_strategy_spec_with_one_warning():
    with pytest.warns(
        DeprecationWarning, match="futstrat.ExecutorSpec is deprecated; use futstrat.StrategySpec"
    ) as caught:
        assert futstrat.ExecutorSpec is StrategySpec
    assert caught[0].filename == __file__, "the warning points at the line that named the old name"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from futstrat.model import ExecutorSpec  # the second use is silent

    assert ExecutorSpec is StrategySpec


def test_the_old_name_is_not_offered_for_new_code():
    assert "ExecutorSpec" not in futstrat.__all__
    assert "ExecutorSpec" not in dir(futstrat)
    assert "StrategySpec" in futstrat.__all__


def test_a_plugin_that_implements_the_old_registration_hook_still_registers_with_a_warning():
    class OldPlugin:
        @staticmethod
        @hookimpl
        def futstrat_register_executors(register):
            register(futstrat.StrategySpec(name="old-style", description="an old plugin's strategy", factory=print))

    with pytest.warns(DeprecationWarning, match="futstrat_register_strategies"):
        host = load_plugins(
            [PluginCandidate("old-plugin", "old_plugin", "old-plugin", "1.0", False, lambda: OldPlugin)], strict=True
        )
    assert host.registry.strategies.get("old-style").name == "old-style"


def test_an_import_of_the_old_name_is_warned_about_at_the_importing_line():
    with pytest.warns(DeprecationWarning, match="use futstrat.StrategySpec") as caught:
        from futstrat.model import ExecutorSpec  # noqa: F401
    assert caught[0].filename == __file__
