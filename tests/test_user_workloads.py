"""A user's own workload by dotted path or decorator, under every start method."""

from __future__ import annotations

import multiprocessing
import re

import pytest

import futstrat
from futstrat.errors import UsageError
from futstrat.model import RunStatus

METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.mark.parametrize("start_method", METHODS)
@pytest.mark.parametrize("strategy", ["process", "pool-map", "pool-imap"])
def test_a_decorated_function_runs_in_worker_processes(strategy, start_method):
    report = futstrat.run(
        "tests.user_workloads.squares:square", strategy, workers=2, start_method=start_method, timeout=60
    )
    assert report.ok, report.error
    assert report.value == sum(i * i for i in range(300))


def test_a_workload_class_is_instantiated():
    report = futstrat.run("tests.user_workloads.squares:SumOfCubes", "thread", workers=2, params={"n": 12})
    assert report.ok
    assert report.workload == "sum-of-cubes"


def test_a_wrong_answer_fails_the_check():
    report = futstrat.run("tests.user_workloads.squares:wrong_answer", "serial", params={"n": 5})
    assert report.status is RunStatus.CHECK_FAILED
    assert not report.ok


def test_a_task_error_carries_type_message_and_remote_traceback():
    report = futstrat.run("tests.user_workloads.squares:failing", "process", workers=2, params={"n": 4})
    assert report.status is RunStatus.ERROR
    assert re.search(r"task (\d) \(raise_value_error\(\1\)\) raised ValueError: item \1 is not welcome", report.error)
    assert report.traceback is not None
    assert "raise_value_error" in report.traceback


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("tests.user_workloads.nowhere:thing", "no module named 'tests.user_workloads.nowhere'"),
        ("tests.user_workloads.squares:missing", "has no attribute 'missing'"),
        ("tests.user_workloads.squares:NOT_A_WORKLOAD", "not a futstrat Workload"),
        ("tests.user_workloads.explodes_on_import:x", "RuntimeError: this module refuses to be imported"),
        ("tests.user_workloads.squares:", "package.module:name"),
    ],
)
def test_bad_dotted_paths_are_usage_errors(path, words):
    with pytest.raises(UsageError) as caught:
        futstrat.plan_run(path, "serial")
    assert words in str(caught.value)
