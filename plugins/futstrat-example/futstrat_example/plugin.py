"""The hook implementations: what the ``futstrat`` entry point in pyproject.toml names.

futstrat imports this module once, in the parent process, when it first needs its plugins, and calls
each hook with a ``register`` callable of its own.
"""

from __future__ import annotations

from collections.abc import Callable

import futstrat
from futstrat import SharingSpec, StrategySpec, Workload
from futstrat_example.executor import make_fresh_thread_executor
from futstrat_example.primes import PrimesWorkload
from futstrat_example.sharing import open_thread_lock
from futstrat_example.thread_objects import open_thread_objects


@futstrat.hookimpl
def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    register(
        StrategySpec(
            name="fresh-thread",
            description="a new thread for every task, at most --workers at once",
            factory=make_fresh_thread_executor,
            shares_futures=True,  # its tasks are threads of one process: they may wait on each other
        )
    )


@futstrat.hookimpl
def futstrat_register_sharing(register: Callable[[SharingSpec], None]) -> None:
    register(
        SharingSpec(
            name="thread-lock",
            description="a plain int and a threading.Lock, for the threads of one process",
            open=open_thread_lock,
            crosses_processes=False,
        )
    )
    register(
        SharingSpec(
            name="thread-objects",
            description="each slot as a plain object with a threading.Lock, for the threads of one process",
            open=open_thread_objects,
            crosses_processes=False,
            slot_kinds=frozenset({"counter", "array", "mapping", "readonly"}),
        )
    )


@futstrat.hookimpl
def futstrat_register_workloads(register: Callable[[Workload], None]) -> None:
    register(PrimesWorkload())
