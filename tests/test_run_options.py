"""One options object for a run; the start method resolved once; strategy options declared and checked."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import pytest

import futstrat
from futstrat import Combination, ExecutorConfig, Param, RunOptions, StrategySpec
from futstrat.builtin.strategies import make_process_pool
from futstrat.cli import main
from futstrat.errors import ParamError, RefusedError, UnknownNameError, UsageError
from futstrat.measure import compare, plan_contenders
from futstrat.plugins import PluginCandidate, builtin_candidates, load_plugins, reset_host
from futstrat.runner import plan_run
from futstrat.start_methods import start_method_or_default

DEFAULT = start_method_or_default(None)
OTHER = next(
    m for m in ("spawn", "forkserver", "fork") if m in multiprocessing.get_all_start_methods() and m != DEFAULT
)

#: What the test plugin's factories and veto were given, for the tests to read.
SEEN: dict[str, Any] = {}


def recording_process_pool(config: ExecutorConfig) -> Executor:
    SEEN["config"] = config
    return make_process_pool(config)


class RecordingPlugin:
    """A third party's plugin: a strategy with an option and one method, and a veto against the default."""

    @futstrat.hookimpl
    def futstrat_register_strategies(self, register: Callable[[StrategySpec], None]) -> None:
        register(
            StrategySpec(
                name="other-only",
                description="a process pool that supports one start method, not the default one",
                factory=recording_process_pool,
                crosses_processes=True,
                start_methods=(OTHER,),
                params=(Param("depth", int, 3, "how deep", minimum=1, maximum=10),),
            )
        )
        register(
            StrategySpec(
                name="vetoed-default",
                description="a process pool whose plugin refuses the default start method",
                factory=recording_process_pool,
                crosses_processes=True,
                uses_start_method=True,
            )
        )

    @futstrat.hookimpl
    def futstrat_veto(self, combination: Combination) -> str | None:
        SEEN.setdefault("vetted", []).append((combination.strategy.name, combination.start_method))
        if combination.strategy.name == "vetoed-default" and combination.start_method == DEFAULT:
            return f"this plugin refuses {DEFAULT}"
        return None


@pytest.fixture
def host() -> Any:
    SEEN.clear()
    candidate = PluginCandidate("recording", "recording", "recording-dist", "1.0", False, RecordingPlugin)
    loaded = load_plugins([*builtin_candidates(), candidate])
    reset_host(loaded)
    yield loaded
    reset_host()


# -- the options object ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"workers": 0}, "workers must be a whole number of at least 1"),
        ({"workers": 5000}, "workers must be at most"),
        ({"timeout": -1}, "timeout must be a positive number"),
        ({"task_timeout": 0}, "task timeout must be a positive number"),
        ({"chunksize": 0}, "chunk size must be a whole number"),
        ({"start_method": "fork-exec"}, "unknown start method 'fork-exec'"),
    ],
)
def test_the_options_are_checked_where_they_are_made(changes, words):
    with pytest.raises(UsageError, match=words):
        RunOptions(**changes)


def test_options_and_loose_keywords_are_the_same_run():
    options = RunOptions(workers=2, timeout=30, chunksize=5)
    by_object = plan_run("pi", "process-map", params={"n": 1000}, options=options)
    by_keywords = plan_run("pi", "process-map", params={"n": 1000}, workers=2, timeout=30, chunksize=5)
    assert by_object.options == by_keywords.options == options
    assert (by_object.workers, by_object.timeout, by_object.chunksize) == (2, 30.0, 5)


def test_giving_options_both_ways_is_refused():
    with pytest.raises(TypeError, match="inside options="):
        plan_run("pi", "process", workers=2, options=RunOptions(workers=3))


def test_compare_passes_the_task_timeout_on():
    contenders = plan_contenders("pi", ["process"], options=RunOptions(workers=2, task_timeout=7))
    assert contenders[0].plan is not None
    assert contenders[0].plan.task_timeout == 7.0
    comparison = compare(
        "sleep", ["process"], workers=2, params={"seconds": 5, "tasks": 2}, task_timeout=0.5, repeat=1, warmup=0
    )
    (failed,) = comparison.failed
    assert "task timeout" in (failed.failures[0].report.error or "")


def test_compare_refuses_a_task_timeout_for_threads_as_run_does():
    (contender,) = plan_contenders("pi", ["thread"], task_timeout=1)
    assert contender.refused
    assert any("per-task timeout" in reason for reason in contender.reasons)


# -- the start method --------------------------------------------------------------------------------
def test_the_veto_the_runner_and_the_factory_see_the_same_resolved_method(host):
    plan = plan_run("pi", "other-only", workers=1, params={"n": 1000}, host=host)
    assert ("other-only", OTHER) in SEEN["vetted"]
    assert plan.start_method == OTHER
    report = futstrat.execute(plan)
    assert report.ok, report.error
    assert report.start_method == OTHER
    assert SEEN["config"].start_method == OTHER


def test_a_veto_against_the_default_method_fires_when_none_is_given(host):
    with pytest.raises(RefusedError, match=f"refuses {DEFAULT}"):
        plan_run("pi", "vetoed-default", workers=1, host=host)
    assert ("vetoed-default", DEFAULT) in SEEN["vetted"]
    assert plan_run("pi", "vetoed-default", workers=1, start_method=OTHER, host=host).start_method == OTHER


def test_an_unsupported_start_method_is_a_refusal_with_exit_code_2(host, capsys):
    assert main(["run", "pi", "--strategy", "other-only", "--start-method", DEFAULT, "--param", "n=1000"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert f"supports the start methods {OTHER}, not {DEFAULT}" in err
    assert "Traceback" not in err


def test_the_vetoed_default_is_a_refusal_with_exit_code_2_not_a_failed_run(host, capsys):
    assert main(["run", "pi", "--strategy", "vetoed-default", "--param", "n=1000"]) == 2
    assert f"this plugin refuses {DEFAULT}" in capsys.readouterr().err


def test_open_executor_resolves_the_method_as_a_run_does(host):
    with futstrat.open_executor("other-only", workers=1) as executor:
        assert executor.submit(abs, -3).result(timeout=60) == 3
    assert SEEN["config"].start_method == OTHER
    assert SEEN["config"].options == {"depth": 3}
    with (
        pytest.raises(UsageError, match="supports the start methods"),
        futstrat.open_executor("other-only", workers=1, start_method=DEFAULT),
    ):
        pass


def test_a_start_method_for_a_strategy_that_starts_processes_its_own_way_is_refused():
    spec = StrategySpec(
        name="own-way", description="processes started its own way", factory=make_process_pool, crosses_processes=True
    )
    with pytest.raises(RefusedError, match="its own way"):
        plan_run("pi", spec, workers=1, start_method="spawn")


def test_declaring_start_methods_implies_using_one_and_names_are_checked():
    spec = StrategySpec(name="x", description="x", factory=make_process_pool, start_methods=["spawn"])
    assert spec.uses_start_method
    assert spec.start_methods == ("spawn",)
    assert StrategySpec(name="y", description="y", factory=make_process_pool, uses_start_method=True).start_methods
    assert StrategySpec(name="z", description="z", factory=make_process_pool).start_methods is None
    with pytest.raises(ValueError, match="start_methods"):
        StrategySpec(name="w", description="w", factory=make_process_pool, start_methods=("fork-exec",))
    with pytest.raises(ValueError, match="start_methods"):
        StrategySpec(name="v", description="v", factory=make_process_pool, start_methods=())


# -- strategy options --------------------------------------------------------------------------------
def test_options_reach_the_factory_converted(host):
    report = futstrat.run(
        "pi", "other-only", workers=1, params={"n": 1000}, strategy_options={"depth": "7"}, timeout=60
    )
    assert report.ok, report.error
    assert SEEN["config"].options == {"depth": 7}


@pytest.mark.parametrize(
    ("given", "error", "words"),
    [
        ({"depth": "11"}, ParamError, "option depth must be at most 10, got 11"),
        ({"depth": "deep"}, ParamError, "option depth takes a whole number"),
        ({"deep": "1"}, UnknownNameError, "unknown option 'deep' of strategy 'other-only'; did you mean 'depth'?"),
    ],
)
def test_bad_options_are_usage_errors(host, given, error, words):
    with pytest.raises(error, match=words):
        plan_run("pi", "other-only", workers=1, strategy_options=given, host=host)


def test_the_pool_strategies_bound_what_is_in_flight():
    plan = plan_run("pi", "pool-async", workers=2, params={"n": 1000}, strategy_options={"max_in_flight": 9})
    assert plan.strategy_options == {"max_in_flight": 9}
    with futstrat.open_executor("pool-async", workers=1, options={"max_in_flight": "4"}) as executor:
        assert executor._max_in_flight == 4  # type: ignore[attr-defined]
        assert executor.submit(abs, -2).result(timeout=60) == 2


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("max_in_flight=0", "option max_in_flight must be at least 1, got 0"),
        ("max_in_flight", "--option takes name=value"),
        ("max_inflight=3", "unknown option 'max_inflight' of strategy 'pool-map'; did you mean 'max_in_flight'?"),
    ],
)
def test_a_bad_option_on_the_command_line_is_one_line_and_exit_code_2(capsys, option, words):
    assert main(["run", "pi", "--strategy", "pool-map", "--option", option]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) <= 2, err  # the error, and at most a hint
    assert words in err
    assert "Traceback" not in err


def test_the_option_given_twice_is_a_usage_error(capsys):
    argv = ["run", "pi", "--strategy", "pool-map", "--option", "max_in_flight=2", "--option", "max_in_flight=3"]
    assert main(argv) == 2
    assert "option 'max_in_flight' is given twice" in capsys.readouterr().err


def test_compare_gives_an_option_to_the_strategies_that_declare_it():
    contenders = plan_contenders("pi", ["process", "pool-map"], strategy_options={"max_in_flight": 3})
    by_name = {c.strategy: c.plan for c in contenders}
    process, pool = by_name["process"], by_name["pool-map"]
    assert process is not None
    assert pool is not None
    assert process.strategy_options == {}
    assert pool.strategy_options == {"max_in_flight": 3}


def test_compare_refuses_an_option_no_chosen_strategy_declares(capsys):
    with pytest.raises(UnknownNameError, match="unknown option 'max_in_flight' of the chosen strategies"):
        plan_contenders("pi", ["process", "thread"], strategy_options={"max_in_flight": 3})
    assert main(["compare", "pi", "--strategies", "process", "--option", "max_in_flight=3"]) == 2
    assert "unknown option 'max_in_flight'" in capsys.readouterr().err


def test_list_shows_start_methods_and_options(capsys):
    assert main(["list", "--json"]) == 0
    strategies = {s["name"]: s for s in json.loads(capsys.readouterr().out)["strategies"]}
    assert strategies["thread"]["start_methods"] is None
    assert strategies["pool-map"]["start_methods"] == ["fork", "spawn", "forkserver"]
    assert [o["name"] for o in strategies["pool-map"]["options"]] == ["max_in_flight"]
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "options: max_in_flight=auto" in out
    assert "start methods: fork, spawn, forkserver" in out


# -- the plugin guide's excerpt ----------------------------------------------------------------------
def guide_excerpt() -> str:
    import pathlib
    import re

    guide = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "plugin-guide.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(# a plugin module of your own.*?)```", guide, re.DOTALL)
    return block


def test_the_guide_s_start_method_and_option_excerpt_is_a_working_plugin(tmp_path, monkeypatch, capsys):
    import importlib
    import sys

    (tmp_path / "recycling_plugin.py").write_text(guide_excerpt(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("recycling_plugin")
    candidate = PluginCandidate("recycling", "recycling_plugin", "recycling-dist", "1.0", False, lambda: module)
    reset_host(load_plugins([*builtin_candidates(), candidate]))
    try:
        spec = futstrat.plan_run("pi", "recycling-pool", workers=1, params={"n": 1000})
        assert spec.start_method == "spawn"
        assert main(["run", "pi", "--strategy", "recycling-pool", "--start-method", "fork", "--param", "n=10"]) == 2
        assert "supports the start methods spawn, forkserver, not fork" in capsys.readouterr().err
        options = {"tasks_per_worker": 2} if sys.version_info >= (3, 11) else {}
        report = futstrat.run(
            "pi", "recycling-pool", workers=2, params={"n": 20_000}, strategy_options=options, timeout=60
        )
        assert report.ok, report.error
    finally:
        reset_host()
        sys.modules.pop("recycling_plugin", None)
