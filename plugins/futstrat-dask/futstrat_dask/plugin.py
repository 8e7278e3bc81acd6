"""The futstrat hooks of this distribution: the ``dask`` strategy and sharing backend, and their rules.

The entry point in group ``futstrat`` names this module; futstrat imports it once, on first use, and
dask itself only when a run uses it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

import futstrat
from futstrat import Combination, ExecutorConfig, Param, SharingSpec, StrategySpec
from futstrat_dask.executor import CONNECT_SECONDS, DaskExecutor
from futstrat_dask.shared_counter import ADDRESS_ENV, SLOT_KINDS, open_scheduler_state, remember_address

DASK = "dask"
#: ``--option address=tcp://HOST:PORT``: the scheduler to connect to.
ADDRESS = "address"
#: ``--option max_in_flight=N``: how many tasks the scheduler is given ahead of their results.
MAX_IN_FLIGHT = "max_in_flight"


def scheduler_address(options: Mapping[str, Any] | None = None) -> str | None:
    """The scheduler to connect to: the ``address`` option, else the environment's; None means a local
    cluster per run."""
    given = (options or {}).get(ADDRESS)
    if given is not None and given.strip():
        return str(given).strip()
    return os.environ.get(ADDRESS_ENV, "").strip() or None


def make_dask_executor(config: ExecutorConfig) -> Executor:
    address = scheduler_address(config.options)
    remember_address(address)
    return DaskExecutor(
        config.workers,
        address=address,
        connect_seconds=connect_seconds(config),
        max_in_flight=config.options.get(MAX_IN_FLIGHT),
    )


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
    description="a dask.distributed Client's executor: a local cluster, or the scheduler at --option address",
    factory=make_dask_executor,
    crosses_processes=True,
    supports_initializer=False,
    pickles_with_stdlib=False,  # dask sends tasks with cloudpickle
    # No start_methods: dask's nannies start the workers, so futstrat refuses a --start-method for it.
    params=(
        Param(
            ADDRESS,
            str,
            None,
            f"tcp://HOST:PORT of a running dask scheduler (default: ${ADDRESS_ENV}, else a local cluster per run)",
        ),
        Param(
            MAX_IN_FLIGHT,
            int,
            None,
            "tasks handed to the dask scheduler ahead of the results (default: the cluster's threads + 1); the"
            " others wait in futstrat, where cancelling them is exact",
            minimum=1,
            maximum=100_000,
        ),
    ),
)

DASK_SHARING = SharingSpec(
    name=DASK,
    description="counters and arrays in dask Variables and Locks on the scheduler; read-only data scattered",
    open=open_scheduler_state,
    slot_kinds=SLOT_KINDS,
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
        address = scheduler_address(combination.options)
        if sharing.uses_start_method and address is not None:
            return (
                f"sharing {sharing.name!r} serves its proxies from this machine, with this process's key, and"
                f" the workers of the cluster at {address} cannot use them: use --sharing {DASK}"
            )
    elif sharing.name == DASK and sharing.open is open_scheduler_state:
        return (
            f"sharing {DASK!r} keeps its state on the dask scheduler that the {DASK!r} strategy connects,"
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
