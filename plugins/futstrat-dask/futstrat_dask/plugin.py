"""The futstrat hooks of this distribution: the ``dask`` strategy and sharing backend, and their rules.

The entry point in group ``futstrat`` names this module; futstrat imports it once, on first use, and
dask itself only when a run uses it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Executor

import futstrat
from futstrat import Combination, ExecutorConfig, SharingSpec, StrategySpec
from futstrat_dask.executor import CONNECT_SECONDS, DaskExecutor
from futstrat_dask.shared_counter import ADDRESS_ENV, open_scheduler_counter

DASK = "dask"


def scheduler_address() -> str | None:
    """The scheduler to connect to, from the environment; None means a local cluster per run."""
    return os.environ.get(ADDRESS_ENV, "").strip() or None


def make_dask_executor(config: ExecutorConfig) -> Executor:
    return DaskExecutor(config.workers, address=scheduler_address(), connect_seconds=connect_seconds(config))


def connect_seconds(config: ExecutorConfig) -> float:
    """How long connecting may take: ``CONNECT_SECONDS``, or less when the run's deadline is sooner.

    ``ExecutorConfig.deadline`` (a ``time.monotonic()`` value) is when the run must have ended, so
    connecting counts against ``--timeout``; outside a run (``open_executor``) it is None.
    """
    deadline = config.deadline
    if deadline is None:
        return CONNECT_SECONDS
    return max(0.0, min(CONNECT_SECONDS, float(deadline) - time.monotonic()))


DASK_STRATEGY = StrategySpec(
    name=DASK,
    description="a dask.distributed Client's executor: a local cluster, or the scheduler at $" + ADDRESS_ENV,
    factory=make_dask_executor,
    crosses_processes=True,
    supports_initializer=False,
    pickles_with_stdlib=False,  # dask sends tasks with cloudpickle
)

DASK_SHARING = SharingSpec(
    name=DASK,
    description="a counter in a dask Variable guarded by a dask Lock, kept by the scheduler of the run's cluster",
    open=open_scheduler_counter,
)


def refusal_reason(combination: Combination) -> str | None:
    """Why a combination with dask in it cannot work, if it cannot."""
    strategy, sharing = combination.strategy, combination.sharing
    if strategy.name == DASK:
        if sharing.raw_shared_memory:
            return (
                f"sharing {sharing.name!r} is raw shared memory, which does not cross machines: dask's workers"
                f" may run anywhere the scheduler reaches; use --sharing {DASK}"
            )
        if sharing.uses_start_method and scheduler_address() is not None:
            return (
                f"sharing {sharing.name!r} serves its proxies from this machine, with this process's key, and"
                f" the workers of the cluster at ${ADDRESS_ENV} cannot use them: use --sharing {DASK}"
            )
        if combination.start_method is not None and not sharing.uses_start_method:
            return (
                f"{DASK!r} workers are started by dask (its nannies spawn them), so --start-method"
                f" {combination.start_method} cannot apply: leave it out"
            )
    elif sharing.name == DASK and sharing.open is open_scheduler_counter:
        return (
            f"sharing {DASK!r} keeps its counter on the dask scheduler that the {DASK!r} strategy connects,"
            f" and {strategy.name!r} runs its tasks where no dask scheduler is known: use --strategy {DASK}"
        )
    return None


@futstrat.hookimpl
def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    register(DASK_STRATEGY)


@futstrat.hookimpl
def futstrat_register_sharing(register: Callable[[SharingSpec], None]) -> None:
    register(DASK_SHARING)


@futstrat.hookimpl
def futstrat_veto(combination: Combination) -> str | None:
    return refusal_reason(combination)
