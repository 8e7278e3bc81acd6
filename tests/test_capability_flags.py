"""Each capability flag on a spec means one thing, and each rule reads the flag that answers its own
question: are the tasks pickled, do they run in worker processes of their own, is there an
initializer, can it carry raw shared memory. The defaults keep every spec written before the split
meaning what it meant."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

import futstrat
from futstrat.builtin.strategies import make_thread_pool
from futstrat.builtin.vetting import refusal_reason
from futstrat.cli.list_command import sharing_capabilities, strategy_capabilities
from futstrat.errors import RefusedError
from futstrat.model import (
    Check,
    Combination,
    PlanContext,
    RunStatus,
    SharingSpec,
    StrategySpec,
    Task,
    Workload,
)
from futstrat.plugins import get_host
from futstrat.testing.counting import must_refuse

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN_TIMEOUT = 30.0


def strategy(**flags: Any) -> StrategySpec:
    return StrategySpec(name="probe", description="a strategy made for this test", factory=make_thread_pool, **flags)


def sharing(**flags: Any) -> SharingSpec:
    return SharingSpec(name="probe-sharing", description="a backend made for this test", open=lambda r: None, **flags)


def refusal(strategy_spec: StrategySpec, sharing_spec: SharingSpec | str) -> str | None:
    registry = get_host().registry
    chosen = registry.sharing.get(sharing_spec) if isinstance(sharing_spec, str) else sharing_spec
    return refusal_reason(Combination(registry.workloads.get("counter"), strategy_spec, chosen, 2, None))


#: Plugins whose specs set only the flags there were before the split: the built-ins and the sample.
OLD_STYLE = ("futstrat.builtin.strategies", "sample")
#: A strategy whose tasks are pickled to workers inside futstrat's own process (subinterpreters).
PICKLED_IN_PROCESS = {"crosses_processes": False, "pickles_tasks": True, "carries_raw_shared_memory": False}
#: Worker processes with an initializer that cannot carry raw memory (they start their own way).
INITIALIZER_WITHOUT_RAW_MEMORY = {"crosses_processes": True, "carries_raw_shared_memory": False}


# -- defaults: a spec written before the split means what it meant -------------------------------------


@pytest.mark.parametrize("crosses", [False, True])
@pytest.mark.parametrize("initializer", [False, True])
def test_a_strategy_that_sets_only_the_old_flags_keeps_their_meaning(crosses: bool, initializer: bool) -> None:
    spec = strategy(crosses_processes=crosses, supports_initializer=initializer)
    assert spec.pickles_tasks is crosses
    assert spec.carries_raw_shared_memory is initializer
    assert spec.workers_in_this_process is not crosses


@pytest.mark.parametrize("needs", [False, True])
def test_a_sharing_backend_that_sets_only_the_old_flag_keeps_its_meaning(needs: bool) -> None:
    assert sharing(needs_initializer=needs).raw_shared_memory is needs


def test_the_built_in_and_sample_specs_keep_their_meaning() -> None:
    registry = get_host().registry
    ours = [spec for spec in registry.strategies.items() if registry.strategies.plugin_of(spec.name) in OLD_STYLE]
    assert {"serial", "thread", "process", "sample-single-thread"} <= {spec.name for spec in ours}
    for spec in ours:
        assert spec.pickles_tasks is spec.crosses_processes, spec.name
        assert spec.carries_raw_shared_memory is spec.supports_initializer, spec.name
    assert registry.sharing.get("value").raw_shared_memory
    assert not registry.sharing.get("manager").raw_shared_memory


# -- the vetting rules ----------------------------------------------------------------------------------


def test_in_process_state_is_refused_where_tasks_are_pickled_though_they_stay_in_this_process() -> None:
    reason = refusal(strategy(**PICKLED_IN_PROCESS), sharing(crosses_processes=False))
    assert reason is not None
    assert "pickles its tasks" in reason


def test_in_process_state_is_accepted_where_tasks_are_neither_pickled_nor_elsewhere() -> None:
    assert refusal(strategy(), sharing(crosses_processes=False)) is None


def test_raw_memory_is_refused_by_an_initializer_that_cannot_carry_it() -> None:
    reason = refusal(strategy(**INITIALIZER_WITHOUT_RAW_MEMORY), "value")
    assert reason is not None
    assert "raw shared memory" in reason
    assert "cannot carry it" in reason


def test_raw_memory_is_refused_without_an_initializer_as_before() -> None:
    reason = refusal(strategy(crosses_processes=True, supports_initializer=False), "value")
    assert reason is not None
    assert "does not offer" in reason
    assert refusal(strategy(crosses_processes=True), "value") is None


def test_state_installed_by_the_initializer_needs_an_initializer_but_not_raw_memory() -> None:
    installed = sharing(needs_initializer=True, raw_shared_memory=False)
    assert refusal(strategy(**INITIALIZER_WITHOUT_RAW_MEMORY), installed) is None
    assert refusal(strategy(**PICKLED_IN_PROCESS), installed) is None
    reason = refusal(strategy(crosses_processes=True, supports_initializer=False), installed)
    assert reason is not None
    assert "installs its state in each worker through the pool's initializer" in reason


def test_the_kit_expects_the_same_refusals_as_the_rules() -> None:
    value = get_host().registry.sharing.get("value")
    assert must_refuse(value, strategy(**INITIALIZER_WITHOUT_RAW_MEMORY)) is not None
    assert must_refuse(sharing(crosses_processes=False), strategy(**PICKLED_IN_PROCESS)) is not None
    assert must_refuse(sharing(needs_initializer=True, raw_shared_memory=False), strategy(**PICKLED_IN_PROCESS)) is None


# -- the per-task timeout -------------------------------------------------------------------------------


def test_a_task_timeout_is_accepted_for_worker_processes_with_an_initializer_that_carries_no_raw_memory() -> None:
    plan = futstrat.plan_run("pi", strategy(**INITIALIZER_WITHOUT_RAW_MEMORY), workers=2, task_timeout=5)
    assert plan.task_timeout == 5


def test_a_task_timeout_is_refused_where_pickled_tasks_run_in_this_process() -> None:
    with pytest.raises(RefusedError, match="no worker process to kill"):
        futstrat.plan_run("pi", strategy(**PICKLED_IN_PROCESS, supports_initializer=True), workers=2, task_timeout=5)


# -- a run ----------------------------------------------------------------------------------------------


class UnpicklableFirstTask(Workload):
    name = "unpicklable-first-task"
    description = "its first task's function is a lambda, which the standard pickle cannot send"

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return [Task(lambda: 1, ())]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return sum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(value == 1, 1, value)


def test_a_task_that_cannot_be_pickled_is_named_before_dispatch_where_tasks_are_pickled_in_this_process() -> None:
    report = futstrat.run(UnpicklableFirstTask(), strategy(**PICKLED_IN_PROCESS), workers=2, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.ERROR
    assert "task 0 (" in (report.error or "")
    assert "cannot be sent to a worker of 'probe'" in (report.error or "")


def test_a_task_that_is_not_pickled_needs_not_pickle() -> None:
    report = futstrat.run(UnpicklableFirstTask(), strategy(), workers=2, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.PASSED, report.error


# -- listing and the guide ------------------------------------------------------------------------------


def test_futstrat_list_names_each_capability() -> None:
    listed = strategy_capabilities(strategy(**PICKLED_IN_PROCESS))
    assert "pickles-tasks" in listed
    assert "initializer" in listed
    assert "crosses-processes" not in listed
    assert "raw-shared-memory" not in listed
    process = strategy_capabilities(get_host().registry.strategies.get("process"))
    assert {"crosses-processes", "pickles-tasks", "initializer", "raw-shared-memory"} <= set(process)
    assert "raw-shared-memory" in sharing_capabilities(get_host().registry.sharing.get("value"))
    assert "raw-shared-memory" not in sharing_capabilities(get_host().registry.sharing.get("manager"))


def test_the_guides_example_of_the_split_flags_is_complete_and_means_what_it_says() -> None:
    guide = (ROOT / "docs" / "plugin-guide.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", guide, re.DOTALL) if "INTERPRETER_POOL = " in b]
    namespace: dict[str, Any] = {}
    exec(compile(block, "plugin-guide.md", "exec"), namespace)  # complete: it brings its own imports
    spec = namespace["INTERPRETER_POOL"]
    assert (spec.crosses_processes, spec.pickles_tasks, spec.supports_initializer) == (False, True, True)
    assert "raw shared memory" in (refusal(spec, "value") or "")
    assert refusal(spec, "manager") is None
    with pytest.raises(RefusedError, match="no worker process to kill"):
        futstrat.plan_run("pi", spec, workers=2, task_timeout=5)
