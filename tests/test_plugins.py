"""Plugin loading: real entry points, and every way a plugin can be broken."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

import futstrat
from futstrat.errors import PluginError, UnknownNameError
from futstrat.model import StrategySpec, Workload
from futstrat.plugins import PluginCandidate, builtin_candidates, get_host, load_plugins


def candidate(name: str, plugin: object) -> PluginCandidate:
    return PluginCandidate(name, f"{name}_module", f"{name}-dist", "0.0.1", False, lambda: plugin)


def failing_import() -> object:
    raise ImportError("No module named 'missing_dependency'")


class SpareThreadPlugin:
    """A healthy plugin: registers one extra strategy."""

    @staticmethod
    @futstrat.hookimpl
    def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
        from futstrat.builtin.strategies import make_thread_pool

        register(StrategySpec(name="spare-thread", description="a second thread strategy", factory=make_thread_pool))


class MisspelledHookPlugin:
    @staticmethod
    @futstrat.hookimpl
    def futstrat_register_strategie(register):  # missing the final "s"
        raise AssertionError("never called")


class WrongSignaturePlugin:
    @staticmethod
    @futstrat.hookimpl
    def futstrat_register_workloads(register, colour):
        raise AssertionError("never called")


class RaisingRegistrationPlugin:
    @staticmethod
    @futstrat.hookimpl
    def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
        from futstrat.builtin.strategies import make_thread_pool

        register(
            StrategySpec(name="half-registered", description="registered before the crash", factory=make_thread_pool)
        )
        raise RuntimeError("the plugin's configuration file is missing")


class WrongObjectPlugin:
    @staticmethod
    @futstrat.hookimpl
    def futstrat_register_workloads(register: Callable[[Workload], None]) -> None:
        register("pi but as a string")  # type: ignore[arg-type]


BROKEN = [
    (
        "import",
        PluginCandidate("imports-badly", "bad_module", "bad-dist", "1.0", False, failing_import),
        "failed to import",
    ),
    ("misspelled", candidate("misspelled", MisspelledHookPlugin), "did you mean 'futstrat_register_strategies'"),
    ("signature", candidate("signature", WrongSignaturePlugin), "colour"),
    ("raises", candidate("raises", RaisingRegistrationPlugin), "configuration file is missing"),
    ("wrong-object", candidate("wrong-object", WrongObjectPlugin), "takes a Workload, got str"),
]


@pytest.mark.parametrize(("label", "broken", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_plugin_is_skipped_and_reported(label, broken, words):
    host = load_plugins([*builtin_candidates(), broken, candidate("healthy", SpareThreadPlugin)])
    info = {i.name: i for i in host.plugins}
    assert info[broken.name].error is not None
    assert words in info[broken.name].error
    # The rest keep working.
    assert info["healthy"].error is None
    assert "spare-thread" in host.registry.strategies
    assert "thread" in host.registry.strategies
    assert host.registry.strategies.plugin_of("thread") == "futstrat.builtin.strategies"
    # Nothing of the broken plugin stays half-registered.
    assert "half-registered" not in host.registry.strategies
    assert broken.name not in {p for p, _ in host.manager.list_name_plugin()}


@pytest.mark.parametrize(("label", "broken", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_strict_mode_makes_plugin_problems_fatal(label, broken, words):
    with pytest.raises(PluginError, match=broken.name):
        load_plugins([*builtin_candidates(), broken], strict=True)


def test_builtins_register_through_the_same_hooks_as_third_parties():
    host = load_plugins(builtin_candidates())
    hooks = {info.name: set(info.hooks) for info in host.plugins}
    assert hooks["futstrat.builtin.strategies"] == {"futstrat_register_strategies"}
    assert hooks["futstrat.builtin.sharing_backends"] == {"futstrat_register_sharing"}
    assert hooks["futstrat.builtin.workloads"] == {"futstrat_register_workloads"}
    assert hooks["futstrat.builtin.vetting"] == {"futstrat_veto"}
    assert set(host.registry.strategies.names()) == {
        "serial", "thread", "process", "process-map", "pool-map", "pool-imap", "pool-async",
    }  # fmt: skip
    assert set(host.registry.sharing.names()) == {"none", "value", "manager", "shm"}
    assert set(host.registry.workloads.names()) == {
        "pi", "counter", "counter-race", "deadlock", "sleep", "tiny",
        "histogram", "histogram-race", "lookup", "wordcount",
    }  # fmt: skip


def test_plugins_load_once(fresh_plugins):
    assert get_host() is get_host()


def line_of(function: Callable[..., object], text: str) -> int:
    """The line number of the first line of ``function``'s source that holds ``text``."""
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_a_registration_that_raises_is_placed_at_the_plugin_s_own_file_and_line():
    host = load_plugins([*builtin_candidates(), candidate("raises", RaisingRegistrationPlugin)])
    (info,) = [i for i in host.plugins if i.name == "raises"]
    line = line_of(RaisingRegistrationPlugin.futstrat_register_strategies, "raise RuntimeError")
    assert info.location == f"{__file__}:{line}"
    assert info.error == (
        f"failed to register: RuntimeError: the plugin's configuration file is missing (at {__file__}:{line})"
    )
    assert info.traceback is not None
    assert info.traceback.startswith("Traceback (most recent call last):")
    assert f'File "{__file__}", line {line}, in futstrat_register_strategies' in info.traceback
    assert info.traceback.rstrip().endswith("RuntimeError: the plugin's configuration file is missing")


def test_a_wrong_object_is_placed_where_the_plugin_called_register_not_inside_futstrat():
    host = load_plugins([*builtin_candidates(), candidate("wrong-object", WrongObjectPlugin)])
    (info,) = [i for i in host.plugins if i.name == "wrong-object"]
    assert info.location == f"{__file__}:{line_of(WrongObjectPlugin.futstrat_register_workloads, 'register(')}"


def test_a_plugin_that_cannot_be_imported_has_no_place_of_its_own_when_nothing_of_it_ran():
    host = load_plugins([PluginCandidate("imports-badly", "bad_module", "bad-dist", "1.0", False, failing_import)])
    (info,) = host.plugins
    assert info.error == "failed to import bad_module: ImportError: No module named 'missing_dependency'" + (
        f" (at {__file__}:{line_of(failing_import, 'raise ImportError')})"
    )
    assert info.traceback is not None
    assert "ImportError" in info.traceback


def strategies_plugin(*names: str) -> object:
    """A healthy plugin that registers a thread strategy under each of ``names``, in order."""

    class Plugin:
        @staticmethod
        @futstrat.hookimpl
        def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
            from futstrat.builtin.strategies import make_thread_pool

            for name in names:
                register(StrategySpec(name=name, description=f"{name} again", factory=make_thread_pool))

    return Plugin


def test_a_name_two_plugins_register_is_skipped_alone_and_both_are_named():
    host = load_plugins(
        [
            *builtin_candidates(),
            candidate("first", strategies_plugin("first-own", "contested")),
            candidate("second", strategies_plugin("contested", "second-own")),
        ]
    )
    info = {i.name: i for i in host.plugins}
    assert info["first"].error is None
    assert info["second"].error is None
    assert info["first"].skipped_names == ["strategy 'contested' is also registered by 'second', so neither is used"]
    assert info["second"].skipped_names == ["strategy 'contested' is also registered by 'first', so neither is used"]
    assert {"first-own", "second-own"} <= set(host.registry.strategies.names())
    assert "contested" not in host.registry.strategies
    with pytest.raises(UnknownNameError) as raised:
        host.registry.strategies.get("contested")
    assert str(raised.value).startswith(
        "unknown strategy 'contested': it is registered by both 'first' and 'second', so neither is used"
        " (uninstall one, or choose with FUTSTRAT_PLUGINS)"
    )
    assert [p.name for p in host.problems] == ["first", "second"]


def test_a_plugin_that_registers_a_name_twice_says_so():
    host = load_plugins([*builtin_candidates(), candidate("careless", strategies_plugin("twice", "once", "twice"))])
    (info,) = [i for i in host.plugins if i.name == "careless"]
    assert info.error is None
    assert info.skipped_names == ["registers strategy 'twice' twice; none is used"]
    assert "once" in host.registry.strategies
    assert "twice" not in host.registry.strategies
    with pytest.raises(UnknownNameError, match="its plugin 'careless' registers it twice"):
        host.registry.strategies.get("twice")


def test_a_built_in_name_stays_the_built_in_s_and_the_plugin_keeps_its_other_names():
    host = load_plugins([*builtin_candidates(), candidate("taker", strategies_plugin("thread", "taker-own"))])
    (info,) = [i for i in host.plugins if i.name == "taker"]
    assert info.error is None
    assert info.skipped_names == [
        "strategy 'thread' is built in (from 'futstrat.builtin.strategies'), so this plugin's one is not used"
    ]
    assert host.registry.strategies.plugin_of("thread") == "futstrat.builtin.strategies"
    assert host.registry.strategies.plugin_of("taker-own") == "taker"


def test_a_skipped_name_is_a_problem_that_strict_mode_makes_fatal():
    with pytest.raises(PluginError, match="plugin 'taker': strategy 'thread' is built in"):
        load_plugins([*builtin_candidates(), candidate("taker", strategies_plugin("thread"))], strict=True)


def test_asking_for_a_name_its_skipped_plugin_registered_says_why_it_was_skipped():
    host = load_plugins([*builtin_candidates(), candidate("raises", RaisingRegistrationPlugin)])
    with pytest.raises(UnknownNameError) as raised:
        host.registry.strategies.get("half-registered")
    assert str(raised.value).startswith(
        "unknown strategy 'half-registered': its plugin 'raises' was skipped: failed to register: RuntimeError:"
        " the plugin's configuration file is missing (at "
    )


def test_asking_for_a_name_names_the_skipped_plugins_that_may_have_offered_it():
    host = load_plugins(
        [
            *builtin_candidates(),
            PluginCandidate("imports-badly", "bad_module", "bad-dist", "1.0", False, failing_import),
            candidate("raises", RaisingRegistrationPlugin),
        ]
    )
    with pytest.raises(UnknownNameError) as raised:
        host.registry.sharing.get("file-lock")
    message = str(raised.value)
    assert message.startswith("unknown sharing backend 'file-lock' (known: manager, none, shm, value); ")
    assert "plugin 'imports-badly', which may offer it, was skipped: failed to import bad_module" in message
    # The plugin that failed registers strategies only: it could not have offered a sharing backend.
    assert "'raises'" not in message
    with pytest.raises(UnknownNameError, match="plugin 'raises', which may offer it, was skipped"):
        host.registry.strategies.get("file-lock")
