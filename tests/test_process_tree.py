"""futstrat.process_tree: finding and ending the processes a run's tasks left running."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from futstrat.process_tree import (
    NewChildren,
    children_of,
    descendants_of,
    describe_processes,
    end_process_groups,
    process_table,
)

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
from futstrat.workers import PARENT_WATCH_SECONDS, end_with_parent
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
