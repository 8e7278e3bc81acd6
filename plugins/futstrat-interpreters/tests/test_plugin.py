"""Registration, capabilities and vetting: what futstrat learns from the plugin, on any Python."""

from __future__ import annotations

import sys

import pytest
from conftest import needs_interpreters, without_interpreters
from futstrat_interpreters import plugin

from futstrat import Combination, ExecutorConfig, SharingSpec
from futstrat.builtin.thread_executor import WORKER_THREAD_PREFIX
from futstrat.plugins import get_host


def interpreter_spec_as_registered():
    return get_host().registry.strategies.get(plugin.STRATEGY)


def combination(sharing: str | SharingSpec, workload: str = "counter") -> Combination:
    host = get_host()
    spec = sharing if isinstance(sharing, SharingSpec) else host.registry.sharing.get(sharing)
    return Combination(host.registry.workloads.get(workload), interpreter_spec_as_registered(), spec, 2, None)


def test_the_plugin_loads_cleanly_through_its_entry_point() -> None:
    (info,) = [info for info in get_host().plugins if info.distribution == "futstrat-interpreters"]
    assert info.error is None
    assert info.module == "futstrat_interpreters.plugin"
    assert sorted(info.hooks) == ["futstrat_register_strategies", "futstrat_veto"]


def test_capabilities_are_stated_on_the_spec() -> None:
    spec = interpreter_spec_as_registered()
    assert spec.factory is plugin.make_interpreter_pool
    assert not spec.crosses_processes, "the tasks run in futstrat's own process"
    assert spec.pickles_tasks, "every task and result is pickled across an interpreter boundary"
    assert spec.supports_initializer, "the pool runs the initializer in each subinterpreter"
    assert not spec.carries_raw_shared_memory, "an initializer cannot hand raw shared memory to a subinterpreter"
    assert not spec.shares_futures
    assert not spec.uses_start_method
    assert spec.concurrent
    assert spec.workers_in_this_process, "a process a task starts is a child of futstrat's own process"


@needs_interpreters
def test_the_workers_carry_the_name_futstrat_s_command_line_ends_the_process_for() -> None:
    """A worker still waiting at the end of the command (for a thread a task left in its interpreter)
    makes the command line end the process at once; Python's own exit would join that thread."""
    pool = plugin.make_interpreter_pool(ExecutorConfig(workers=1, start_method=None))
    try:
        names = [thread.name for thread in pool._threads]  # type: ignore[attr-defined]
        assert names
        assert all(name.startswith(f"{WORKER_THREAD_PREFIX}-") for name in names)
    finally:
        pool.shutdown()


@needs_interpreters
def test_sharing_that_works_is_not_refused() -> None:
    assert plugin.refusal_reason(combination("none")) is None
    assert plugin.refusal_reason(combination("manager")) is None


@needs_interpreters
def test_raw_shared_memory_is_refused_with_the_reason() -> None:
    reason = plugin.refusal_reason(combination("value"))
    assert reason is not None
    assert "raw shared memory" in reason
    assert "use sharing 'manager' (every slot kind) or 'none'" in reason


@needs_interpreters
def test_shared_memory_blocks_are_refused_for_their_locks() -> None:
    reason = plugin.refusal_reason(combination("shm", workload="histogram"))
    assert reason is not None
    assert "multiprocessing locks" in reason
    assert "refuse to be pickled into an interpreter" in reason
    assert "use sharing 'manager' (every slot kind) or 'none'" in reason


@needs_interpreters
def test_sharing_that_stays_in_one_interpreter_is_refused() -> None:
    in_process = SharingSpec(
        name="threading-lock", description="a threading.Lock", open=lambda request: None, crosses_processes=False
    )
    reason = plugin.refusal_reason(combination(in_process))
    assert reason is not None
    assert "only works inside one interpreter" in reason


def test_other_strategies_are_not_judged() -> None:
    host = get_host()
    thread = Combination(
        host.registry.workloads.get("counter"),
        host.registry.strategies.get("thread"),
        host.registry.sharing.get("value"),
        2,
        None,
    )
    assert plugin.refusal_reason(thread) is None


def test_where_subinterpreters_are_missing_the_strategy_is_listed_and_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reason = "subinterpreters need Python 3.13 or newer (a GIL per interpreter and the PEP 734 API); this is 3.11.7"
    monkeypatch.setattr(plugin, "unavailable_reason", lambda: reason)
    spec = plugin.interpreter_spec()
    assert spec.description.endswith(f"(unavailable: {reason})")
    refusal = plugin.refusal_reason(combination("none", workload="pi"))
    assert refusal == f"strategy 'interpreter' is unavailable: {reason}"


@without_interpreters
def test_on_this_python_runs_are_refused_with_the_reason() -> None:
    from futstrat import RefusedError
    from futstrat.runner import plan_run

    with pytest.raises(RefusedError) as refused:
        plan_run("pi", plugin.STRATEGY, workers=2, params={"n": 1000})
    assert any("is unavailable" in reason for reason in refused.value.reasons)


def test_the_reason_says_what_to_install_or_upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    from futstrat_interpreters import support

    def no_module(name: str) -> object:
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(support.importlib, "import_module", no_module)
    support.find_api.cache_clear()
    try:
        api, reason = support.find_api()
    finally:
        support.find_api.cache_clear()
    assert api is None
    assert reason is not None
    if sys.version_info >= support.MINIMUM_PYTHON:
        assert "install backports-interpreters" in reason
    else:
        assert "need Python 3.13 or newer" in reason
