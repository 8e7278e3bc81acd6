"""Every task reads a large read-only table: what it costs to get the same data to every worker.

The table repeats a pattern of a prime period, and each task reads entries a fixed stride apart, so the
sum of what the tasks read has a closed form that the check computes without the table. With sharing
``none`` the table travels with each task: a process pool pickles it for every task it sends.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.builtin.state_tasks import (
    READ_STRIDE,
    TABLE_PATTERN,
    TABLE_PERIOD,
    make_table,
    read_passed_table,
    read_shared_table,
    table_length,
)
from futstrat.engine.splitting import task_count
from futstrat.model import Check, Param, PlanContext, Task, Workload
from futstrat.shared_state import ReadOnly, SharedStateNeed, Slot

#: Tasks per worker by default: enough that sending the table with each task shows.
TASKS_PER_WORKER = 8

PARAMS = (
    Param("mb", int, 64, "size of the read-only table in MiB", minimum=1, maximum=1 << 16),
    Param("reads", int, 100_000, "entries each task reads, spread over the whole table", minimum=1, maximum=10**9),
    Param(
        "tasks",
        int,
        None,
        f"how many tasks read the table (default: {TASKS_PER_WORKER} per worker)",
        minimum=1,
        maximum=1_000_000,
    ),
)


@functools.lru_cache(maxsize=1)
def lookup_table(megabytes: int) -> bytes:
    """The table, made once for the runs that use the same size: the data a user shares exists before
    the run, so a comparison times getting it to the tasks, not making it (vetting asks for the slots
    too). Bytes cannot change, so every run may share the one object."""
    return make_table(megabytes)


def first_entry(task: int, tasks: int, length: int) -> int:
    """Where task ``task`` starts reading: each task in its own part of the table."""
    return task * (length // tasks)


def expected_sum(first: int, reads: int) -> int:
    """What a task reads, in closed form: the table's length is a whole number of periods, and the
    stride is not a multiple of the prime period, so every ``TABLE_PERIOD`` reads visit each entry of
    the pattern exactly once."""
    rounds, rest = divmod(reads, TABLE_PERIOD)
    tail = sum(TABLE_PATTERN[(first + step * READ_STRIDE) % TABLE_PERIOD] for step in range(rest))
    return rounds * sum(TABLE_PATTERN) + tail


class LookupWorkload(Workload):
    name = "lookup"
    description = (
        "every task reads entries of a large read-only table (a read-only slot); with sharing none,"
        " the table travels with each task"
    )
    params = PARAMS
    shared_state = SharedStateNeed.OPTIONAL
    preferred_sharing: tuple[str, ...] = ("shm", "value", "manager", "none")

    def shared_slots(self, params: Mapping[str, Any], plan: PlanContext) -> Mapping[str, Slot]:
        return {"table": ReadOnly(lookup_table(params["mb"]))}

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        count = task_count(params, plan, TASKS_PER_WORKER)
        length = table_length(params["mb"])
        starts = [first_entry(task, count, length) for task in range(count)]
        if plan.sharing == "none":
            table = lookup_table(params["mb"])
            return [Task(read_passed_table, (table, first, params["reads"])) for first in starts]
        return [Task(read_shared_table, (first, params["reads"])) for first in starts]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: Any) -> int:
        return sum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        length = table_length(params["mb"])
        expected = sum(
            expected_sum(first_entry(task, task_count, length), params["reads"]) for task in range(task_count)
        )
        reads = task_count * params["reads"]
        return Check(
            passed=value == expected,
            expected=expected,
            detail=f"{reads} entries of a {length:,}-byte table summed to {value}, closed form {expected}",
        )
