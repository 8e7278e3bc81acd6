"""The shm backend leaves no block in /dev/shm however a run ends: a worker SIGKILLed by its task, the
run's timeout, SIGTERM, Ctrl-C. Each test records the /dev/shm names before the run, sees the run's
blocks appear (so that it tests something), and finds none of them left after the run."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest

from futstrat.testing.isolated import IsolatedRun, assert_nothing_left_behind, end_session, futstrat_command
from futstrat.testing.slots import SHARED_MEMORY_FOLDER, shared_memory_names
from tests.sessions import ROOT

pytestmark = pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no /dev/shm to look in")


def start(*args: str) -> IsolatedRun:
    return IsolatedRun(
        futstrat_command("run", "tests.slot_workloads:tally", "--sharing", "shm", "--workers", "2", *args), cwd=ROOT
    )


def blocks_of(run: IsolatedRun) -> set[str]:
    """The run's blocks in /dev/shm: the shm backend names each after the process that made it."""
    return {name for name in shared_memory_names() if name.startswith(f"futstrat_{run.process.pid}_")}


def wait_for_blocks(run: IsolatedRun, count: int = 3, limit: float = 30) -> set[str]:
    """Until the run's blocks are all there: the array's, the counter's and the table's."""
    give_up = time.monotonic() + limit
    while len(found := blocks_of(run)) < count:
        assert run.process.poll() is None, f"the run ended before its blocks were seen: {run.output()}"
        assert time.monotonic() < give_up, "the run's blocks never appeared in /dev/shm"
        time.sleep(0.02)
    return found


def ended(run: IsolatedRun, limit: float, before: set[str]) -> tuple[int, str]:
    result, _ = run.finish_within(limit, " ".join(run.process.args))
    assert_nothing_left_behind(run.session)
    left = blocks_of(run) | {n for n in shared_memory_names() - before if n.startswith(f"futstrat_{run.session}_")}
    assert not left, f"blocks left in /dev/shm: {sorted(left)}"
    # Unlinked by the run, not by the resource tracker after it, which says so when it has to.
    assert "leaked" not in result.stderr, result.stderr
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("strategy", "method"),
    [("process", "fork"), ("process", "spawn"), ("pool-map", "fork"), ("pool-async", "forkserver")],
)
def test_a_task_that_sigkills_its_worker_leaves_no_block(strategy, method):
    before = shared_memory_names()
    run = start("--strategy", strategy, "--start-method", method, "--param", "fault=kill", "--timeout", "60")
    code, err = ended(run, 90, before)
    assert code == 1, err
    assert "killed by SIGKILL while running task 3" in err, err


def test_a_run_that_reaches_its_timeout_leaves_no_block():
    before = shared_memory_names()
    run = start("--strategy", "process", "--param", "fault=hang", "--timeout", "4")
    assert wait_for_blocks(run)
    code, err = ended(run, 60, before)
    assert code == 1, err
    assert "timeout" in err, err


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_run_ended_by_a_signal_leaves_no_block(signum, exit_code):
    before = shared_memory_names()
    run = start("--strategy", "pool-map", "--param", "fault=hang", "--timeout", "120")
    wait_for_blocks(run)
    time.sleep(0.5)  # the workers have attached them
    os.kill(run.process.pid, signum)
    code, err = ended(run, 30, before)
    assert code == exit_code, err


def test_a_run_that_ends_well_leaves_no_block():
    run = start("--strategy", "process", "--start-method", "spawn")
    result, _ = run.finish_within(60, "a run that ends well")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not result.stderr.strip(), result.stderr  # no resource tracker warning about leaked or unknown blocks
    assert not blocks_of(run)


def creator_is_gone(name: str) -> bool:
    """Whether the process a ``futstrat_<pid>_...`` block names is gone (either naming of blocks)."""
    pid = name.split("_")[1]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def test_the_blocks_of_a_run_killed_with_its_whole_process_group_go_with_the_next_run():
    # The whole group, resource tracker included, dies at once: nothing of the run can unlink a block.
    killed = start("--strategy", "process", "--param", "fault=hang", "--timeout", "120")
    try:
        left = wait_for_blocks(killed)
        time.sleep(0.5)  # the workers have attached them and the tracker has registered them
        os.killpg(killed.process.pid, signal.SIGKILL)
        killed.finish_within(30, "a run SIGKILLed with its process group")  # reaped: its pid is free
        assert_nothing_left_behind(killed.session)
    finally:
        end_session(killed.session)
    assert left <= shared_memory_names(), "the killed run's blocks went by themselves: nothing was tested"

    try:
        after = start("--strategy", "process")
        result, _ = after.finish_within(60, "the next shm run")
        assert_nothing_left_behind(after.session)
        assert result.returncode == 0, result.stdout + result.stderr
        still_there = left & shared_memory_names()
    finally:  # a failing test leaves no memory behind either
        for name in left:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(SHARED_MEMORY_FOLDER, name))
    assert not still_there, f"the killed run's blocks are still there: {sorted(still_there)}"
    # Other runs on this machine may be under way: only their blocks, of live processes, may be there.
    stale = {name for name in shared_memory_names() if name.startswith("futstrat_") and creator_is_gone(name)}
    assert not stale, f"blocks of dead runs left in /dev/shm: {sorted(stale)}"
