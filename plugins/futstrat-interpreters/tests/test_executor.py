"""SubinterpreterPoolExecutor: concurrent.futures semantics, and what crossing interpreters changes."""

from __future__ import annotations

import concurrent.futures as cf
import os
import pickle
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

import interp_tasks
import pytest
from conftest import PATIENCE, needs_interpreters
from futstrat_interpreters.errors import (
    BrokenInterpreterPoolError,
    RemoteTraceback,
    TaskError,
    TaskImportError,
    TaskPicklingError,
)
from futstrat_interpreters.executor import SubinterpreterPoolExecutor
from futstrat_interpreters.inside import TaskInterruptedError

pytestmark = needs_interpreters


def test_submit_returns_the_result_with_arguments_and_keywords(pool: SubinterpreterPoolExecutor) -> None:
    assert pool.submit(interp_tasks.add, 2, 40).result(timeout=PATIENCE) == 42
    future = pool.submit(interp_tasks.echo, 1, [2, 3], key={"nested": b"bytes"})
    assert future.result(timeout=PATIENCE) == ((1, [2, 3]), {"key": {"nested": b"bytes"}})


def test_tasks_run_in_subinterpreters_with_their_own_gil(pool: SubinterpreterPoolExecutor) -> None:
    import _interpreters

    main = _interpreters.get_current()[0]
    places = [pool.submit(interp_tasks.where).result(timeout=PATIENCE) for _ in range(6)]
    interpreters = {interpreter for interpreter, _ in places}
    assert main not in interpreters
    assert 1 <= len(interpreters) <= 2
    for interpreter in interpreters:
        assert _interpreters.get_config(interpreter).gil == "own"


def test_two_workers_run_two_tasks_at_the_same_time(pool: SubinterpreterPoolExecutor, tmp_path: Path) -> None:
    first = pool.submit(interp_tasks.meet, str(tmp_path), "a", ["b"], PATIENCE)
    second = pool.submit(interp_tasks.meet, str(tmp_path), "b", ["a"], PATIENCE)
    assert first.result(timeout=PATIENCE + 5) is True, "the two tasks did not run at the same time"
    assert second.result(timeout=PATIENCE + 5) is True


def test_an_exception_comes_back_as_itself_with_the_remote_traceback(pool: SubinterpreterPoolExecutor) -> None:
    error = pool.submit(interp_tasks.fail, "boom", 7).exception(timeout=PATIENCE)
    assert type(error) is interp_tasks.TaskFailure
    assert error.args == ("boom", 7)
    assert isinstance(error.__cause__, RemoteTraceback)
    assert "in fail" in error.__cause__.tb
    assert "TaskFailure" in error.__cause__.tb


def test_an_exception_that_cannot_be_pickled_is_named(pool: SubinterpreterPoolExecutor) -> None:
    error = pool.submit(interp_tasks.fail_unpicklably).exception(timeout=PATIENCE)
    assert isinstance(error, TaskError)
    assert "UnpicklableFailure: cannot travel" in str(error)


def test_a_result_that_cannot_be_pickled_is_a_pickling_error(pool: SubinterpreterPoolExecutor) -> None:
    error = pool.submit(interp_tasks.return_lock).exception(timeout=PATIENCE)
    assert isinstance(error, TaskPicklingError)
    assert isinstance(error, pickle.PicklingError)
    assert "return_lock could not be pickled to come back" in str(error)
    assert pool.submit(interp_tasks.add, 1, 2).result(timeout=PATIENCE) == 3


def test_a_local_function_is_refused_at_submit_with_advice(pool: SubinterpreterPoolExecutor) -> None:
    error = pool.submit(lambda: 1).exception(timeout=0)
    assert isinstance(error, TaskPicklingError)
    assert "cannot be sent to a subinterpreter" in str(error)
    assert "module level" in str(error)
    lock_error = pool.submit(interp_tasks.echo, threading.Lock()).exception(timeout=0)
    assert isinstance(lock_error, TaskPicklingError)
    assert "every argument must be picklable" in str(lock_error)


def test_a_function_from_the_main_script_says_to_move_it(
    pool: SubinterpreterPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def script_task() -> int:
        return 1

    script_task.__module__ = "__main__"
    script_task.__qualname__ = "script_task"
    monkeypatch.setattr(sys.modules["__main__"], "script_task", script_task, raising=False)
    error = pool.submit(script_task).exception(timeout=PATIENCE)
    assert isinstance(error, TaskImportError)
    assert "could not be loaded in a subinterpreter" in str(error)
    assert "__main__ script" in str(error)


def test_a_module_the_subinterpreter_cannot_import_is_named(
    pool: SubinterpreterPoolExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("only_in_the_parent")
    exec("def task():\n    return 1\n", module.__dict__)
    monkeypatch.setitem(sys.modules, "only_in_the_parent", module)
    error = pool.submit(module.task).exception(timeout=PATIENCE)
    assert isinstance(error, TaskImportError)
    assert "No module named 'only_in_the_parent'" in str(error)
    assert "can be imported from sys.path" in str(error)


def test_workers_see_the_parents_import_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "placed_by_the_parent.py").write_text("def triple(x):\n    return 3 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import placed_by_the_parent

    with SubinterpreterPoolExecutor(1) as executor:
        assert executor.submit(placed_by_the_parent.triple, 5).result(timeout=PATIENCE) == 15
        assert str(tmp_path) in executor.submit(interp_tasks.search_path).result(timeout=PATIENCE)


def test_deferred_packages_keep_their_init_from_running_until_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "heavy_package"
    package.mkdir()
    (package / "__init__.py").write_text("from heavy_package import expensive\nMARK = expensive.MARK\n")
    (package / "expensive.py").write_text("MARK = 'imported'\n")
    (package / "light.py").write_text("def double(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from heavy_package import light

    with SubinterpreterPoolExecutor(1, deferred_packages=("heavy_package",)) as executor:
        assert executor.submit(light.double, 21).result(timeout=PATIENCE) == 42
        loaded = executor.submit(interp_tasks.loaded_modules, "heavy_package").result(timeout=PATIENCE)
        assert loaded == ["heavy_package", "heavy_package.light"], "the package __init__ ran although unused"
        # Using the package itself runs its __init__, so nothing a task may need is missing.
        assert (
            executor.submit(interp_tasks.attribute_of, "heavy_package", "MARK").result(timeout=PATIENCE) == "imported"
        )
        loaded = executor.submit(interp_tasks.loaded_modules, "heavy_package").result(timeout=PATIENCE)
        assert "heavy_package.expensive" in loaded


def test_map_keeps_order_and_raises_in_order(pool: SubinterpreterPoolExecutor) -> None:
    assert list(pool.map(interp_tasks.add, range(20), range(20), timeout=PATIENCE)) == [2 * i for i in range(20)]
    results = pool.map(interp_tasks.fail, ["a", "b"], [1, 2], timeout=PATIENCE)
    with pytest.raises(interp_tasks.TaskFailure, match="a"):
        next(results)


def test_initializer_runs_in_every_interpreter_first() -> None:
    with SubinterpreterPoolExecutor(2, initializer=interp_tasks.install, initargs=("ready",)) as executor:
        results = [executor.submit(interp_tasks.installed) for _ in range(8)]
        assert all(future.result(timeout=PATIENCE) == ["ready"] for future in results)


def test_a_failing_initializer_breaks_the_pool_with_its_reason() -> None:
    executor = SubinterpreterPoolExecutor(2, initializer=interp_tasks.fail_to_install)
    try:
        future = executor.submit(interp_tasks.add, 1, 1)
        error = future.exception(timeout=PATIENCE)
        assert isinstance(error, BrokenInterpreterPoolError)
        assert "the initializer raised TaskFailure" in str(error)
        with pytest.raises(BrokenInterpreterPoolError):
            executor.submit(interp_tasks.add, 1, 1)
    finally:
        executor.shutdown(wait=True)


def test_shutdown_waits_for_submitted_work_and_then_refuses_more(pool: SubinterpreterPoolExecutor) -> None:
    futures = [pool.submit(interp_tasks.add, i, 0) for i in range(10)]
    pool.shutdown(wait=True)
    assert [future.result(timeout=0) for future in futures] == list(range(10))
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(interp_tasks.add, 1, 1)


def test_shutdown_can_cancel_pending_work(pool: SubinterpreterPoolExecutor, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    trace = tmp_path / "ran"
    running = [pool.submit(interp_tasks.wait_for_file, str(gate), PATIENCE) for _ in range(2)]
    assert wait_until(lambda: all(future.running() for future in running))
    pending = pool.submit(interp_tasks.touch, str(trace))
    pool.shutdown(wait=False, cancel_futures=True)
    assert pending.cancelled()
    gate.touch()
    assert [future.result(timeout=PATIENCE) for future in running] == ["saw it", "saw it"]
    pool.shutdown(wait=True)
    assert not trace.exists()


def test_terminate_cancels_pending_work_and_a_task_blocked_in_c_ends_after_its_call(tmp_path: Path) -> None:
    trace = tmp_path / "ran"
    executor = SubinterpreterPoolExecutor(1)
    running = executor.submit(interp_tasks.sleep_then_return, 1.0)
    assert wait_until(running.running)
    pending = executor.submit(interp_tasks.touch, str(trace))
    executor.terminate()
    assert pending.cancelled()
    outcome = running.exception(timeout=PATIENCE)
    assert outcome is None or isinstance(outcome, TaskInterruptedError)
    for thread in executor._threads:
        thread.join(PATIENCE)
        assert not thread.is_alive()
    assert not trace.exists()


def test_terminate_interrupts_running_python_code() -> None:
    executor = SubinterpreterPoolExecutor(2)
    running = [
        executor.submit(interp_tasks.spin, PATIENCE * 4),
        executor.submit(interp_tasks.catch_everything_but_interruption, PATIENCE * 4),
    ]
    assert wait_until(lambda: all(future.running() for future in running))
    executor.terminate()
    for future in running:
        error = future.exception(timeout=PATIENCE)
        assert isinstance(error, TaskInterruptedError), f"expected TaskInterruptedError, got {error!r}"
    for thread in executor._threads:
        thread.join(PATIENCE)
        assert not thread.is_alive()


def wait_until(condition: Callable[[], bool]) -> bool:
    give_up = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > give_up:
            return False
        time.sleep(0.005)
    return True


def test_workers_are_daemon_threads_named_after_the_pool(pool: SubinterpreterPoolExecutor) -> None:
    threads = [thread for thread in threading.enumerate() if thread.name.startswith("interpreter-worker-")]
    assert len(threads) >= 2
    assert all(thread.daemon for thread in threads)
    assert pool.max_workers == 2


def test_wait_and_as_completed_work_with_its_futures(pool: SubinterpreterPoolExecutor) -> None:
    futures = [pool.submit(interp_tasks.add, i, i) for i in range(6)]
    _, not_done = cf.wait(futures, timeout=PATIENCE)
    assert not not_done
    assert sorted(f.result() for f in cf.as_completed(futures, timeout=PATIENCE)) == [2 * i for i in range(6)]


def test_bad_worker_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        SubinterpreterPoolExecutor(0)
    with pytest.raises(TypeError, match="callable"):
        SubinterpreterPoolExecutor(1, initializer="not callable")  # type: ignore[arg-type]


def test_an_executor_dropped_without_shutdown_closes_its_interpreters() -> None:
    import gc

    executor = SubinterpreterPoolExecutor(2)
    assert executor.submit(interp_tasks.add, 1, 1).result(timeout=PATIENCE) == 2
    threads = list(executor._threads)
    del executor
    gc.collect()
    for thread in threads:
        thread.join(PATIENCE)
        assert not thread.is_alive()


def test_raw_shared_memory_cannot_be_sent_which_is_why_sharing_value_is_refused(
    pool: SubinterpreterPoolExecutor,
) -> None:
    import ctypes
    import multiprocessing

    raw = multiprocessing.get_context("spawn").Value(ctypes.c_long, 0, lock=False)
    error = pool.submit(interp_tasks.echo, raw).exception(timeout=0)
    assert isinstance(error, TaskPicklingError)
    assert "mmap" in str(error)


def test_a_thread_a_task_left_running_keeps_its_worker_waiting_but_no_other_pool() -> None:
    """Closing an interpreter joins its threads; done under the lock every pool takes to start and close
    interpreters, a thread that never ends would block every pool of the process after it."""
    read, write = os.pipe()
    executor = SubinterpreterPoolExecutor(1)
    try:
        assert executor.submit(interp_tasks.leave_a_thread_reading, read).result(timeout=PATIENCE) == "left-reading"
        executor.shutdown(wait=False)
        other = SubinterpreterPoolExecutor(1)
        try:
            assert other.submit(interp_tasks.add, 1, 2).result(timeout=PATIENCE) == 3
        finally:
            other.shutdown(wait=False)
        assert executor.threads_left_running() == ["interpreter-worker-0"]
    finally:
        os.write(write, b"x")
    for thread in executor._threads:
        thread.join(PATIENCE)
        assert not thread.is_alive()
    os.close(read)
    os.close(write)
