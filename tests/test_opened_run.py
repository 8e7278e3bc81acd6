"""Opening a run gives one complete value or closes what it made: the steps after it take that value,
so no step sees a half-opened run, and every extra argument a task needs reaches it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from typing import Any

import attrs
import pytest

import futstrat
from futstrat.model import (
    Check,
    ExecutorConfig,
    PlanContext,
    RunStatus,
    SharedStateNeed,
    SharingSpec,
    StrategySpec,
    Task,
    Workload,
)
from futstrat.sharing import SharedCounter

RUN_TIMEOUT = 30.0


def count_after_peer(me: int, peer: int | None, *, shared: SharedCounter, peers: Any) -> int:
    """Wait for the peer's result (if any), then add one to the shared counter."""
    if peer is not None:
        peers.wait_for(me, peer)
    with shared.lock:
        shared.value += 1
    return 1


class PeersAndCounter(Workload):
    """Needs both the futures of its peers and a shared counter."""

    name = "peers-and-counter"
    description = "task 1 waits on task 0's future; both add one to a shared counter"
    shared_state = SharedStateNeed.REQUIRED
    needs_peer_futures = True
    preferred_sharing = ("value",)

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return [Task(count_after_peer, (0, None)), Task(count_after_peer, (1, 0))]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return shared_value

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(value == task_count, task_count, value)


def test_a_task_gets_both_its_peers_and_the_shared_state() -> None:
    """Before, the peers argument replaced the shared one: the tasks got ``shared=None``."""
    report = futstrat.run(PeersAndCounter(), "thread", sharing="value", workers=2, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.PASSED, report.error
    assert report.value == 2


class RecordedSession:
    def __init__(self, closed: list[str]) -> None:
        self._closed = closed

    def worker_initializer(self) -> None:
        return None

    def task_argument(self, crosses_processes: bool) -> Any:
        return None

    def final_value(self) -> int:
        return 0

    def close(self) -> None:
        self._closed.append("closed")


def refuse_to_start(config: ExecutorConfig) -> Executor:
    raise RuntimeError("no executor today")


def test_a_session_opened_before_the_executor_failed_to_start_is_closed() -> None:
    closed: list[str] = []
    sharing = SharingSpec(
        name="recorded",
        description="records that it was closed",
        open=lambda request: RecordedSession(closed),
        crosses_processes=False,
    )
    strategy = StrategySpec(name="no-start", description="its factory raises", factory=refuse_to_start)
    report = futstrat.run("counter", strategy, sharing=sharing, workers=2, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.ERROR
    assert "no executor today" in (report.error or "")
    assert closed == ["closed"]


def test_an_opened_run_is_one_frozen_value() -> None:
    from futstrat.engine.execution import OpenedRun

    assert {field.name for field in attrs.fields(OpenedRun)} == {
        "executor",
        "session",
        "extra",
        "board",
        "tracker",
        "final_shared",
    }
    opened = OpenedRun(executor=None, session=None, extra=None, board=None, tracker=None)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        opened.executor = object()  # type: ignore[misc]
