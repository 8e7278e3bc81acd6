"""The executor contract: what every strategy's executor must do, checked the same way for all of them.

A plugin's tests subclass :class:`ExecutorContract` and override the ``executor_spec`` fixture; every
test below then runs against that plugin's executor, exactly as futstrat's own tests run it against the
built-in ones. The semantics checked are those of ``concurrent.futures``, because the runner, the pytest
plugin and users' code all rely on them.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, ClassVar

import pytest

from futstrat.executor_protocol import (
    CountsWorkers,
    MapsUnordered,
    ReportsStuckThreads,
    ReportsWorkerExits,
    StrategyExecutor,
    Terminates,
)
from futstrat.model import Dispatch, ExecutorConfig, StrategySpec
from futstrat.testing import tasks
from futstrat.testing.bounded import StillRunningError, call_within, close_executor, stop_executor, time_limit
from futstrat.testing.counting import assert_counts_exactly_or_refuses
from futstrat.testing.tasks import Gate, KitTaskError

LARGE_PAYLOAD_BYTES = 8 * 1024 * 1024
MANY_TASKS = 10_000
#: A wait the kit expects to run out: long enough to be sure a result is not there yet.
SHORT_WAIT_SECONDS = 0.1
POLL_SECONDS = 0.01
#: Increments each task makes in the shared-counter check: it checks the state arrives, not the lock.
SHARED_INCREMENTS = 200


def wait_until_done(futures: list[Future[Any]], seconds: float) -> list[Future[Any]]:
    """The futures still not done after ``seconds``.

    ``concurrent.futures.wait`` is no use here: a future cancelled by ``shutdown(cancel_futures=True)``
    is done, but its waiters are never told, so ``wait`` would sit out its whole timeout.
    """
    give_up = time.monotonic() + seconds
    while True:
        not_done = [future for future in futures if not future.done()]
        if not not_done or time.monotonic() > give_up:
            return not_done
        time.sleep(POLL_SECONDS)


def resolve_executor_spec(named: StrategySpec | str) -> StrategySpec:
    """The spec itself, or the registered strategy of that name (which proves the plugin registered)."""
    if isinstance(named, StrategySpec):
        return named
    from futstrat.plugins import get_host

    return get_host().registry.strategies.get(named)


class ExecutorContract:
    """``concurrent.futures`` semantics, checked against the executor of one strategy.

    Override the ``executor_spec`` fixture to return your :class:`~futstrat.StrategySpec` or the name it
    is registered under. The class attributes tune the checks to an executor that is slow to start,
    never the semantics. Checks that need a pending future are skipped for a spec that declares
    ``concurrent=False`` (each task runs at submit); those about dying workers are skipped when
    ``crosses_processes=False``, and those about pickling when ``pickles_tasks=False``. A case your
    executor cannot meet yet is best marked by overriding that one test with
    ``pytest.mark.xfail(strict=True, reason=...)`` and calling ``super()``.
    """

    #: Workers asked of the factory. The checks that need two tasks running at once rely on two.
    workers: ClassVar[int] = 2
    #: Start method the factory is given (None: the platform's default).
    start_method: ClassVar[str | None] = None
    #: Seconds after which any one test fails instead of waiting on.
    time_limit: ClassVar[float] = 60.0
    #: Seconds one result, shutdown or notification may take before the kit calls it a hang.
    patience: ClassVar[float] = 10.0
    #: Tasks blocked at a gate so that the next one submitted is surely still pending (this must
    #: exceed the workers plus whatever the executor hands them ahead: its call queue, its window).
    saturating_tasks: ClassVar[int] = 64
    #: Seconds the executor may take to notice that a worker process died and fail its task.
    dead_worker_patience: ClassVar[float] = 10.0
    #: Tasks the executor may hand out ahead of its busy workers, which then count as running and can
    #: no longer be cancelled; every task beyond these must stay cancellable until a worker is free.
    #: None: as many as ``ProcessPoolExecutor``'s call queue holds, one more than there are workers.
    handed_out_ahead: ClassVar[int | None] = None

    @pytest.fixture
    def executor_spec(self) -> StrategySpec | str:
        """Override: your strategy's spec, or the name it is registered under."""
        pytest.fail(f"{type(self).__name__} must override the executor_spec fixture", pytrace=False)

    @pytest.fixture(autouse=True)
    def _bounded_in_time(self) -> Iterator[None]:
        advice = "the executor hangs, or raise time_limit on the test class if it is just slow"
        with time_limit(self.time_limit, advice):
            yield

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "sharing_name" in metafunc.fixturenames:
            from futstrat.plugins import get_host

            metafunc.parametrize("sharing_name", get_host().registry.sharing.names())

    @pytest.fixture
    def spec(self, executor_spec: StrategySpec | str) -> StrategySpec:
        return resolve_executor_spec(executor_spec)

    @pytest.fixture
    def gate(self, tmp_path: Path) -> Iterator[Gate]:
        gate = Gate(tmp_path)
        yield gate
        gate.open()  # let anything still waiting finish, whatever the test did

    @pytest.fixture
    def executor(self, spec: StrategySpec, gate: Gate) -> Iterator[Executor]:
        """The executor under test, started for one test and shut down, within ``patience``, after it."""
        executor = self.start(spec)
        yield executor
        gate.open()
        problem = close_executor(executor, self.patience)
        if problem is not None:
            pytest.fail(f"{spec.name}: {problem}", pytrace=False)

    # -- helpers -------------------------------------------------------------------------------------
    def start(self, spec: StrategySpec, **config: Any) -> Executor:
        from futstrat.start_methods import resolve_start_method

        method = None if spec.start_methods is None else resolve_start_method(self.start_method, spec.start_methods)
        settings: dict[str, Any] = {"workers": self.workers, "start_method": method, **config}
        return spec.factory(ExecutorConfig(**settings))

    def saturate(self, executor: Executor, gate: Gate) -> list[Future[Any]]:
        """Occupy every worker and every slot ahead of them with tasks waiting at ``gate``."""
        return [executor.submit(tasks.wait_at_gate, gate.key, self.time_limit, i) for i in range(self.saturating_tasks)]

    def _busy_with_ten_waiting(
        self, executor: Executor, gate: Gate, tmp_path: Path
    ) -> tuple[list[Future[Any]], list[Future[Any]]]:
        """Every worker busy at the gate, and as many more as the executor hands out ahead of them; then
        ten tasks that can only wait for a worker (each leaves a trace file if it ever runs)."""
        busy = self.workers + self._ahead
        blockers = [executor.submit(tasks.wait_at_gate, gate.key, self.time_limit, i) for i in range(busy)]
        waiting = [executor.submit(tasks.leave_trace, str(tmp_path / f"ran-{i}"), i) for i in range(10)]
        return blockers, waiting

    @property
    def _ahead(self) -> int:
        """Tasks the executor may hand out ahead of its busy workers (see ``handed_out_ahead``)."""
        return self.workers + 1 if self.handed_out_ahead is None else self.handed_out_ahead

    def require_pending_futures(self, spec: StrategySpec) -> None:
        if not spec.concurrent:
            pytest.skip(f"{spec.name} runs each task at submit (concurrent=False): no future is ever pending")

    def require_processes(self, spec: StrategySpec) -> None:
        if not spec.crosses_processes:
            pytest.skip(f"{spec.name} runs tasks in this process (crosses_processes=False)")

    def require_pickled_tasks(self, spec: StrategySpec) -> None:
        if not spec.pickles_tasks:
            pytest.skip(f"{spec.name} hands tasks over without pickling them (pickles_tasks=False)")

    # -- the spec ------------------------------------------------------------------------------------
    def test_spec_is_well_formed(self, spec: StrategySpec, executor_spec: StrategySpec | str) -> None:
        assert isinstance(spec, StrategySpec), f"executor_spec gave {spec!r}, not a StrategySpec"
        assert callable(spec.factory), "the spec's factory must be callable"
        if spec.chunksize is not None:
            assert spec.chunksize >= 1, "a chunk size must be at least 1"
        if spec.start_methods is not None:
            assert spec.crosses_processes, "only a strategy that starts processes can use a start method"

    # -- submit and result ----------------------------------------------------------------------------
    def test_submit_returns_the_result(self, executor: Executor) -> None:
        future = executor.submit(tasks.add, 2, 40)
        assert future.result(timeout=self.patience) == 42
        assert future.done()
        assert not future.cancelled()
        assert future.exception(timeout=0) is None

    def test_keyword_arguments_reach_the_task(self, executor: Executor) -> None:
        future = executor.submit(tasks.nap_then_return, seconds=0, value="kept")
        assert future.result(timeout=self.patience) == "kept"

    def test_result_times_out_while_the_task_runs(self, spec: StrategySpec, executor: Executor, gate: Gate) -> None:
        self.require_pending_futures(spec)
        future = executor.submit(tasks.wait_at_gate, gate.key, self.time_limit, "late")
        with pytest.raises(cf.TimeoutError):
            future.result(timeout=SHORT_WAIT_SECONDS)
        with pytest.raises(cf.TimeoutError):
            future.exception(timeout=SHORT_WAIT_SECONDS)
        assert not future.done()
        gate.open()
        assert future.result(timeout=self.patience) == "late"

    def test_exception_reaches_the_caller_with_its_type_and_arguments(self, executor: Executor) -> None:
        future = executor.submit(tasks.raise_kit_error, "boom", 7)
        error = future.exception(timeout=self.patience)
        assert type(error) is KitTaskError, f"expected KitTaskError, got {type(error).__name__}: {error}"
        assert error.args == ("boom", 7)
        with pytest.raises(KitTaskError, match="boom"):
            future.result(timeout=0)

    # -- map ------------------------------------------------------------------------------------------
    def test_map_keeps_the_input_order(self, executor: Executor) -> None:
        # Earlier items sleep longer, so with two workers later ones tend to finish first.
        delays = [0.04, 0.0, 0.03, 0.0, 0.02, 0.0, 0.01, 0.0]
        values = list(range(len(delays)))
        results = call_within(self.patience, lambda: list(executor.map(tasks.nap_then_return, delays, values)), "map")
        assert results == values

    def test_map_takes_several_iterables_and_stops_at_the_shortest(self, executor: Executor) -> None:
        results = call_within(self.patience, lambda: list(executor.map(tasks.add, [1, 2, 3], [10, 20])), "map")
        assert results == [11, 22]

    def test_map_raises_the_task_exception_in_order(self, executor: Executor) -> None:
        results = executor.map(tasks.square_unless, [2, 2, 2], [1, 2, 3], timeout=self.patience)
        assert next(results) == 1
        with pytest.raises(KitTaskError):
            next(results)

    @pytest.mark.parametrize("chunksize", [1, 7, 1000])
    def test_map_honours_any_chunk_size(self, executor: Executor, chunksize: int) -> None:
        items = list(range(100))
        results = call_within(
            self.patience, lambda: list(executor.map(tasks.square, items, chunksize=chunksize)), "map"
        )
        assert results == [x * x for x in items]

    def test_map_times_out(self, spec: StrategySpec, executor: Executor, gate: Gate) -> None:
        self.require_pending_futures(spec)
        results = executor.map(tasks.wait_at_gate, [gate.key], [self.time_limit], ["late"], timeout=SHORT_WAIT_SECONDS)
        with pytest.raises(cf.TimeoutError):
            call_within(self.patience, lambda: next(results), "next() on map with a timeout")

    def test_empty_input(self, executor: Executor) -> None:
        assert list(executor.map(tasks.square, [])) == []
        assert list(executor.map(tasks.square, [], chunksize=5)) == []
        done, not_done = cf.wait([], timeout=self.patience)
        assert (done, not_done) == (set(), set())
        assert list(cf.as_completed([], timeout=self.patience)) == []

    # -- callbacks ------------------------------------------------------------------------------------
    def test_callback_on_a_done_future_runs_at_once_in_the_caller(self, executor: Executor) -> None:
        future = executor.submit(tasks.square, 3)
        future.result(timeout=self.patience)
        calls: list[tuple[Future[Any], int]] = []
        future.add_done_callback(lambda f: calls.append((f, threading.get_ident())))
        assert calls == [(future, threading.get_ident())]

    def test_callback_on_a_pending_future_runs_once_when_it_is_done(
        self, spec: StrategySpec, executor: Executor, gate: Gate
    ) -> None:
        self.require_pending_futures(spec)
        future = executor.submit(tasks.wait_at_gate, gate.key, self.time_limit, "done")
        called = threading.Event()
        calls: list[Future[Any]] = []

        def callback(f: Future[Any]) -> None:
            calls.append(f)
            called.set()

        future.add_done_callback(callback)
        assert calls == [], "the callback ran before its future was done"
        gate.open()
        assert future.result(timeout=self.patience) == "done"
        assert called.wait(self.patience), "the callback never ran"
        assert calls == [future]

    # -- cancel ---------------------------------------------------------------------------------------
    def test_a_pending_future_can_be_cancelled_and_never_runs(
        self, spec: StrategySpec, executor: Executor, gate: Gate, tmp_path: Path
    ) -> None:
        self.require_pending_futures(spec)
        trace = tmp_path / "cancelled-task-ran"
        blockers = self.saturate(executor, gate)
        pending = executor.submit(tasks.leave_trace, str(trace), "ran")
        assert pending.cancel(), (
            f"the task submitted after {len(blockers)} blocked ones could not be cancelled; if the executor"
            " hands out more than that ahead of its workers, raise saturating_tasks"
        )
        assert pending.cancelled()
        assert pending.done()
        with pytest.raises(cf.CancelledError):
            pending.result(timeout=0)
        running = blockers[0]
        gate.open()
        assert [b.result(timeout=self.patience) for b in blockers] == list(range(len(blockers)))
        assert not running.cancel(), "a finished future must refuse to be cancelled"
        call_within(self.patience, lambda: executor.shutdown(wait=True), "shutdown(wait=True)")
        assert not trace.exists(), "the cancelled task ran anyway"

    def test_every_task_waiting_for_a_worker_can_be_cancelled(
        self, spec: StrategySpec, executor: Executor, gate: Gate, tmp_path: Path
    ) -> None:
        self.require_pending_futures(spec)
        blockers, waiting = self._busy_with_ten_waiting(executor, gate, tmp_path)
        refused = [i for i, future in enumerate(waiting) if not future.cancel()]
        assert not refused, (
            f"with {self.workers} workers busy and {self._ahead} task(s) handed out ahead,"
            f" cancel() refused {len(refused)} of 10 tasks still waiting for a worker: the executor marks"
            " tasks running before a worker is free (raise handed_out_ahead if it hands out more by design)"
        )
        gate.open()
        assert [b.result(timeout=self.patience) for b in blockers] == list(range(len(blockers)))
        call_within(self.patience, lambda: executor.shutdown(wait=True), "shutdown(wait=True)")
        assert not list(tmp_path.glob("ran-*")), "a cancelled task ran anyway"

    def test_closing_a_map_iterator_cancels_what_has_not_started(
        self, spec: StrategySpec, executor: Executor, gate: Gate, tmp_path: Path
    ) -> None:
        self.require_pending_futures(spec)
        count = 20
        open_gate = Gate(tmp_path, "open-gate")
        open_gate.open()
        traces = tmp_path / "traces"
        traces.mkdir()
        # The first task passes at once, so the caller can take its result (a generator that was never
        # started cannot clean up when it is closed); the others wait at the closed gate.
        results = executor.map(
            tasks.wait_at_gate_then_trace,
            [open_gate.key] + [gate.key] * (count - 1),
            [self.time_limit] * count,
            [str(traces)] * count,
            range(count),
        )
        assert call_within(self.patience, functools.partial(next, results), "next() on map") == 0
        close = getattr(results, "close", None)
        if close is not None:
            close()
        del results  # an iterator without close() is at least let go of, as a caller would
        gate.open()
        call_within(self.patience, lambda: executor.shutdown(wait=True), "shutdown(wait=True)")
        ran = len(list(traces.glob("ran-*")))
        most = 1 + self.workers + self._ahead
        assert ran <= most, (
            f"{ran} of {count} tasks ran after their map() iterator was closed; only those already running"
            f" (at most {most}) should have"
        )

    # -- shutdown -------------------------------------------------------------------------------------
    def test_shutdown_waits_for_submitted_work(self, executor: Executor) -> None:
        futures = [executor.submit(tasks.nap_then_return, 0.01, i) for i in range(6)]
        call_within(self.patience, lambda: executor.shutdown(wait=True), "shutdown(wait=True)")
        assert all(f.done() for f in futures)
        assert [f.result(timeout=0) for f in futures] == list(range(6))

    def test_shutdown_without_waiting_returns_and_running_work_still_finishes(
        self, spec: StrategySpec, executor: Executor, gate: Gate
    ) -> None:
        self.require_pending_futures(spec)
        future = executor.submit(tasks.wait_at_gate, gate.key, self.time_limit, "finished")
        try:
            call_within(self.patience, lambda: executor.shutdown(wait=False), "shutdown(wait=False)")
        except StillRunningError:
            pytest.fail("shutdown(wait=False) waited for a running task instead of returning", pytrace=False)
        assert not future.done()
        gate.open()
        assert future.result(timeout=self.patience) == "finished"

    def test_shutdown_can_cancel_pending_futures(
        self, spec: StrategySpec, executor: Executor, gate: Gate, tmp_path: Path
    ) -> None:
        self.require_pending_futures(spec)
        trace = tmp_path / "cancelled-task-ran"
        blockers = self.saturate(executor, gate)
        pending = executor.submit(tasks.leave_trace, str(trace), "ran")
        call_within(
            self.patience,
            lambda: executor.shutdown(wait=False, cancel_futures=True),
            "shutdown(wait=False, cancel_futures=True)",
        )
        # Without waiting, the cancelling may happen a moment later (ProcessPoolExecutor does it in its
        # manager thread); the blocked workers guarantee the pending task cannot have run meanwhile.
        wait_until_done([pending], self.patience)
        assert pending.cancelled(), "shutdown(cancel_futures=True) left a pending future uncancelled"
        gate.open()
        # A second shutdown(wait=True) need not wait (ProcessPoolExecutor's does not): wait on the futures.
        not_done = wait_until_done(blockers, self.patience)
        assert not not_done, f"{len(not_done)} tasks that were running at shutdown never finished"
        for index, blocker in enumerate(blockers):
            assert blocker.cancelled() or blocker.result(timeout=0) == index
        assert not trace.exists(), "a task cancelled by shutdown ran anyway"

    def test_shutdown_can_cancel_every_task_waiting_for_a_worker(
        self, spec: StrategySpec, executor: Executor, gate: Gate, tmp_path: Path
    ) -> None:
        self.require_pending_futures(spec)
        blockers, waiting = self._busy_with_ten_waiting(executor, gate, tmp_path)
        call_within(
            self.patience,
            lambda: executor.shutdown(wait=False, cancel_futures=True),
            "shutdown(wait=False, cancel_futures=True)",
        )
        wait_until_done(waiting, self.patience)
        kept = [i for i, future in enumerate(waiting) if not future.cancelled()]
        assert not kept, f"shutdown(cancel_futures=True) left {len(kept)} of 10 tasks waiting for a worker uncancelled"
        gate.open()
        assert not wait_until_done(blockers, self.patience), "tasks running at shutdown never finished"
        assert not list(tmp_path.glob("ran-*")), "a task cancelled by shutdown ran anyway"

    def test_submit_after_shutdown_raises(self, executor: Executor) -> None:
        executor.shutdown(wait=True)
        with pytest.raises(RuntimeError):
            executor.submit(tasks.square, 2)
        with pytest.raises(RuntimeError):
            list(executor.map(tasks.square, [1, 2]))

    def test_executor_is_a_context_manager_that_shuts_down(self, spec: StrategySpec) -> None:
        executor = self.start(spec)
        try:
            with executor as entered:
                future = entered.submit(tasks.square, 5)
            assert future.done()
            assert future.result(timeout=0) == 25
            with pytest.raises(RuntimeError):
                executor.submit(tasks.square, 2)
        finally:
            close_executor(executor, self.patience)

    # -- wait and as_completed -----------------------------------------------------------------------
    def test_wait_and_as_completed_when_everything_finishes(self, executor: Executor) -> None:
        futures = [executor.submit(tasks.square, x) for x in range(8)]
        done, not_done = cf.wait(futures, timeout=self.patience)
        assert not not_done
        assert done == set(futures)
        seen = list(cf.as_completed(futures, timeout=self.patience))
        assert sorted(f.result(timeout=0) for f in seen) == [x * x for x in range(8)]
        assert len(seen) == len(futures)

    def test_wait_and_as_completed_while_a_task_runs(self, spec: StrategySpec, executor: Executor, gate: Gate) -> None:
        self.require_pending_futures(spec)
        slow = executor.submit(tasks.wait_at_gate, gate.key, self.time_limit, "slow")
        quick = executor.submit(tasks.square, 4)
        done, not_done = cf.wait([slow, quick], timeout=self.patience, return_when=cf.FIRST_COMPLETED)
        assert quick in done
        assert slow in not_done
        done, not_done = cf.wait([slow, quick], timeout=SHORT_WAIT_SECONDS)
        assert not_done == {slow}
        arriving = cf.as_completed([slow, quick], timeout=SHORT_WAIT_SECONDS * 3)
        assert next(arriving) is quick
        with pytest.raises(cf.TimeoutError):
            next(arriving)
        failing = executor.submit(tasks.raise_kit_error, "first")
        done, not_done = cf.wait([slow, failing], timeout=self.patience, return_when=cf.FIRST_EXCEPTION)
        assert failing in done
        assert slow in not_done
        gate.open()
        assert list(cf.as_completed([slow], timeout=self.patience)) == [slow]

    # -- volume ---------------------------------------------------------------------------------------
    def test_ten_thousand_small_tasks(self, executor: Executor) -> None:
        futures = [executor.submit(tasks.add, i, 1) for i in range(MANY_TASKS)]
        _, not_done = cf.wait(futures, timeout=self.time_limit)
        assert not not_done, f"{len(not_done)} of {MANY_TASKS} small tasks never finished"
        assert sum(f.result(timeout=0) for f in futures) == MANY_TASKS * (MANY_TASKS + 1) // 2

    def test_large_arguments_and_results(self, executor: Executor) -> None:
        payload = tasks.make_bytes(LARGE_PAYLOAD_BYTES, seed=1)
        sent = executor.submit(tasks.digest, payload)
        received = executor.submit(tasks.make_bytes, LARGE_PAYLOAD_BYTES, 2)
        assert sent.result(timeout=self.patience) == tasks.digest(payload)
        expected = tasks.digest(tasks.make_bytes(LARGE_PAYLOAD_BYTES, 2))
        assert tasks.digest(received.result(timeout=self.patience)) == expected

    # -- failures that only worker processes have ----------------------------------------------------
    def test_a_dying_worker_is_reported_not_hung(self, spec: StrategySpec) -> None:
        self.require_processes(spec)
        # Closed gracefully afterwards: an executor that lost a worker must still shut down.
        self._assert_the_future_fails(spec, tasks.end_worker_abruptly, 3, close=close_executor)

    def _assert_the_future_fails(
        self,
        spec: StrategySpec,
        fn: Callable[..., Any],
        *args: Any,
        close: Callable[[Any, float], object] = stop_executor,
    ) -> BaseException:
        """Submit work that ends its worker or its result channel; the future must fail, not hang.
        ``close`` ends the executor afterwards (by default at once)."""
        executor = self.start(spec)
        future = executor.submit(fn, *args)
        try:
            error = future.exception(timeout=self.dead_worker_patience)
        except cf.TimeoutError:
            stop_executor(executor, self.patience)
            pytest.fail(
                f"{fn.__name__}: {self.dead_worker_patience:g} s later the future was still not done: the"
                " executor hangs instead of reporting it",
                pytrace=False,
            )
        close(executor, self.patience)
        assert error is not None, f"{fn.__name__}: the future reported success"
        return error

    def test_a_worker_that_exits_with_status_0_fails_its_future(self, spec: StrategySpec) -> None:
        self.require_processes(spec)
        self._assert_the_future_fails(spec, tasks.end_worker_abruptly, 0)

    def test_a_worker_killed_by_sigkill_fails_its_future(self, spec: StrategySpec) -> None:
        self.require_processes(spec)
        self._assert_the_future_fails(spec, tasks.kill_own_worker)

    def test_an_exception_that_cannot_be_rebuilt_reaches_the_caller_as_an_error(self, spec: StrategySpec) -> None:
        self._assert_the_future_fails(spec, tasks.raise_unrebuildable, "cannot be rebuilt")

    @pytest.mark.parametrize("workers", [0, -1])
    def test_no_workers_is_refused_with_value_error(self, spec: StrategySpec, workers: int) -> None:
        from futstrat.plain_executor import open_executor

        with pytest.raises(ValueError, match="workers"), open_executor(spec, workers=workers):
            pytest.fail(f"open_executor started {spec.name} with workers={workers}", pytrace=False)

    def test_unpicklable_work_is_reported_and_the_executor_carries_on(
        self, executor: Executor, spec: StrategySpec
    ) -> None:
        self.require_pickled_tasks(spec)
        lock = threading.Lock()

        def holds_a_lock() -> bool:  # neither pickle nor cloudpickle can send a function that holds a lock
            return lock.locked()

        attempts: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
            "a local function as the function": (holds_a_lock, ()),
            "a lock as an argument": (tasks.digest, (lock,)),
            "a lock as the result": (tasks.return_unpicklable, ()),
        }
        for what, (fn, args) in attempts.items():
            try:
                future = executor.submit(fn, *args)
            except Exception:
                continue  # refused at submit: reported
            try:
                error = future.exception(timeout=self.patience)
            except cf.TimeoutError:
                pytest.fail(f"{what}: the future was still not done after {self.patience:g} s", pytrace=False)
            assert error is not None, f"{what}: the work cannot be pickled, yet it reported success"
        assert executor.submit(tasks.add, 1, 2).result(timeout=self.patience) == 3

    @pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
    def test_start_method_is_honoured(self, spec: StrategySpec, method: str) -> None:
        if spec.start_methods is None:
            pytest.skip(f"{spec.name} does not use a start method (start_methods=None)")
        if method not in spec.start_methods:
            pytest.skip(f"{spec.name} declares the start methods {', '.join(spec.start_methods)}, not {method}")
        if method not in multiprocessing.get_all_start_methods():
            pytest.skip(f"this platform has no {method!r} start method")
        token = f"installed under {method}"
        initializer = {"initializer": tasks.install, "initargs": (token,)} if spec.supports_initializer else {}
        original = tasks.PARENT_MARK
        tasks.PARENT_MARK = "changed in the parent"  # for as long as workers may be started
        try:
            executor = self.start(spec, start_method=method, **initializer)
        except BaseException:
            tasks.PARENT_MARK = original
            raise
        try:
            mark = executor.submit(tasks.read_parent_mark).result(timeout=self.patience)
            inherited = mark == "changed in the parent"
            assert inherited == (method == "fork"), (
                f"asked for {method!r}, but the workers {'did' if inherited else 'did not'} inherit the parent's memory"
            )
            results = executor.map(tasks.square, range(10), timeout=self.patience)
            assert list(results) == [x * x for x in range(10)]
            if spec.supports_initializer:
                assert token in executor.submit(tasks.read_installed).result(timeout=self.patience)
        finally:
            problem = close_executor(executor, self.patience)
            tasks.PARENT_MARK = original
        assert problem is None, problem

    def test_initializer_runs_in_every_worker(self, spec: StrategySpec) -> None:
        self.require_processes(spec)
        if not spec.supports_initializer:
            pytest.skip(f"{spec.name} does not offer an initializer (supports_initializer=False)")
        executor = self.start(spec, initializer=tasks.install, initargs=("installed",))
        try:
            futures = [executor.submit(tasks.read_installed) for _ in range(self.workers * 4)]
            for future in futures:
                assert "installed" in future.result(timeout=self.patience)
        finally:
            problem = close_executor(executor, self.patience)
        assert problem is None, problem

    # -- what the runner relies on -------------------------------------------------------------------
    def test_counter_is_exact_or_refused_with_each_sharing_backend(self, spec: StrategySpec, sharing_name: str) -> None:
        from futstrat.plugins import get_host

        assert_counts_exactly_or_refuses(
            spec,
            get_host().registry.sharing.get(sharing_name),
            workers=self.workers,
            increments=SHARED_INCREMENTS,
            start_method=self.start_method,
            timeout=self.time_limit,
        )

    def test_runs_a_workload_through_the_runner(self, spec: StrategySpec) -> None:
        from futstrat.runner import execute, plan_run

        plan = plan_run(
            "pi",
            spec,
            workers=self.workers,
            params={"n": 20_000},
            start_method=self.start_method,
            timeout=self.time_limit,
        )
        report = execute(plan)
        assert report.ok, f"pi under {spec.name}: {report.status.value}: {report.error or report.check}"

    # -- the executor protocol: required members, and each optional member the executor offers ------
    def test_the_executor_has_the_required_members(self, executor: Executor) -> None:
        assert isinstance(executor, StrategyExecutor), (
            f"{executor!r} lacks submit, map or shutdown: see futstrat.StrategyExecutor"
        )

    def test_terminate_ends_every_worker_within_a_bound(self, spec: StrategySpec, gate: Gate) -> None:
        executor = self.start(spec)
        try:
            if not isinstance(executor, Terminates):
                pytest.skip(f"{spec.name}'s executor has no terminate() (futstrat falls back to shutdown)")
            futures = self.saturate(executor, gate) if spec.concurrent else [executor.submit(tasks.square, 3)]
            try:
                call_within(self.patience, executor.terminate, "terminate()")
            except StillRunningError:
                pytest.fail(f"terminate() did not return within {self.patience:g} s", pytrace=False)
            if spec.crosses_processes and not spec.workers_in_this_process:
                # Worker processes are ended, so every future ends with them, running or not.
                not_done = wait_until_done(futures, self.patience)
                assert not not_done, f"{len(not_done)} futures were not done {self.patience:g} s after terminate()"
            else:  # threads cannot be killed: those not running must at least never start
                not_done = wait_until_done(futures[self.workers + self._ahead :], self.patience)
                assert not not_done, f"terminate() left {len(not_done)} tasks waiting for a worker not done"
            if isinstance(executor, ReportsWorkerExits):
                running = self._workers_still_running(executor, self.patience)
                assert not running, f"worker process(es) {running} still ran {self.patience:g} s after terminate()"
        finally:
            gate.open()
            stop_executor(executor, self.patience)

    def test_worker_exit_codes_name_the_worker_a_task_killed(self, spec: StrategySpec) -> None:
        self.require_processes(spec)
        executor = self.start(spec)
        try:
            if not isinstance(executor, ReportsWorkerExits):
                pytest.skip(f"{spec.name}'s executor has no worker_exit_codes()")
            pid = executor.submit(tasks.worker_pid).result(timeout=self.patience)
            codes = executor.worker_exit_codes()
            assert pid in codes, f"worker_exit_codes() {codes} does not name worker {pid}, which ran a task"
            assert codes[pid] is None, f"worker {pid} is running, but worker_exit_codes() gives it code {codes[pid]}"
            killing = executor.submit(tasks.kill_own_worker)
            try:
                killing.exception(timeout=self.dead_worker_patience)
            except cf.TimeoutError:
                pytest.fail(
                    f"a task killed its worker, and its future was not done {self.dead_worker_patience:g} s later",
                    pytrace=False,
                )
            give_up = time.monotonic() + self.patience
            while -signal.SIGKILL not in executor.worker_exit_codes().values() and time.monotonic() < give_up:
                time.sleep(POLL_SECONDS)
            codes = executor.worker_exit_codes()
            assert -signal.SIGKILL in codes.values(), (
                f"a task killed its worker with SIGKILL, but worker_exit_codes() says {codes}"
            )
        finally:
            stop_executor(executor, self.patience)

    def test_threads_left_running_names_a_thread_until_it_stops(self, spec: StrategySpec, gate: Gate) -> None:
        self.require_pending_futures(spec)
        executor = self.start(spec)
        try:
            if not isinstance(executor, ReportsStuckThreads):
                pytest.skip(f"{spec.name}'s executor has no threads_left_running()")
            future = executor.submit(tasks.wait_at_gate, gate.key, self.time_limit, "held")
            with pytest.raises(cf.TimeoutError):
                future.result(timeout=SHORT_WAIT_SECONDS)  # a worker thread is busy with it by now
            names = executor.threads_left_running()
            assert names, f"a worker thread runs a task that cannot return yet; threads_left_running() says {names!r}"
            assert all(isinstance(name, str) for name in names), f"threads_left_running() gave {names!r}, not names"
            # Stopped now, the thread whose task would not return lives on until the task returns.
            stop_executor(executor, self.patience)
            gate.open()
            give_up = time.monotonic() + self.patience
            while executor.threads_left_running() and time.monotonic() < give_up:
                time.sleep(POLL_SECONDS)
            left = executor.threads_left_running()
            assert not left, f"every task returned, but threads_left_running() still names {left}"
        finally:
            gate.open()
            stop_executor(executor, self.patience)

    def test_map_unordered_gives_results_as_they_complete(
        self, spec: StrategySpec, executor: Executor, gate: Gate
    ) -> None:
        if not isinstance(executor, MapsUnordered):
            assert spec.dispatch is not Dispatch.MAP_UNORDERED, (
                f"{spec.name} dispatches unordered, but its executor has no map_unordered (futstrat would use map)"
            )
            pytest.skip(f"{spec.name}'s executor has no map_unordered")
        results = executor.map_unordered(tasks.square, range(50), timeout=self.patience, chunksize=3)
        assert sorted(results) == [x * x for x in range(50)]
        if spec.concurrent and self.workers >= 2:
            held = functools.partial(tasks.square_after_gate_if_zero, gate.key, self.time_limit)
            arriving = executor.map_unordered(held, range(4), timeout=self.patience, chunksize=1)
            first = call_within(self.patience, lambda: next(arriving), "next() on map_unordered")
            assert first != 0, "the result held at the gate came first: map_unordered waits in input order"
            gate.open()
            assert sorted([first, *arriving]) == [0, 1, 4, 9]

    def test_max_workers_is_the_number_of_workers(self, spec: StrategySpec, executor: Executor) -> None:
        if not isinstance(executor, CountsWorkers):
            pytest.skip(f"{spec.name}'s executor has no max_workers")
        count = executor.max_workers
        assert isinstance(count, int), f"max_workers must be a whole number, not {count!r}"
        assert not isinstance(count, bool), f"max_workers must be a whole number, not {count!r}"
        expected = self.workers if spec.concurrent else 1
        assert count == expected, f"asked for {expected} workers, but max_workers says {count}"

    def _workers_still_running(self, executor: ReportsWorkerExits, seconds: float) -> list[int]:
        """The workers ``worker_exit_codes()`` still says are running after up to ``seconds``."""
        give_up = time.monotonic() + seconds
        while True:
            running = [pid for pid, code in executor.worker_exit_codes().items() if code is None]
            if not running or time.monotonic() > give_up:
                return running
            time.sleep(POLL_SECONDS)
