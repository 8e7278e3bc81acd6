"""The futstrat hooks of this distribution: two loky strategies and the combinations they refuse.

The entry point in group ``futstrat`` names this module; futstrat imports it once, on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

import futstrat
from futstrat import Combination, ExecutorConfig, StrategySpec
from futstrat_loky.executors import LokyPoolExecutor, ReusedLokyExecutor

LOKY = "loky"
LOKY_REUSABLE = "loky-reusable"


def make_loky_pool(config: ExecutorConfig) -> Executor:
    return LokyPoolExecutor(
        config.workers,
        start_method=config.start_method,
        initializer=config.initializer,
        initargs=config.initargs,
    )


def make_reused_loky(config: ExecutorConfig) -> Executor:
    return ReusedLokyExecutor(config.workers, initializer=config.initializer, initargs=config.initargs)


LOKY_STRATEGIES = (
    StrategySpec(
        name=LOKY,
        description="loky.ProcessPoolExecutor, a pool of its own per run, one submit() per task",
        factory=make_loky_pool,
        crosses_processes=True,
        uses_start_method=True,
        pickles_with_stdlib=False,  # loky sends tasks with cloudpickle
    ),
    StrategySpec(
        name=LOKY_REUSABLE,
        description="loky's reusable executor: workers started by loky's own method, a fresh pool for each run",
        factory=make_reused_loky,
        crosses_processes=True,
        # The run's initializer (the task tracker) travels to the fork+exec'd workers as they start, as
        # under spawn; a run with one gets a pool of its own (see ReusedLokyExecutor). Raw shared memory
        # made for the run's start method does not reach workers started loky's own way.
        carries_raw_shared_memory=False,
        pickles_with_stdlib=False,
    ),
)


def refusal_reason(combination: Combination) -> str | None:
    """Why loky cannot run this combination, if it cannot."""
    if combination.strategy.name != LOKY_REUSABLE:
        return None
    if combination.sharing.raw_shared_memory:
        return (
            f"sharing {combination.sharing.name!r} hands raw shared memory and locks to the workers through the"
            f" pool's initializer, made for the run's start method; {LOKY_REUSABLE!r} has none (its workers are"
            f" fresh interpreters loky starts its own way): use sharing 'manager', or strategy {LOKY!r}"
        )
    if combination.start_method is not None and not combination.sharing.uses_start_method:
        return (
            f"{LOKY_REUSABLE!r} always starts its workers with loky's own method (fork then exec of a fresh"
            f" interpreter), so --start-method {combination.start_method} cannot apply: leave it out, or use"
            f" strategy {LOKY!r}, which honours it"
        )
    return None


@futstrat.hookimpl
def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    for spec in LOKY_STRATEGIES:
        register(spec)


@futstrat.hookimpl
def futstrat_veto(combination: Combination) -> str | None:
    return refusal_reason(combination)
