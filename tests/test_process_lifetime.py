"""A run owns its processes: it ends them however it ends (return, timeout, Ctrl-C, SIGTERM), workers end
themselves when futstrat dies, a task's own child processes do not outlive the run, and graceful
shutdown has a deadline.

Each case runs a real ``futstrat`` in a session of its own and looks for survivors by session id (see
``tests/test_faults.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from futstrat.engine.execution import SHUTDOWN_GRACE_SECONDS, STOP_PATIENCE_SECONDS
from futstrat.testing.isolated import session_members
from tests.test_faults import (
    PROCESS_STRATEGIES,
    ROOT,
    STRATEGIES,
    assert_nothing_left_behind,
    run_fault,
)

INTERRUPT_WHILE_IMPORTING = """\
import runpy, sys

interrupted_module = sys.argv[1]

class Interrupting:
    def find_spec(self, name, path=None, target=None):
        if name == interrupted_module:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, Interrupting())
sys.argv = ["futstrat", "list"]
runpy.run_module("futstrat", run_name="__main__", alter_sys=True)
"""


def test_ctrl_c_while_the_command_imports_is_one_line_not_a_traceback():
    for module in ("futstrat.cli", "futstrat.cli.app", "futstrat.plugins"):
        result = subprocess.run(
            [sys.executable, "-c", INTERRUPT_WHILE_IMPORTING, module],
            check=False, capture_output=True, text=True, cwd=ROOT, timeout=30,
        )  # fmt: skip
        assert result.returncode == 130, (module, result.stderr)
        assert result.stderr == "futstrat: error: interrupted\n", (module, result.stderr)


# -- a run started in a session of its own, signalled once its workers are up -----------------------


def start_isolated(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "futstrat", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True,
    )  # fmt: skip


def wait_for_session_members(session: int, count: int, limit: float = 30) -> None:
    """Until the session has ``count`` live processes (futstrat, its workers, a Manager ...) and
    futstrat itself runs more than one thread (a pool's, or the thread strategy's workers)."""
    give_up = time.monotonic() + limit
    while len(session_members(session)) < count or len(os.listdir(f"/proc/{session}/task")) < 2:
        assert time.monotonic() < give_up, f"the run never had {count} processes"
        time.sleep(0.05)
    time.sleep(0.5)  # the tasks are under way


def ended_within(process: subprocess.Popen[str], limit: float) -> tuple[str, str]:
    try:
        return process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        for pid in session_members(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{process.args} did not end within {limit} s")


SLEEPERS = ["sleep", "--param", "seconds=30", "--param", "tasks=4", "--workers", "2"]
#: Strategy, extra arguments, and the processes of the session once the run is under way.
SIGNALLED_RUNS = [
    pytest.param("process", SLEEPERS, 3, id="process"),
    pytest.param("pool-map", SLEEPERS, 3, id="pool-map"),
    pytest.param("pool-async", SLEEPERS, 3, id="pool-async"),
    pytest.param("thread", SLEEPERS, 1, id="thread"),
    pytest.param(
        "process", ["counter", "--param", "increments=100000000", "--workers", "2", "--sharing", "manager"], 4,
        id="process-with-manager",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("strategy", "args", "members"), SIGNALLED_RUNS)
def test_sigterm_ends_a_run_as_ctrl_c_does_and_exits_143(strategy, args, members):
    process = start_isolated("run", *args, "--strategy", strategy)
    wait_for_session_members(process.pid, members)
    terminated = time.monotonic()
    os.kill(process.pid, signal.SIGTERM)  # as kill, timeout and CI cancellation do: futstrat alone
    _, err = ended_within(process, 15)
    stopped = time.monotonic() - terminated
    assert process.returncode == 143, err
    assert err == "futstrat: error: terminated\n"
    assert stopped < 10
    assert_nothing_left_behind(process.pid)


def test_sigterm_during_compare_keeps_the_runs_so_far_marked_partial(tmp_path):
    saved = tmp_path / "partial.json"
    process = start_isolated(
        "compare", "sleep", "--strategies", "serial,process", "--param", "seconds=0.2", "--param", "tasks=4",
        "--workers", "2", "--repeat", "50", "--warmup", "0", "--json", str(saved),
    )  # fmt: skip
    time.sleep(4)  # a few runs are done
    os.kill(process.pid, signal.SIGTERM)
    _, err = ended_within(process, 20)
    assert process.returncode == 143, err
    assert "futstrat: warning: terminated after " in err
    assert "Traceback" not in err
    assert json.loads(saved.read_text())["partial"] is True
    assert_nothing_left_behind(process.pid)


ORPHANED_RUNS = [
    *(pytest.param(*run.values, "fork", id=f"{run.id}-fork") for run in SIGNALLED_RUNS if run.id != "thread"),
    # A spawned pool worker sees its queue close when the parent dies; a forked or forkserver one does not.
    pytest.param(*SIGNALLED_RUNS[1].values, "forkserver", id="pool-map-forkserver"),
]


@pytest.mark.parametrize(("strategy", "args", "members", "start_method"), ORPHANED_RUNS)
def test_workers_and_the_manager_end_themselves_when_futstrat_is_killed(strategy, args, members, start_method):
    process = start_isolated("run", *args, "--strategy", strategy, "--start-method", start_method)
    wait_for_session_members(process.pid, members)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)
    assert_nothing_left_behind(process.pid)  # within its 5 s


# -- what tasks leave running -----------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_task_s_child_process_does_not_outlive_a_run_that_passed(strategy):
    result, _ = run_fault(strategy, "popen", "--timeout", "60", limit=60)
    assert result.returncode == 0, result.stdout + result.stderr  # and nothing is left: see run_fault


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_task_s_child_process_does_not_outlive_a_run_that_timed_out(strategy):
    result, _ = run_fault(strategy, "popen-hang", "--timeout", "2", limit=30)
    assert result.returncode == 1
    assert "TIMEOUT" in result.stdout
    assert re.search(r"killed 1 process\(es\) that tasks had started and left running: \d+ \(sleep\)", result.stdout)


@pytest.mark.parametrize("strategy", PROCESS_STRATEGIES)
def test_a_task_s_child_process_dies_with_the_worker_its_task_timeout_killed(strategy):
    result, _ = run_fault(strategy, "popen-hang", "--task-timeout", "1", "--timeout", "60", limit=30)
    assert result.returncode == 1
    assert "ran past its 1 s task timeout" in result.stdout


GRACE_CASES = [
    *(pytest.param(strategy, "thread", id=f"{strategy}-thread") for strategy in PROCESS_STRATEGIES),
    *(pytest.param(strategy, "fork", id=f"{strategy}-fork", marks=pytest.mark.slow) for strategy in PROCESS_STRATEGIES),
]


@pytest.mark.parametrize(("strategy", "kind"), GRACE_CASES)
def test_graceful_shutdown_ends_at_the_timeout_and_names_the_workers_it_killed(strategy, kind):
    timeout = 2
    result, elapsed = run_fault(strategy, kind, "--timeout", str(timeout), limit=40)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"every task finished, but worker process [\d, ]+ had not exited", result.stdout), result.stdout
    assert elapsed < timeout + SHUTDOWN_GRACE_SECONDS + STOP_PATIENCE_SECONDS + 10


@pytest.mark.parametrize("strategy", ["serial", "thread"])
def test_a_thread_a_task_left_running_in_futstrat_itself_does_not_keep_it_alive(strategy):
    result, elapsed = run_fault(strategy, "thread", "--timeout", "60", limit=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ending the process without waiting for thread(s) still running: left-behind" in result.stderr
    assert elapsed < 45
