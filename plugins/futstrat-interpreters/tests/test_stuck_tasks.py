"""A task that a timeout cannot interrupt does not keep the process from ending.

Python finalizes every subinterpreter still open at exit and joins its threads first; before the
plugin let go of them at exit, a task that never returned kept ``futstrat run`` alive for ever after
it had printed its TIMEOUT line.
"""

from __future__ import annotations

import time

import pytest
from conftest import needs_interpreters
from isolated import run_isolated

TIMEOUT = 2
#: The run's timeout, terminate()'s patience, start-up and exit on a busy machine.
LIMIT = TIMEOUT + 25


@needs_interpreters
@pytest.mark.timeout(LIMIT + 10)
def test_a_timed_out_run_ends_although_a_task_never_returns() -> None:
    result, elapsed = run_isolated(
        "run", "stuck_workloads:sleepy", "--strategy", "interpreter", "--workers", "2",
        "--timeout", str(TIMEOUT), limit=LIMIT,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "TIMEOUT" in result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert elapsed < LIMIT


@needs_interpreters
def test_threads_left_running_names_the_worker_whose_task_would_not_stop() -> None:
    from futstrat_interpreters.executor import SubinterpreterPoolExecutor
    from interp_tasks import sleep_then_return

    pool = SubinterpreterPoolExecutor(2, thread_name_prefix="stuck")
    try:
        assert pool.threads_left_running() == ["stuck-0", "stuck-1"]
        busy = pool.submit(sleep_then_return, 3)
        time.sleep(0.5)  # the task is in its sleep, where an interruption cannot reach it
        pool.terminate()
        assert len(pool.threads_left_running()) == 1
        assert busy.exception(timeout=30) is not None
    finally:
        pool.shutdown(wait=True)
    assert pool.threads_left_running() == []
