"""The executor protocol: what each built-in executor offers, the adapter's fallbacks for what an
executor lacks, the one helper that stops an executor now, and what the runner makes of them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest

import futstrat
from futstrat.builtin.process_executor import KillableProcessPoolExecutor
from futstrat.builtin.strategies import BUILTIN_STRATEGIES
from futstrat.engine.executor_adapter import AdaptedExecutor, adapt_executor, stop_executor_now
from futstrat.executor_protocol import (
    CountsWorkers,
    MapsUnordered,
    ReportsStuckThreads,
    ReportsWorkerExits,
    StrategyExecutor,
    Terminates,
)
from futstrat.model import ExecutorConfig, RunStatus, StrategySpec
from futstrat.runner import execute, plan_run
from futstrat.testing import tasks

OPTIONAL = {
    "terminate": Terminates,
    "worker_exit_codes": ReportsWorkerExits,
    "threads_left_running": ReportsStuckThreads,
    "map_unordered": MapsUnordered,
    "max_workers": CountsWorkers,
}
#: The optional members each built-in strategy's executor offers of its own.
BUILTIN_OFFERS = {
    "serial": {"terminate"},
    "thread": {"terminate", "threads_left_running"},
    "process": {"terminate", "worker_exit_codes"},
    "process-map": {"terminate", "worker_exit_codes"},
    "pool-map": {"terminate", "worker_exit_codes", "map_unordered", "max_workers"},
    "pool-imap": {"terminate", "worker_exit_codes", "map_unordered", "max_workers"},
    "pool-async": {"terminate", "worker_exit_codes", "map_unordered", "max_workers"},
}


class BareExecutor:
    """The required members and nothing more: ``submit``, ``map`` and ``shutdown``, run inline."""

    def __init__(self) -> None:
        self.shutdowns: list[tuple[bool, bool]] = []
        self.maps = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future

    def map(
        self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: float | None = None, chunksize: int = 1
    ) -> Iterator[Any]:
        self.maps += 1
        return iter([fn(*args) for args in zip(*iterables)])

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.shutdowns.append((wait, cancel_futures))


class TerminatingExecutor(BareExecutor):
    def __init__(self) -> None:
        super().__init__()
        self.terminated = 0

    def terminate(self) -> None:
        self.terminated += 1


@pytest.mark.parametrize("name", sorted(BUILTIN_OFFERS))
def test_every_builtin_executor_has_the_required_members_and_the_optional_ones_it_claims(name):
    assert {spec.name for spec in BUILTIN_STRATEGIES} == set(BUILTIN_OFFERS)
    spec = next(spec for spec in BUILTIN_STRATEGIES if spec.name == name)
    executor = spec.factory(ExecutorConfig(2, None))
    try:
        assert isinstance(executor, StrategyExecutor)
        offered = {member for member, protocol in OPTIONAL.items() if isinstance(executor, protocol)}
        assert offered == BUILTIN_OFFERS[name]
        assert isinstance(adapt_executor(executor).max_workers, int) or name == "serial"
    finally:
        stop_executor_now(executor)


def test_the_protocol_is_public():
    assert futstrat.StrategyExecutor is StrategyExecutor
    assert "StrategyExecutor" in futstrat.__all__


def test_stop_now_shuts_down_and_cancels_an_executor_without_terminate():
    executor = BareExecutor()
    assert not isinstance(executor, Terminates)
    stop_executor_now(executor)
    assert executor.shutdowns == [(False, True)]


def test_stop_now_calls_terminate_where_there_is_one():
    executor = TerminatingExecutor()
    stop_executor_now(executor)
    assert (executor.terminated, executor.shutdowns) == (1, [])


def test_stop_now_cancels_what_a_plain_thread_pool_has_not_started():
    pool = ThreadPoolExecutor(1)
    release = threading.Event()
    running = pool.submit(release.wait, 10)
    waiting = pool.submit(tasks.square, 3)
    stop_executor_now(pool)
    assert waiting.cancelled()
    release.set()
    assert running.result(timeout=10) is True


def test_the_adapter_falls_back_for_an_executor_with_only_the_required_members():
    bare = BareExecutor()
    adapted = adapt_executor(bare)
    assert adapt_executor(adapted) is adapted
    assert adapted.worker_exit_codes() == {}
    assert adapted.threads_left_running() == []
    assert adapted.max_workers is None
    assert list(adapted.map_unordered(tasks.square, [1, 2, 3], timeout=5, chunksize=2)) == [1, 4, 9]
    assert bare.maps == 1, "map_unordered falls back to the executor's own map"
    assert adapted.submit(tasks.add, 1, 2).result(timeout=0) == 3
    adapted.terminate()
    assert bare.shutdowns == [(False, True)]


def test_the_adapter_reads_a_plain_thread_pool_s_size_and_live_threads():
    pool = ThreadPoolExecutor(3, thread_name_prefix="plain")
    release = threading.Event()
    try:
        adapted = adapt_executor(pool)
        assert adapted.max_workers == 3
        busy = pool.submit(release.wait, 10)
        assert adapted.threads_left_running() == ["plain_0"]
        adapted.terminate()
        assert adapted.threads_left_running() == ["plain_0"], "a thread whose task has not returned"
    finally:
        release.set()
    assert busy.result(timeout=10) is True
    pool.shutdown(wait=True)
    assert adapted.threads_left_running() == []


def test_the_adapter_reads_a_plain_process_pool_s_size_and_workers():
    with ProcessPoolExecutor(2) as pool:
        adapted = adapt_executor(pool)
        assert adapted.max_workers == 2
        pid = pool.submit(tasks.worker_pid).result(timeout=30)
        assert adapted.worker_exit_codes().get(pid, "missing") is None


def test_the_adapter_prefers_the_executor_s_own_members():
    class Offering(TerminatingExecutor):
        max_workers = 7

        def worker_exit_codes(self) -> dict[int, int | None]:
            return {12: -9}

        def threads_left_running(self) -> list[str]:
            return ["stuck"]

        def map_unordered(
            self, fn: Callable[..., Any], iterable: Iterable[Any], *, timeout: float | None = None, chunksize: int = 1
        ) -> Iterator[Any]:
            return iter(["own"])

    executor = Offering()
    adapted = adapt_executor(executor)
    assert (adapted.max_workers, adapted.worker_exit_codes(), adapted.threads_left_running()) == (
        7,
        {12: -9},
        ["stuck"],
    )
    assert list(adapted.map_unordered(tasks.square, [1])) == ["own"]
    adapted.terminate()
    assert (executor.terminated, executor.shutdowns, executor.maps) == (1, [], 0)


def test_a_max_workers_that_is_no_whole_number_counts_as_unknown():
    class Odd(BareExecutor):
        max_workers = True

    assert isinstance(adapt_executor(Odd()), AdaptedExecutor)
    assert adapt_executor(Odd()).max_workers is None


# -- what the runner makes of them ----------------------------------------------------------------
class DelegatingProcessExecutor(Executor):
    """A plugin's process pool, built on one it owns rather than inheriting one: futstrat can see its
    workers only through what it offers."""

    def __init__(self, config: ExecutorConfig, *, report_exits: bool) -> None:
        self._pool = KillableProcessPoolExecutor(
            config.workers, initializer=config.initializer, initargs=config.initargs
        )
        self._report_exits = report_exits

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait, cancel_futures=cancel_futures)

    def terminate(self) -> None:
        self._pool.terminate()


class ExitReportingProcessExecutor(DelegatingProcessExecutor):
    def worker_exit_codes(self) -> dict[int, int | None]:
        return self._pool.worker_exit_codes()


def _run_a_task_that_kills_its_worker(executor_class: type[DelegatingProcessExecutor]) -> futstrat.RunReport:
    spec = StrategySpec(
        name="plugin-process",
        description="a plugin's process pool",
        factory=lambda config: executor_class(config, report_exits=True),
        crosses_processes=True,
    )
    plan = plan_run("tests.faults:fault", spec, workers=2, params={"kind": "kill", "at": 1}, timeout=60)
    return execute(plan)


def test_the_dead_worker_message_names_the_exit_code_a_plugin_executor_reports():
    report = _run_a_task_that_kills_its_worker(ExitReportingProcessExecutor)
    assert report.status is RunStatus.ERROR
    assert "killed by SIGKILL" in report.error, report.error
    assert "while running task 1 (misbehave(1, " in report.error, report.error


def test_without_worker_exit_codes_the_dead_worker_is_told_without_its_exit_code():
    report = _run_a_task_that_kills_its_worker(DelegatingProcessExecutor)
    assert report.status is RunStatus.ERROR
    assert "a worker process ended abruptly" in report.error, report.error


HELD = threading.Event()


def wait_until_released() -> int:
    HELD.wait(30)
    return 1


class HeldTaskWorkload(futstrat.Workload):
    name = "held-task"
    description = "one task that waits until the test lets it go"

    def tasks(self, params: Any, plan: Any) -> list[futstrat.Task]:
        return [futstrat.Task(wait_until_released, ())]

    def combine(self, results: Iterable[Any], params: Any, shared_value: Any) -> int:
        return sum(results)

    def check(self, value: Any, params: Any, plan: Any, task_count: int) -> futstrat.Check:
        return futstrat.Check(value == 1, 1, f"{value} of 1 task")


def test_a_plain_thread_pool_s_stuck_worker_thread_is_named_in_the_report():
    """A plugin whose factory returns the standard library's ThreadPoolExecutor as it is: the adapter
    finds its worker threads, so the report says one could not be stopped."""
    spec = StrategySpec(
        name="plain-thread", description="ThreadPoolExecutor as it is", factory=lambda c: ThreadPoolExecutor(c.workers)
    )
    HELD.clear()
    try:
        report = execute(plan_run(HeldTaskWorkload(), spec, workers=1, timeout=1))
    finally:
        HELD.set()
    assert report.status is RunStatus.TIMEOUT, report.error
    assert "1 worker thread(s) could not be stopped" in report.error, report.error
