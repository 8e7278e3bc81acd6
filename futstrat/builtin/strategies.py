"""The built-in strategies, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from futstrat.hookspecs import hookimpl
from futstrat.model import ALL_START_METHODS, Dispatch, ExecutorConfig, Param, StrategySpec
from futstrat.start_methods import process_context


def _context(config: ExecutorConfig) -> Any:
    return process_context(config.start_method)


# Each factory imports its executor's module when it is called, not when the plugin is registered: a run
# uses one strategy, and the multiprocessing.Pool machinery alone costs a run that never uses it.


def make_serial(config: ExecutorConfig) -> Executor:
    from futstrat.builtin.serial_executor import SerialExecutor

    return SerialExecutor()


def make_thread_pool(config: ExecutorConfig) -> Executor:
    from futstrat.builtin.thread_executor import WORKER_THREAD_PREFIX, StoppableThreadPoolExecutor

    return StoppableThreadPoolExecutor(
        config.workers,
        thread_name_prefix=WORKER_THREAD_PREFIX,
        initializer=config.initializer,
        initargs=config.initargs,
    )


def make_process_pool(config: ExecutorConfig) -> Executor:
    from futstrat.builtin.process_executor import KillableProcessPoolExecutor

    return KillableProcessPoolExecutor(
        config.workers, mp_context=_context(config), initializer=config.initializer, initargs=config.initargs
    )


def make_multiprocessing_pool(config: ExecutorConfig) -> Executor:
    from futstrat.builtin.pool_executor import PoolExecutor

    return PoolExecutor(
        config.workers,
        mp_context=_context(config),
        initializer=config.initializer,
        initargs=config.initargs,
        max_in_flight=config.options.get(MAX_IN_FLIGHT),
    )


#: The pool-* strategies' option: how many tasks (or chunks) may be in the pool's queues at once.
MAX_IN_FLIGHT = "max_in_flight"

POOL_OPTIONS = (
    Param(
        MAX_IN_FLIGHT,
        int,
        None,
        "tasks or chunks handed to the pool ahead of the results (default: workers + 1); more keeps workers"
        " busier, fewer keeps more of the work cancellable",
        minimum=1,
        maximum=100_000,
    ),
)


def _process_spec(
    name: str,
    description: str,
    factory: Callable[[ExecutorConfig], Executor],
    dispatch: Dispatch,
    params: tuple[Param, ...] = (),
) -> StrategySpec:
    return StrategySpec(
        name=name,
        description=description,
        factory=factory,
        dispatch=dispatch,
        crosses_processes=True,
        start_methods=ALL_START_METHODS,
        params=params,
    )


BUILTIN_STRATEGIES = (
    StrategySpec(
        name="serial",
        description="every task in the calling thread, one after another: the baseline",
        factory=make_serial,
        concurrent=False,
    ),
    StrategySpec(
        name="thread",
        description="concurrent.futures.ThreadPoolExecutor, one submit() per chunk of tasks",
        factory=make_thread_pool,
        shares_futures=True,
    ),
    _process_spec(
        "process",
        "concurrent.futures.ProcessPoolExecutor, one submit() per chunk of tasks",
        make_process_pool,
        Dispatch.SUBMIT,
    ),
    _process_spec(
        "process-map",
        "concurrent.futures.ProcessPoolExecutor.map() with a chunk size",
        make_process_pool,
        Dispatch.MAP,
    ),
    _process_spec(
        "pool-map",
        "multiprocessing.Pool map, results in order",
        make_multiprocessing_pool,
        Dispatch.MAP,
        POOL_OPTIONS,
    ),
    _process_spec(
        "pool-imap",
        "multiprocessing.Pool imap_unordered, results as they complete",
        make_multiprocessing_pool,
        Dispatch.MAP_UNORDERED,
        POOL_OPTIONS,
    ),
    _process_spec(
        "pool-async",
        "multiprocessing.Pool apply_async() per chunk of tasks, AsyncResult behind a future",
        make_multiprocessing_pool,
        Dispatch.SUBMIT,
        POOL_OPTIONS,
    ),
)


@hookimpl
def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    for spec in BUILTIN_STRATEGIES:
        register(spec)
