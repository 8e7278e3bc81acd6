"""Every built-in workload x strategy x sharing backend passes its check or is refused with a reason."""

from __future__ import annotations

import multiprocessing

import pytest

import futstrat
from futstrat.builtin.sharing_backends import BUILTIN_SHARING
from futstrat.builtin.strategies import BUILTIN_STRATEGIES
from futstrat.builtin.workloads import BUILTIN_WORKLOADS
from futstrat.errors import RefusedError
from futstrat.model import RunStatus

SMALL_PARAMS = {
    "pi": {"n": 20_000},
    "counter": {"increments": 200},
    "counter-race": {"increments": 500},
    "deadlock": {"delay": 0.05},
    "sleep": {"tasks": 4, "seconds": 0.01},
    "tiny": {"n": 3000},
    "histogram": {"samples": 300, "bins": 8},
    "histogram-race": {"samples": 300, "bins": 8},
    "lookup": {"mb": 1, "reads": 500},
    "wordcount": {"words": 300},
}

START_METHODS = multiprocessing.get_all_start_methods()
PROCESS_STRATEGIES = {"process", "process-map", "pool-map", "pool-imap", "pool-async"}


def expected_refusal(workload: str, strategy: str, sharing: str) -> str | None:
    """The words a refusal must contain, written out independently of the vetting code."""
    if workload == "deadlock":
        if strategy == "serial":
            return "one task at a time"
        if strategy != "thread":
            return "futures are not shared between processes"
    if workload in {"pi", "sleep", "deadlock", "tiny"} and sharing != "none":
        return "shares no state"
    if workload in {"counter-race", "histogram-race"} and sharing == "none":
        return "needs shared state"
    if workload == "wordcount" and sharing in {"value", "shm"}:
        return "mapping slot 'counts'"
    return None


def expected_status(workload: str) -> RunStatus:
    return RunStatus.DEADLOCK if workload == "deadlock" else RunStatus.PASSED


COMBINATIONS = [
    pytest.param(w.name, s.name, b.name, id=f"{w.name}-{s.name}-{b.name}")
    for w in BUILTIN_WORKLOADS
    for s in BUILTIN_STRATEGIES
    for b in BUILTIN_SHARING
]


def run_or_refusal(workload: str, strategy: str, sharing: str, start_method: str | None):
    return futstrat.run(
        workload,
        strategy,
        sharing=sharing,
        workers=2,
        params=SMALL_PARAMS[workload],
        start_method=start_method,
        timeout=60,
    )


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
@pytest.mark.parametrize(("workload", "strategy", "sharing"), COMBINATIONS)
def test_every_combination_passes_or_is_refused(workload, strategy, sharing, start_method):
    if start_method not in START_METHODS:
        pytest.skip(f"{start_method} is not offered here")
    if start_method != "fork" and strategy not in PROCESS_STRATEGIES and sharing != "manager":
        pytest.skip("no process is started: the start method does not apply")
    refusal = expected_refusal(workload, strategy, sharing)
    if refusal:
        with pytest.raises(RefusedError) as caught:
            run_or_refusal(workload, strategy, sharing, start_method)
        assert any(refusal in reason for reason in caught.value.reasons), caught.value.reasons
        return
    report = run_or_refusal(workload, strategy, sharing, start_method)
    assert report.status is expected_status(workload), (report.error, report.traceback)
    assert report.strategy == strategy
    assert report.sharing == sharing
    if strategy in PROCESS_STRATEGIES or sharing == "manager":
        assert report.start_method == start_method
    if report.status is RunStatus.PASSED:
        assert report.check is not None
        assert report.check.passed


@pytest.mark.parametrize("strategy", sorted(PROCESS_STRATEGIES))
def test_forkserver_runs_the_shared_counter(strategy):
    if "forkserver" not in START_METHODS:
        pytest.skip("forkserver is not offered here")
    report = futstrat.run(
        "counter", strategy, sharing="value", workers=2, params={"increments": 300}, start_method="forkserver"
    )
    assert report.ok, report.error
    assert report.value == 600
    assert report.start_method == "forkserver"


def test_lost_updates_are_counted_not_hidden():
    # Across processes with raw shared memory and no lock, 2 x 200,000 increments practically always
    # lose some; the report gives the number rather than failing.
    report = futstrat.run("counter-race", "process", sharing="value", workers=2, params={"increments": 200_000})
    assert report.ok
    assert report.check is not None
    assert report.value < report.check.expected
    assert "updates lost" in report.check.detail


def test_default_sharing_is_chosen_from_what_the_workload_prefers():
    assert futstrat.plan_run("counter", "process", workers=2).sharing.name == "value"
    assert futstrat.plan_run("pi", "process", workers=2).sharing.name == "none"
    assert futstrat.plan_run("counter-race", "thread", workers=2).sharing.name == "value"


def test_phases_are_timed_separately():
    report = futstrat.run("sleep", "thread", workers=2, params={"tasks": 4, "seconds": 0.05})
    timings = report.timings
    assert timings.compute >= 0.1  # two rounds of two 50 ms sleeps
    assert min(timings.startup, timings.compute, timings.shutdown) >= 0
    assert timings.total == pytest.approx(timings.startup + timings.compute + timings.shutdown)
