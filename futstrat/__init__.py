"""futstrat: run any workload under any concurrency strategy, check the answer, measure the cost.

The names below load on first use, so that importing futstrat (the pytest plugin does, in every test
run of an environment that has it) costs next to nothing until something is actually asked of it.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # every worker imports this package; typing would cost a fresh one milliseconds

__version__ = "0.1.0"

#: Old names, still found (with a DeprecationWarning) but no longer listed in ``__all__``.
_DEPRECATED = frozenset({"ExecutorSpec"})

#: Each public name and the module it lives in.
_PUBLIC = {
    "Check": "futstrat.model",
    "Combination": "futstrat.model",
    "Dispatch": "futstrat.model",
    "ExecutorConfig": "futstrat.model",
    "StrategySpec": "futstrat.model",
    "StrategyExecutor": "futstrat.executor_protocol",
    "ExecutorSpec": "futstrat.model",
    "Param": "futstrat.model",
    "PlanContext": "futstrat.model",
    "RunReport": "futstrat.model",
    "RunStatus": "futstrat.model",
    "SharedStateNeed": "futstrat.shared_state",
    "SharingRequest": "futstrat.model",
    "SharingSpec": "futstrat.model",
    "Task": "futstrat.model",
    "TaskMap": "futstrat.model",
    "Timings": "futstrat.model",
    "Workload": "futstrat.model",
    "FutstratError": "futstrat.errors",
    "RefusedError": "futstrat.errors",
    "UsageError": "futstrat.errors",
    "hookimpl": "futstrat.hookspecs",
    "open_executor": "futstrat.plain_executor",
    "workload": "futstrat.function_workload",
    "RunOptions": "futstrat.options",
    "RunPlan": "futstrat.runner",
    "execute": "futstrat.runner",
    "plan_run": "futstrat.runner",
    "run": "futstrat.runner",
    "SharedCounter": "futstrat.sharing",
    "SharedState": "futstrat.sharing",
    "SharedArray": "futstrat.sharing",
    "SharedMapping": "futstrat.sharing",
    "SharedSnapshot": "futstrat.sharing",
    "Counter": "futstrat.shared_state",
    "Array": "futstrat.shared_state",
    "Mapping": "futstrat.shared_state",
    "ReadOnly": "futstrat.shared_state",
    "compare": "futstrat.measure",
}

__all__ = [
    "Array",
    "Check",
    "Combination",
    "Counter",
    "Dispatch",
    "ExecutorConfig",
    "FutstratError",
    "Mapping",
    "Param",
    "PlanContext",
    "ReadOnly",
    "RefusedError",
    "RunOptions",
    "RunPlan",
    "RunReport",
    "RunStatus",
    "SharedArray",
    "SharedCounter",
    "SharedMapping",
    "SharedSnapshot",
    "SharedState",
    "SharedStateNeed",
    "SharingRequest",
    "SharingSpec",
    "StrategyExecutor",
    "StrategySpec",
    "Task",
    "TaskMap",
    "Timings",
    "UsageError",
    "Workload",
    "__version__",
    "compare",
    "execute",
    "hookimpl",
    "open_executor",
    "plan_run",
    "run",
    "workload",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'futstrat' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if name not in _DEPRECATED:  # an old name warns on every first use in a module, so it is not cached
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | (set(_PUBLIC) - _DEPRECATED))


if TYPE_CHECKING:
    from typing import Any

    from futstrat.errors import FutstratError, RefusedError, UsageError
    from futstrat.function_workload import workload
    from futstrat.hookspecs import hookimpl
    from futstrat.measure import compare
    from futstrat.model import (
        Check,
        Combination,
        Dispatch,
        ExecutorConfig,
        Param,
        PlanContext,
        RunReport,
        RunStatus,
        SharingRequest,
        SharingSpec,
        StrategySpec,
        Task,
        TaskMap,
        Timings,
        Workload,
    )
    from futstrat.options import RunOptions
    from futstrat.plain_executor import open_executor
    from futstrat.runner import RunPlan, execute, plan_run, run
    from futstrat.shared_state import Array, Counter, Mapping, ReadOnly
    from futstrat.sharing import SharedArray, SharedCounter, SharedMapping, SharedSnapshot, SharedState
