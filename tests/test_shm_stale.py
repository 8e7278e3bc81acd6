"""Which ``shm`` blocks count as left by a dead run, and the sweep that removes them: a block of a live
process, of another pid namespace, of another user or with a name of another form is never touched."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import futstrat
from futstrat.builtin.shm_stale import (
    SHARED_MEMORY_FOLDER,
    UNKNOWN_NAMESPACE,
    block_creator,
    is_stale,
    new_block_name,
    own_pid_namespace,
    process_exists,
    remove_stale_blocks,
)

NAMESPACE = own_pid_namespace()

needs_namespace = pytest.mark.skipif(NAMESPACE == UNKNOWN_NAMESPACE, reason="no /proc/self/ns/pid to read")


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has ended and been waited for."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    assert not process_exists(child.pid), "the pid was taken again at once"
    return child.pid


def name_for(pid: int, namespace: int = NAMESPACE) -> str:
    return f"futstrat_{pid}_n{namespace}_0123456789ab"


def make_blocks(folder, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"\0" * 8)


@needs_namespace
def test_a_new_name_says_who_made_it_and_stays_short():
    name = new_block_name()
    assert block_creator(name) == (os.getpid(), NAMESPACE)
    assert len(name) < 64
    assert new_block_name() != name


@needs_namespace
def test_a_block_of_a_live_process_is_kept(tmp_path):
    make_blocks(tmp_path, name_for(os.getpid()))
    assert remove_stale_blocks(str(tmp_path)) == []
    assert (tmp_path / name_for(os.getpid())).exists()


@needs_namespace
def test_a_block_of_a_dead_process_is_removed(tmp_path, dead_pid):
    make_blocks(tmp_path, name_for(dead_pid), name_for(os.getpid()))
    assert remove_stale_blocks(str(tmp_path)) == [name_for(dead_pid)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [name_for(os.getpid())]


@needs_namespace
def test_a_block_of_another_pid_namespace_is_kept(tmp_path, dead_pid):
    # Another container sharing /dev/shm counts its pids apart: the pid says nothing about it here.
    make_blocks(tmp_path, name_for(dead_pid, NAMESPACE + 1))
    assert remove_stale_blocks(str(tmp_path)) == []
    assert (tmp_path / name_for(dead_pid, NAMESPACE + 1)).exists()


@needs_namespace
@pytest.mark.parametrize(
    "name",
    [
        "futstrat_{pid}_0123456789ab",  # the old naming: no namespace, so the pid may be anyone's
        "futstrat_{pid}_n{ns}_0123456789ab.tmp",
        "futstrat_{pid}_n{ns}_0123456789AB",
        "futstrat_{pid}_n_0123456789ab",
        "futstrat_x{pid}_n{ns}_0123456789ab",
        "futstrat_0_n{ns}_0123456789ab",
        "futstrat_",
    ],
)
def test_a_name_that_does_not_parse_is_kept(tmp_path, dead_pid, name):
    name = name.format(pid=dead_pid, ns=NAMESPACE)
    assert block_creator(name) is None
    make_blocks(tmp_path, name)
    assert remove_stale_blocks(str(tmp_path)) == []
    assert (tmp_path / name).exists()


def test_a_block_of_another_user_is_never_stale():
    gone = name_for(4321, 77)
    assert is_stale(gone, 1000, namespace=77, uid=1000, exists=lambda pid: False)
    assert not is_stale(gone, 1001, namespace=77, uid=1000, exists=lambda pid: False)
    assert not is_stale(gone, 0, namespace=77, uid=1000, exists=lambda pid: False)


def test_a_pid_that_exists_keeps_its_block_whoever_runs_it():
    asked = []

    def exists(pid: int) -> bool:
        asked.append(pid)
        return True

    assert not is_stale(name_for(4321, 77), 1000, namespace=77, uid=1000, exists=exists)
    assert asked == [4321]


def test_an_unknown_namespace_of_our_own_removes_nothing():
    assert not is_stale(name_for(4321, 77), 1000, namespace=UNKNOWN_NAMESPACE, uid=1000, exists=lambda pid: False)
    assert not is_stale(name_for(4321, 0), 1000, namespace=77, uid=1000, exists=lambda pid: False)


def test_a_process_of_another_user_exists(monkeypatch):
    def refused(pid: int, signum: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", refused)
    assert process_exists(12345)


def test_a_folder_that_cannot_be_listed_is_no_error(tmp_path):
    assert remove_stale_blocks(str(tmp_path / "missing")) == []
    (tmp_path / "file").write_bytes(b"")
    assert remove_stale_blocks(str(tmp_path / "file")) == []


@needs_namespace
def test_a_block_another_run_removed_first_is_no_error(tmp_path, dead_pid, monkeypatch):
    make_blocks(tmp_path, name_for(dead_pid))
    real_unlink = os.unlink

    def raced(path, *args, **kwargs):
        real_unlink(path, *args, **kwargs)  # the other run was quicker
        raise FileNotFoundError(2, "No such file or directory", path)

    monkeypatch.setattr(os, "unlink", raced)
    assert remove_stale_blocks(str(tmp_path)) == []
    assert not list(tmp_path.iterdir())


@needs_namespace
@pytest.mark.skipif(not os.path.isdir(SHARED_MEMORY_FOLDER), reason="no /dev/shm to look in")
def test_opening_an_shm_session_removes_the_blocks_of_dead_runs(dead_pid):
    stale = os.path.join(SHARED_MEMORY_FOLDER, name_for(dead_pid))
    live = os.path.join(SHARED_MEMORY_FOLDER, name_for(os.getpid()))
    for path in (stale, live):
        with open(path, "wb") as block:
            block.write(b"\0" * 8)
    try:
        result = futstrat.run("tests.slot_workloads:tally", "thread", sharing="shm", workers=2, timeout=60)
        assert result.check.passed, result.check
        assert not os.path.exists(stale)
        assert os.path.exists(live)
    finally:
        for path in (stale, live):
            if os.path.exists(path):
                os.unlink(path)
