"""Plugin loading: real entry points, and every way a plugin can be broken."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import futstrat
from futstrat.errors import PluginError
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


class DuplicateNamePlugin:
    @staticmethod
    @futstrat.hookimpl
    def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
        from futstrat.builtin.strategies import make_thread_pool

        register(StrategySpec(name="thread", description="a second 'thread'", factory=make_thread_pool))


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
    ("duplicate", candidate("duplicate", DuplicateNamePlugin), "strategy 'thread' is registered twice"),
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
    assert set(host.registry.workloads.names()) == {"pi", "counter", "counter-race", "deadlock", "sleep", "tiny"}


def test_plugins_load_once(fresh_plugins):
    assert get_host() is get_host()
