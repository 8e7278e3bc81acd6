"""The sample plugin, installed as a real distribution with an entry point (tox installs it)."""

from __future__ import annotations

import json

import pytest

import futstrat
from futstrat.plugins import get_host

from .cli_process import run_futstrat

sample = pytest.importorskip(
    "futstrat_sample_plugin", reason="tests/sample_plugin is installed by tox (pip install tests/sample_plugin)"
)


def test_an_installed_plugin_is_found_through_its_entry_point(fresh_plugins):
    info = {i.name: i for i in get_host().plugins}["sample"]
    assert info.error is None
    assert not info.builtin
    assert (info.distribution, info.version) == ("futstrat-sample-plugin", "1.2.3")
    assert "futstrat_register_strategies" in info.hooks
    report = futstrat.run("sample-squares", "sample-single-thread", params={"n": 20})
    assert report.ok
    assert report.value == sum(i * i for i in range(20))


def test_a_plugin_can_veto_a_combination(fresh_plugins):
    with pytest.raises(futstrat.RefusedError, match="does not let its single thread sleep"):
        futstrat.run("sleep", "sample-single-thread", params={"tasks": 1, "seconds": 0})


def test_run_events_reach_plugins(fresh_plugins):
    sample.EVENTS.clear()
    futstrat.run("pi", "thread", workers=2, params={"n": 1000})
    assert sample.EVENTS[:1] == [("started", "pi x thread x none")]
    assert ("finished", "passed") in sample.EVENTS


def test_run_finished_is_called_for_failed_runs_too(fresh_plugins):
    sample.EVENTS.clear()
    report = futstrat.run("deadlock", "thread", workers=2, params={"delay": 0.01})
    assert report.status is futstrat.RunStatus.DEADLOCK
    assert ("finished", "deadlock") in sample.EVENTS


def test_the_allow_list_variable_restricts_entry_point_plugins():
    everything = json.loads(run_futstrat("plugins", "--json").stdout)
    assert "sample" in {p["name"] for p in everything}
    nothing = json.loads(run_futstrat("plugins", "--json", env={"FUTSTRAT_PLUGINS": ""}).stdout)
    assert {p["name"] for p in nothing} == {p["name"] for p in everything if p["builtin"]}
    only_sample = json.loads(run_futstrat("plugins", "--json", env={"FUTSTRAT_PLUGINS": "sample"}).stdout)
    assert "sample" in {p["name"] for p in only_sample}
