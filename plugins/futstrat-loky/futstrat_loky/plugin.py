"""The futstrat hooks of this distribution: two loky strategies and the combinations they refuse.

The entry point in group ``futstrat`` names this module; futstrat imports it once, on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

import futstrat
from futstrat import Combination, ExecutorConfig, Param, StrategySpec
from futstrat_loky.executors import REUSABLE_IDLE_SECONDS, LokyPoolExecutor, ReusedLokyExecutor

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
    options = config.options
    return ReusedLokyExecutor(
        config.workers,
        idle_timeout=options.get(IDLE_TIMEOUT, REUSABLE_IDLE_SECONDS),
        initializer=config.initializer,
        initargs=config.initargs,
        reuse=options.get(REUSE, True),
    )


#: ``reuse=false``: start fresh workers and stop them at shutdown instead of keeping them for the next
#: caller. A run's pool is its own anyway (its workers carry the run's task tracker), so the options
#: matter where the pool can be reused: ``futstrat.open_executor("loky-reusable", options={...})``.
REUSE = "reuse"
#: ``idle_timeout=SECONDS``: how long kept workers wait for the next caller before they exit.
IDLE_TIMEOUT = "idle_timeout"

LOKY_REUSABLE_OPTIONS = (
    Param(REUSE, bool, True, "keep the workers up for the next caller (false: fresh ones, stopped at shutdown)"),
    Param(
        IDLE_TIMEOUT,
        float,
        REUSABLE_IDLE_SECONDS,
        "seconds kept workers wait for the next caller before they exit",
        minimum=0.1,
        maximum=24 * 3600,
    ),
)


LOKY_STRATEGIES = (
    StrategySpec(
        name=LOKY,
        description="loky.ProcessPoolExecutor, a pool of its own per run, one submit() per chunk of tasks",
        factory=make_loky_pool,
        crosses_processes=True,
        start_methods=("fork", "spawn", "forkserver"),
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
        # It declares no start method (start_methods=None): loky starts its workers its own way, and
        # futstrat itself refuses a --start-method for it.
        params=LOKY_REUSABLE_OPTIONS,
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
    return None


@futstrat.hookimpl
def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    for spec in LOKY_STRATEGIES:
        register(spec)


@futstrat.hookimpl
def futstrat_veto(combination: Combination) -> str | None:
    return refusal_reason(combination)
