"""futstrat.process_tree: finding and ending the processes a run's tasks left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import attrs
import pytest

from futstrat.builtin.strategies import make_thread_pool
from futstrat.model import StrategySpec
from futstrat.process_tree import (
    NewChildren,
    children_of,
    descendants_of,
    describe_processes,
    end_process_groups,
    process_table,
)
from futstrat.runner import execute, plan_run

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")

#: A process that starts a child of its own (``sleep``) and then waits.
WITH_A_CHILD = "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)"


def wait_for(condition, limit: float = 10) -> None:
    give_up = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < give_up, "it never happened"
        time.sleep(0.02)


def is_gone(pid: int) -> bool:
    return pid not in process_table()


def test_the_table_knows_this_process_its_parent_and_its_group():
    me = process_table()[os.getpid()]
    assert (me.parent, me.group) == (os.getppid(), os.getpgrp())


def test_children_and_their_descendants_are_found():
    parent = subprocess.Popen([sys.executable, "-c", WITH_A_CHILD])
    try:
        wait_for(lambda: children_of(parent.pid))
        (grandchild,) = children_of(parent.pid)
        assert parent.pid in children_of(os.getpid())
        assert descendants_of([parent.pid], process_table()) == {parent.pid, grandchild}
    finally:
        parent.kill()
        parent.wait()


def test_ending_a_group_ends_every_member_and_names_them():
    leader = subprocess.Popen([sys.executable, "-c", WITH_A_CHILD], start_new_session=True)  # leads a group
    wait_for(lambda: children_of(leader.pid))
    (member,) = children_of(leader.pid)
    ended = end_process_groups([leader.pid])
    assert set(ended) == {leader.pid, member}
    assert ended[member] == "sleep"
    leader.wait(timeout=10)
    wait_for(lambda: is_gone(member))


def test_a_pid_that_leads_no_group_is_passed_over():
    bystander = subprocess.Popen(["sleep", "60"])  # in this process's group, leading none
    try:
        assert end_process_groups([bystander.pid]) == {}
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_only_the_children_that_appeared_while_watching_are_ended_with_what_they_started():
    before = subprocess.Popen(["sleep", "60"])
    try:
        watch = NewChildren()
        during = subprocess.Popen([sys.executable, "-c", WITH_A_CHILD])
        wait_for(lambda: children_of(during.pid))
        (grandchild,) = children_of(during.pid)
        ended = watch.end()
        assert set(ended) == {during.pid, grandchild}
        assert during.poll() is not None  # ended and already reaped: no zombie left
        wait_for(lambda: is_gone(grandchild))
        assert before.poll() is None
    finally:
        before.kill()
        before.wait()


def test_processes_read_as_pid_and_name():
    assert describe_processes({12: "sleep", 3: "python"}) == "3 (python), 12 (sleep)"


ORPHANED = """\
import os, sys, time
from futstrat.engine.workers import PARENT_WATCH_SECONDS, end_with_parent
child = os.fork()
if child == 0:
    os.setpgid(0, 0)
    grandchild = os.fork()
    if grandchild == 0:  # what a task started: in the worker's group
        time.sleep(60)
        os._exit(0)
    end_with_parent()
    print(os.getpid(), grandchild, flush=True)
    time.sleep(60)
    os._exit(0)
time.sleep(2 * PARENT_WATCH_SECONDS)  # the watch is on
"""


def test_a_worker_whose_parent_dies_ends_itself_and_its_group():
    result = subprocess.run(
        [sys.executable, "-c", ORPHANED], check=True, capture_output=True, text=True, timeout=30, start_new_session=True
    )
    worker, started_by_a_task = map(int, result.stdout.split())
    wait_for(lambda: is_gone(worker) and is_gone(started_by_a_task), limit=5)


def test_workers_live_in_this_process_unless_tasks_cross_processes_or_the_strategy_says_so():
    assert StrategySpec(name="here", description="d", factory=make_thread_pool).workers_in_this_process
    crossing = StrategySpec(name="there", description="d", factory=make_thread_pool, crosses_processes=True)
    assert not crossing.workers_in_this_process
    assert attrs.evolve(crossing, workers_in_this_process=True).workers_in_this_process


def test_a_task_s_child_is_killed_after_the_run_where_pickled_tasks_run_on_threads_of_this_process():
    """Like the interpreter strategy: tasks are pickled (``crosses_processes``), yet the workers are
    threads here, so a process a task starts is a child of this process and must not outlive the run."""
    spec = StrategySpec(
        name="pickled-threads",
        description="tasks pickled to threads of this process",
        factory=make_thread_pool,
        crosses_processes=True,
        workers_in_this_process=True,
        supports_initializer=False,
    )
    before = children_of(os.getpid())
    plan = plan_run("tests.faults:fault", spec, workers=2, params={"kind": "popen", "at": 1}, timeout=60)
    report = execute(plan)
    table = process_table()
    left = {pid: table[pid].name for pid in children_of(os.getpid(), table) - before}
    for pid in left:  # not left to the rest of the suite
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert report.ok, report.error
    assert not left, f"left running after the run: {describe_processes(left)}"
