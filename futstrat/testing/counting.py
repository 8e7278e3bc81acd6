"""The shared counter as both contracts run it: exact under its lock, or refused with a reason.

A strategy meets every sharing backend and a backend meets every strategy, so the same check serves
the executor contract (one strategy, each backend) and the sharing contract (one backend, each strategy).
"""

from __future__ import annotations

from futstrat.errors import RefusedError
from futstrat.model import SharingSpec, StrategySpec


def must_refuse(sharing: SharingSpec, strategy: StrategySpec) -> str | None:
    """Why this pairing cannot work whatever the vetting rules say, read from the specs' own claims."""
    if sharing.open is None or not strategy.pickles_tasks:
        return None
    if not sharing.crosses_processes:
        return f"{sharing.name} claims crosses_processes=False and {strategy.name} pickles its tasks to its workers"
    if sharing.raw_shared_memory and not strategy.carries_raw_shared_memory:
        return f"{sharing.name} is raw shared memory and {strategy.name} claims carries_raw_shared_memory=False"
    if sharing.needs_initializer and not strategy.supports_initializer:
        return f"{sharing.name} needs the pool initializer and {strategy.name} claims supports_initializer=False"
    return None


def assert_explained(refusal: RefusedError, label: str) -> None:
    """A refusal must say why, in words, before anything starts."""
    reasons = refusal.reasons
    assert reasons, f"{label}: a refusal must give its reasons"
    assert all(reason.strip() for reason in reasons), f"{label}: a refusal gave an empty reason"


def assert_counts_exactly_or_refuses(
    strategy: StrategySpec,
    sharing: SharingSpec,
    *,
    workers: int,
    increments: int,
    start_method: str | None,
    timeout: float,
) -> None:
    """Run the ``counter`` workload; it must count every increment, or be refused before it starts."""
    from futstrat.runner import execute, plan_run

    label = f"counter x {strategy.name} x {sharing.name}"
    try:
        plan = plan_run(
            "counter",
            strategy,
            sharing=sharing,
            workers=workers,
            params={"increments": increments},
            start_method=start_method,
            timeout=timeout,
        )
    except RefusedError as refusal:
        assert_explained(refusal, label)
        return
    expected_refusal = must_refuse(sharing, strategy)
    assert expected_refusal is None, f"{label} was accepted, but {expected_refusal}"
    report = execute(plan)
    assert report.ok, f"{label}: {report.status.value}: {report.error or report.check}"
    expected = increments * report.tasks
    assert report.value == expected, f"{label}: counted {report.value} of {expected} increments"
