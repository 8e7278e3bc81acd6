"""A small third-party plugin: one strategy, one workload, one veto and the run events.

futstrat's tests install it as a distribution so that entry-point loading is tested for real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

import futstrat
from futstrat import Check, ExecutorConfig, Param, PlanContext, StrategySpec, Task, Workload

#: Every run event this plugin saw, for the tests to read.
EVENTS: list[tuple[str, str]] = []


def make_single_thread(config: ExecutorConfig) -> Executor:
    return ThreadPoolExecutor(1, initializer=config.initializer, initargs=config.initargs)


def square(x: int) -> int:
    return x * x


class SumOfSquares(Workload):
    name = "sample-squares"
    description = "the sum of the first n squares, one task per square"
    params = (Param("n", int, 50, "how many squares", minimum=1, maximum=100_000),)

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return [Task(square, (i,)) for i in range(params["n"])]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        return sum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        n = params["n"]
        expected = (n - 1) * n * (2 * n - 1) // 6
        return Check(value == expected, expected, f"{value} against {expected}")


@futstrat.hookimpl
def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    register(
        StrategySpec(
            name="sample-single-thread",
            description="a thread pool of one thread, from the sample plugin",
            factory=make_single_thread,
            concurrent=False,  # one thread: tasks run one at a time
        )
    )


@futstrat.hookimpl
def futstrat_register_workloads(register: Callable[[Workload], None]) -> None:
    register(SumOfSquares())


@futstrat.hookimpl
def futstrat_veto(combination: futstrat.Combination) -> str | None:
    if combination.workload.name == "sleep" and combination.strategy.name == "sample-single-thread":
        return "the sample plugin does not let its single thread sleep"
    return None


@futstrat.hookimpl
def futstrat_run_started(plan: futstrat.RunPlan) -> None:
    EVENTS.append(("started", plan.label))


@futstrat.hookimpl
def futstrat_run_finished(report: futstrat.RunReport) -> None:
    EVENTS.append(("finished", report.status.value))


@futstrat.hookimpl
def futstrat_trial_finished(trial: Any, done: int, total: int) -> None:
    kind = "warm-up" if trial.warmup else "sample"
    EVENTS.append(("trial", f"{trial.contender.strategy} {kind} {trial.report.status.value} {done}/{total}"))
