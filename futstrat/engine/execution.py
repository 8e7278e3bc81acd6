"""Carrying out one vetted run: open, start, dispatch under the watchdog, check, and always clean up.

Whatever goes wrong, the run ends with a report that says what happened in words: which task, which
worker and how it ended, which tasks wait on which futures. Nothing is left running that can be ended.
"""

from __future__ import annotations

import contextlib
import itertools
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import BrokenExecutor
from typing import TYPE_CHECKING, Any, Protocol

from attrs import frozen

from futstrat.engine.dispatch import Dispatcher
from futstrat.engine.executor_adapter import AdaptedExecutor, adapt_executor, stop_executor_now
from futstrat.engine.peers import PeerFutureBoard
from futstrat.engine.pickling import unpicklable_part
from futstrat.engine.readiness import wait_until_ready
from futstrat.engine.shared import open_shared_state
from futstrat.engine.worker_watch import RunningTask, TaskTracker, describe_exit, has_killable_workers, kill_worker
from futstrat.engine.workers import PassesThroughTasks, initialize_worker
from futstrat.errors import (
    DeadlockFoundError,
    FutstratError,
    RunTimedOutError,
    TaskFailedError,
    UnpicklableTaskError,
)
from futstrat.interrupts import UserInterrupt
from futstrat.model import Check, ExecutorConfig, RunReport, RunStatus, Task, Timings, describe_call
from futstrat.process_tree import NewChildren, describe_processes, end_process_groups
from futstrat.shared_state import SharedStateNeed
from futstrat.start_methods import process_context
from futstrat.user_code import UserCodeError, last_user_frame, user_code, user_traceback

if TYPE_CHECKING:
    from futstrat.model import SharingSession
    from futstrat.runner import RunPlan

_WATCH_INTERVAL_SECONDS = 0.05
#: The statuses of a run whose tasks all finished and whose answer was combined.
_RAN_TO_THE_END = (RunStatus.PASSED, RunStatus.UNCHECKED, RunStatus.CHECK_FAILED)
_EXIT_CODE_PATIENCE_SECONDS = 2.0
#: Graceful shutdown waits for the workers to exit until the run's deadline, and at least this long;
#: then it kills them. So a run ends within its timeout plus this grace, whatever its tasks left running
#: in their workers (a thread that does not end, a forked child that carries on as a worker).
SHUTDOWN_GRACE_SECONDS = 3.0
#: How long to wait for an executor to stop its workers at once; then they are killed regardless.
STOP_PATIENCE_SECONDS = 2.0


class WatchdogAlarm(PassesThroughTasks):
    """Raised in the calling thread when the run's time is up while a task runs right there (serial).

    A BaseException, like KeyboardInterrupt, so that task code catching Exception cannot swallow it.
    """


@contextlib.contextmanager
def alarm_at(deadline: float) -> Iterator[None]:
    """Interrupt the calling thread at ``deadline``: the watchdog for tasks that run in it. A Ctrl-C
    meanwhile raises :class:`~futstrat.interrupts.UserInterrupt`, which passes through the task as the alarm does.

    Signals reach only the main thread, so elsewhere this bounds nothing and the caller must rely on
    the deadline checks between tasks.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise WatchdogAlarm

    def interrupt(signum: int, frame: object) -> None:
        raise UserInterrupt

    previous = signal.signal(signal.SIGALRM, ring)
    # Only where Ctrl-C would raise KeyboardInterrupt anyway: someone else's handler stays in place.
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupt)
    earlier, _ = signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 0.001))
    armed = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)
        if earlier:  # someone else's alarm (a test's time limit) was armed: put back what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(earlier - (time.monotonic() - armed), 0.001))


class TaskTimeoutWatch(threading.Thread):
    """Kills the worker process of a task that runs longer than the per-task timeout."""

    def __init__(self, tracker: TaskTracker, limit: float) -> None:
        super().__init__(name="futstrat-task-timeout", daemon=True)
        self.tracker, self.limit = tracker, limit
        self.expired: RunningTask | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(_WATCH_INTERVAL_SECONDS):
            now = time.monotonic()
            for running in self.tracker.running():
                if now - running.started > self.limit:
                    self.expired = running
                    kill_worker(running.pid)
                    return

    def stop(self) -> None:
        self._stop_event.set()


class ComputeObserver(Protocol):
    """Told when the compute phase starts and ends, outside its timing: ``futstrat compare`` measures
    the CPU time it took and reads the dispatcher's chunk counts through this."""

    def compute_starting(self) -> None: ...

    def compute_finished(self, dispatcher: Dispatcher) -> None: ...


def _nothing_shared() -> None:
    """What ``combine`` gets as the shared value of a run that shares no state."""
    return None


@frozen
class OpenedRun:
    """What opening a run made, all of it or nothing: the steps after opening take this one value, so
    none of them can see a run that is half open. Made by ``RunExecution._open``."""

    #: The strategy's executor, started for this run, with every member of the protocol.
    executor: AdaptedExecutor
    #: The sharing backend's session, when the run shares state.
    session: SharingSession | None
    #: The keyword arguments every task gets besides its own (``shared``, ``peers``), None for none.
    extra: dict[str, Any] | None
    #: Where tasks that wait on each other's futures find them.
    board: PeerFutureBoard | None
    #: Which task each worker process runs, where the workers are processes futstrat can track.
    tracker: TaskTracker | None
    #: Reads the value ``combine`` gets once the tasks are done: the shared state's, else None.
    final_shared: Callable[[], Any] = _nothing_shared


class RunExecution:
    """One run while it is under way: its opened run, set once, and what its steps learn."""

    def __init__(self, plan: RunPlan, observer: ComputeObserver | None = None) -> None:
        self.plan = plan
        self.observer = observer
        #: Everything the run opened, complete; None until opening has succeeded.
        self.opened: OpenedRun | None = None
        #: The tasks as the workload gave them (a lazy stream stays lazy).
        self.tasks: Iterable[Task] = ()
        self.watch: TaskTimeoutWatch | None = None
        self.dispatcher: Dispatcher | None = None
        #: Children of this process that tasks start, where tasks run in this process.
        self.new_children: NewChildren | None = None
        #: Worker processes still running when graceful shutdown ran out of time (then killed).
        self.lingering: set[int] | None = None
        #: Processes the tasks had started and left running, killed after the run: pid and name.
        self.killed: dict[int, str] = {}

    @property
    def executor(self) -> AdaptedExecutor | None:
        """The run's executor, None until the run is open."""
        return None if self.opened is None else self.opened.executor

    @property
    def tracker(self) -> TaskTracker | None:
        """The run's task tracker, None until the run is open or where workers are not tracked."""
        return None if self.opened is None else self.opened.tracker

    def carry_out(self) -> RunReport:
        plan = self.plan
        if plan.strategy.workers_in_this_process:
            # Before the clock starts: looking for processes is no part of what the run costs.
            self.new_children = NewChildren()
        started = time.perf_counter()
        ready = began = computed = None
        deadline = time.monotonic() + plan.timeout
        status, value, check, error, remote_tb = RunStatus.ERROR, None, None, None, None
        failed_in: str | None = None
        task_count: int | None = None
        try:
            with user_code("tasks"):
                self.tasks, first_task = _peek(plan.workload.tasks(plan.params, plan.context))
            task_count = len(self.tasks) if isinstance(self.tasks, Sized) else None
            self._check_tasks_can_travel(first_task)
            self.opened = opened = self._open(deadline, task_count)
            wait_until_ready(opened.executor, plan.running_workers, deadline)
            ready = began = time.perf_counter()
            if self.observer is not None:
                self.observer.compute_starting()
                began = time.perf_counter()  # the observer's own time belongs to no phase
            value, computed, task_count = self._compute(opened, deadline)
            if self.observer is not None and self.dispatcher is not None:
                self.observer.compute_finished(self.dispatcher)
            with user_code("check"):
                check = plan.workload.check(value, plan.params, plan.context, task_count or 0)
            status = _status_of(check)
        except (WatchdogAlarm, Exception) as exc:
            status, error, remote_tb, failed_in = self._failure_of(exc)
        finally:
            stopping = time.perf_counter()
            try:
                self._close(graceful=status in _RAN_TO_THE_END, deadline=deadline)
            finally:
                stopped = time.perf_counter()
                self._end_what_tasks_left()
        if self.lingering is not None and status in _RAN_TO_THE_END:
            status, error = RunStatus.ERROR, self._describe_lingering()
        if status not in _RAN_TO_THE_END:
            error = (error or "") + self._left_behind() + self._describe_killed()
        ready = ready or stopping
        began = began or ready
        computed = computed or stopping
        return RunReport(
            workload=plan.workload.name,
            strategy=plan.strategy.name,
            sharing=plan.sharing.name,
            workers=plan.running_workers,
            start_method=plan.start_method,
            params=dict(plan.params),
            status=status,
            value=value,
            check=check,
            timings=Timings(startup=ready - started, compute=computed - began, shutdown=stopped - stopping),
            tasks=task_count or 0,
            error=error,
            traceback=remote_tb,
            failed_in=failed_in,
            chunksize=None if self.dispatcher is None else self.dispatcher.chunksize,
        )

    def _failure_of(self, exc: BaseException) -> tuple[RunStatus, str, str | None, str | None]:
        """A failed run's status, its one line, the traceback to show and the workload method at fault."""
        plan = self.plan
        if isinstance(exc, DeadlockFoundError):
            return RunStatus.DEADLOCK, str(exc), None, None
        if isinstance(exc, RunTimedOutError):
            return RunStatus.TIMEOUT, f"{exc} ({plan.timeout:g} s)", None, None
        if isinstance(exc, WatchdogAlarm):
            return RunStatus.TIMEOUT, f"the run reached its timeout ({plan.timeout:g} s) inside a task", None, None
        if isinstance(exc, TaskFailedError):
            status, error = self._explain(exc)
            remote_tb = exc.remote_traceback
            if remote_tb is None and not plan.strategy.pickles_tasks:  # the task raised right here
                remote_tb = _local_traceback(exc.error)
            return status, error, remote_tb, None
        if isinstance(exc, UserCodeError):
            return RunStatus.ERROR, _describe_user_error(exc), exc.traceback, exc.phase
        error = str(exc) if isinstance(exc, FutstratError) else f"{type(exc).__name__}: {exc}"
        return RunStatus.ERROR, error, None, None

    def _compute(self, opened: OpenedRun, deadline: float) -> tuple[Any, float, int]:
        """Dispatch every task, fold the results into the answer; return it, when compute ended and how
        many tasks ran."""
        plan = self.plan
        if opened.tracker is not None and plan.task_timeout is not None:
            self.watch = TaskTimeoutWatch(opened.tracker, plan.task_timeout)
            self.watch.start()
        self.dispatcher = Dispatcher(
            opened.executor,
            plan.strategy,
            self.tasks,
            opened.extra,
            board=opened.board,
            workers=plan.workers,
            deadline=deadline,
            chunksize=plan.chunksize or plan.strategy.chunksize,
            track_each_task=plan.task_timeout is not None,
            finished_in_workers=None if opened.tracker is None else opened.tracker.finished_tasks,
        )
        in_this_thread = alarm_at(deadline) if not plan.strategy.concurrent else contextlib.nullcontext()
        with in_this_thread:
            results = itertools.chain.from_iterable(self.dispatcher.chunk_results())
            if opened.session is None:
                # Nothing to read once the tasks are done: the workload folds results as they come.
                with user_code("combine"):
                    value = plan.workload.combine(results, plan.params, None)
                computed = time.perf_counter()
            else:
                gathered = list(results)
                computed = time.perf_counter()
                with user_code("combine"):
                    value = plan.workload.combine(gathered, plan.params, opened.final_shared())
        return value, computed, self.dispatcher.tasks_done

    def _check_tasks_can_travel(self, first_task: Task | None) -> None:
        strategy = self.plan.strategy
        if strategy.pickles_tasks and strategy.pickles_with_stdlib and first_task is not None:
            problem = unpicklable_part(first_task)
            if problem:
                where = "a worker process" if strategy.crosses_processes else "a worker"
                raise UnpicklableTaskError(
                    f"task 0 ({describe_call(first_task)}) cannot be sent to {where} of {strategy.name!r}: {problem}"
                )

    def _open(self, deadline: float, task_count: int | None) -> OpenedRun:
        """Open the sharing backend and start the executor. What is opened before a step fails is
        closed again here, so the run is either open, complete, or not open at all."""
        plan = self.plan
        pickled = plan.strategy.pickles_tasks
        session: SharingSession | None = None
        board: PeerFutureBoard | None = None
        tracker: TaskTracker | None = None
        final_shared: Callable[[], Any] = _nothing_shared
        extra: dict[str, Any] = {}
        installer: tuple[Any, tuple[Any, ...]] | None = None
        try:
            if plan.sharing.open is not None and plan.workload.shared_state is not SharedStateNeed.NONE:
                parties = min(task_count or plan.workers, plan.workers) if plan.strategy.concurrent else 1
                shared = open_shared_state(plan, max(1, parties), pickled)
                session, final_shared = shared.session, shared.final_value
                extra["shared"] = shared.argument
                if pickled:
                    installer = session.worker_initializer()
            if plan.workload.needs_peer_futures:
                board = PeerFutureBoard()
                extra["peers"] = board
            config = ExecutorConfig(plan.workers, plan.start_method, deadline=deadline, options=plan.strategy_options)
            if has_killable_workers(plan.strategy):
                # A strategy that starts its workers its own way gets a tracker made for spawn, whose lock,
                # unlike fork's, can also reach a worker that is a fresh interpreter.
                method = plan.start_method if plan.strategy.uses_start_method else "spawn"
                tracker = TaskTracker(process_context(method), plan.workers)
                then, then_args = installer if installer is not None else (None, ())
                config = ExecutorConfig(
                    plan.workers,
                    plan.start_method,
                    initialize_worker,
                    (tracker.worker_arguments(), then, then_args),
                    deadline=deadline,
                    options=plan.strategy_options,
                )
            elif installer is not None:
                config = ExecutorConfig(
                    plan.workers, plan.start_method, *installer, deadline=deadline, options=plan.strategy_options
                )
            executor = adapt_executor(plan.strategy.factory(config))
        except BaseException:
            self._close_half_opened(session, board, tracker)
            raise
        return OpenedRun(executor, session, extra or None, board, tracker, final_shared)

    def _close_half_opened(
        self, session: SharingSession | None, board: PeerFutureBoard | None, tracker: TaskTracker | None
    ) -> None:
        """Close what opening made before it failed, as ``_close`` and ``_end_what_tasks_left`` close an
        open run: the session, and the process groups of workers that started before the failure."""
        if board is not None:
            board.abort()
        try:
            if session is not None:
                session.close()
        finally:
            if tracker is not None:
                self.killed.update(end_process_groups(tracker.worker_pids()))

    def _explain(self, failure: TaskFailedError) -> tuple[RunStatus, str]:
        """Turn a task failure into words: a task timeout, a dead worker, an unpicklable result."""
        strategy = self.plan.strategy.name
        if self.watch is not None and self.watch.expired is not None:
            expired = self.watch.expired
            return RunStatus.TIMEOUT, (
                f"task {expired.task} ({self._call(expired.task)}) ran past its"
                f" {self.plan.task_timeout:g} s task timeout; its worker process {expired.pid} was killed"
            )
        if isinstance(failure.error, BrokenExecutor):
            return RunStatus.ERROR, self._describe_dead_worker(failure) + f" (strategy {strategy!r})"
        if self.plan.strategy.pickles_tasks and _is_pickling_error(failure.error):
            where = "a task" if failure.index is None else f"task {failure.index}"
            return RunStatus.ERROR, (
                f"the result of {where} could not be pickled to come back from its worker process:"
                f" {type(failure.error).__name__}: {failure.error}"
            )
        return RunStatus.ERROR, str(failure)

    def _describe_dead_worker(self, failure: TaskFailedError) -> str:
        pid = getattr(failure.error, "pid", None)
        exitcode = getattr(failure.error, "exitcode", None)
        if pid is None:
            pid, exitcode = self._first_dead_worker()
        if pid is None:
            return f"a worker process ended abruptly: {failure.error}"
        running = self.tracker.task_of(pid) if self.tracker is not None else None
        # An executor without the tracker (dask's) may know the tasks the dead worker was given.
        first, last = (running.task, running.last_task) if running is not None else _tasks_of(failure.error)
        if first is None:
            doing = ""
        elif last in (None, first):
            doing = f" while running task {first} ({self._call(first)})"
        else:
            doing = f" while running tasks {first} to {last}"
        return f"worker process {pid} {describe_exit(exitcode)}{doing}"

    def _first_dead_worker(self) -> tuple[int | None, int | None]:
        """The worker whose death broke the pool. Its pipe closes a moment before the process can be
        reaped, so its exit code may take that moment to be known. Workers do not end on their own
        while the pool runs, so one that ended with code 0 (a task's ``os._exit(0)``) died too."""
        give_up = time.monotonic() + _EXIT_CODE_PATIENCE_SECONDS
        while True:
            dead = {pid: code for pid, code in self._worker_exit_codes().items() if code is not None}
            # A broken ProcessPoolExecutor ends the survivors with SIGTERM itself: wait for the death
            # it did not cause, and settle for the others only when that does not show.
            ours = {pid: code for pid, code in dead.items() if code != -signal.SIGTERM}
            if ours:
                return next(iter(ours.items()))
            if time.monotonic() > give_up:
                return next(iter(dead.items()), (None, None))
            time.sleep(_WATCH_INTERVAL_SECONDS / 5)

    def _call(self, index: int) -> str:
        task = self.dispatcher.task(index) if self.dispatcher is not None else None
        if task is None and isinstance(self.tasks, Sequence) and 0 <= index < len(self.tasks):
            task = self.tasks[index]
        return describe_call(task) if task is not None else "?"

    def _close(self, *, graceful: bool, deadline: float) -> None:
        if self.watch is not None:
            self.watch.stop()
        opened = self.opened
        if opened is None:
            return  # opening failed, and closed what it had made
        if opened.board is not None:
            opened.board.abort()
        try:
            if self.executor is not None:
                if graceful:
                    self._shut_down_by(max(deadline - time.monotonic(), SHUTDOWN_GRACE_SECONDS))
                else:
                    self._stop_now(time.monotonic() + STOP_PATIENCE_SECONDS)
        finally:
            if opened.session is not None:
                opened.session.close()

    def _end_what_tasks_left(self) -> None:
        """Kill what the tasks started and left running: every worker's process group, and where tasks
        ran in this process, its children that appeared during the run."""
        try:
            self.killed.update(end_process_groups(self._worker_groups()))
        finally:
            if self.new_children is not None:
                self.killed.update(self.new_children.end())

    def _stop_now(self, give_up: float) -> None:
        """Stop the executor's workers at once, and give up waiting for it after a while: a pool whose
        queue a task's forked copy of a worker took part in can wait forever for a lock that copy held.
        Its workers are killed with their process groups all the same (see ``_close``)."""
        if self.executor is None:
            return
        stopper = threading.Thread(target=stop_executor_now, args=(self.executor,), name="futstrat-stop", daemon=True)
        stopper.start()
        stopper.join(max(give_up - time.monotonic(), 0))

    def _shut_down_by(self, seconds: float) -> None:
        """Shut the executor down, waiting for its workers to exit for at most ``seconds``; then kill
        them (and note which were still running)."""
        assert self.executor is not None
        closer = threading.Thread(target=self.executor.shutdown, name="futstrat-shutdown", daemon=True)
        closer.start()
        try:
            closer.join(seconds)
        finally:  # out of time, or interrupted while waiting (Ctrl-C, SIGTERM)
            if closer.is_alive():
                self.lingering = {pid for pid, code in self._worker_exit_codes().items() if code is None}
                give_up = time.monotonic() + STOP_PATIENCE_SECONDS
                self._stop_now(give_up)
                closer.join(max(give_up - time.monotonic(), 0))

    def _worker_exit_codes(self) -> dict[int, int | None]:
        return {} if self.executor is None else self.executor.worker_exit_codes()

    def _worker_groups(self) -> set[int]:
        """The process groups of this run's workers: each worker leads one (see ``initialize_worker``),
        so its pid names it. A worker that never claimed a tracker slot counts while it is alive, since
        until it is reaped no other process can have its pid."""
        if self.tracker is None:
            return set()
        alive = {pid for pid, code in self._worker_exit_codes().items() if code is None}
        return self.tracker.worker_pids() | alive

    def _describe_lingering(self) -> str:
        workers = (
            f"worker process {', '.join(map(str, sorted(self.lingering)))}"
            if self.lingering
            else "the worker processes"
        )
        return (
            f"every task finished, but {workers} had not exited by the end of the shutdown grace (the run's"
            f" remaining time, at least {SHUTDOWN_GRACE_SECONDS:g} s): a task left a thread or a process running"
            " there, so they were killed" + self._describe_killed()
        )

    def _describe_killed(self) -> str:
        left = {pid: name for pid, name in self.killed.items() if pid not in self._worker_exit_codes()}
        if self.tracker is not None:
            left = {pid: name for pid, name in left.items() if pid not in self.tracker.worker_pids()}
        if not left:
            return ""
        return f"; killed {len(left)} process(es) that tasks had started and left running: {describe_processes(left)}"

    def _left_behind(self) -> str:
        """Worker threads that could not be stopped: an executor whose workers are threads (the thread
        pool, a plugin's subinterpreters) names them through ``threads_left_running()``."""
        if self.executor is None or not self.executor.threads_left_running():
            return ""
        time.sleep(_WATCH_INTERVAL_SECONDS)  # let threads that were told to stop finish doing so
        stuck = self.executor.threads_left_running()
        if not stuck:
            return ""
        return (
            f"; {len(stuck)} worker thread(s) could not be stopped (a thread cannot be killed) and keep"
            " running until their tasks return"
        )


def _labelled_stream(phase: str, stream: Iterator[Task]) -> Iterator[Task]:
    """A lazy stream of tasks, whose exceptions are the workload's own even when dispatch reads it."""
    with user_code(phase):
        yield from stream


def _local_traceback(error: BaseException) -> str | None:
    """The traceback of a task that raised in this process (serial, threads), from its own frames."""
    return user_traceback(error) if error.__traceback__ is not None else None


def _describe_user_error(failure: UserCodeError) -> str:
    where = last_user_frame(failure.error)
    text = str(failure) + (f" ({where})" if where else "")
    if failure.phase == "combine" and isinstance(failure.error, TypeError) and "itertools.chain" in str(failure.error):
        text += (
            "; combine receives the results as a stream that can be read once, as they arrive: fold them"
            " in one pass, or make a list of them first (combine=lambda results: len(list(results)))"
        )
    return text


def _status_of(check: Check) -> RunStatus:
    if not check.checked:
        return RunStatus.UNCHECKED
    return RunStatus.PASSED if check.passed else RunStatus.CHECK_FAILED


def _peek(tasks: Iterable[Task]) -> tuple[Iterable[Task], Task | None]:
    """The tasks as they were given (a lazy stream stays lazy) and the first of them."""
    if isinstance(tasks, Sequence):
        return tasks, (tasks[0] if len(tasks) else None)
    stream = _labelled_stream("tasks", iter(tasks))
    first = next(stream, None)
    return (stream if first is None else itertools.chain((first,), stream)), first


def _is_pickling_error(error: BaseException) -> bool:
    return (
        isinstance(error, pickle.PicklingError)
        or type(error).__name__ == "MaybeEncodingError"
        or (isinstance(error, (TypeError, AttributeError)) and "pickle" in str(error).lower())
    )


def _tasks_of(error: BaseException) -> tuple[int | None, int | None]:
    """The first and last task a dead worker was running, as its executor's error says (``first_task``,
    ``last_task``), when it says."""
    first, last = getattr(error, "first_task", None), getattr(error, "last_task", None)
    return (first, last) if isinstance(first, int) else (None, None)
