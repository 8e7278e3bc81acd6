"""futstrat: run any workload under any concurrency strategy, check the answer, measure the cost."""

from __future__ import annotations

__version__ = "0.1.0"

from futstrat.errors import FutstratError, RefusedError, UsageError
from futstrat.executors import open_executor
from futstrat.function_workload import workload
from futstrat.hookspecs import hookimpl
from futstrat.model import (
    Check,
    Combination,
    Dispatch,
    ExecutorConfig,
    ExecutorSpec,
    Param,
    PlanContext,
    RunReport,
    RunStatus,
    SharedStateNeed,
    SharingRequest,
    SharingSpec,
    Task,
    TaskMap,
    Timings,
    Workload,
)
from futstrat.runner import RunPlan, execute, plan_run, run
from futstrat.sharing import SharedCounter

__all__ = [
    "Check",
    "Combination",
    "Dispatch",
    "ExecutorConfig",
    "ExecutorSpec",
    "FutstratError",
    "Param",
    "PlanContext",
    "RefusedError",
    "RunPlan",
    "RunReport",
    "RunStatus",
    "SharedCounter",
    "SharedStateNeed",
    "SharingRequest",
    "SharingSpec",
    "Task",
    "TaskMap",
    "Timings",
    "UsageError",
    "Workload",
    "__version__",
    "execute",
    "hookimpl",
    "open_executor",
    "plan_run",
    "run",
    "workload",
]
