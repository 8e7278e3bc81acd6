"""Ending what a run's tasks left running: each worker's process group, and new children of futstrat.

A task may start processes of its own (``subprocess.Popen``, ``os.fork``) and return without waiting
for them. In a worker process they are in the worker's process group (the worker leads one of its own,
see :func:`futstrat.engine.workers.initialize_worker`), so ending that group after the run ends them all.
Under the serial and thread strategies they are children of futstrat itself: those that appeared
during the run and are not futstrat's own helpers (a Manager, the forkserver, the resource tracker) are
ended with their descendants.

Linux only, through ``/proc``; elsewhere nothing is found and nothing is ended.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from collections.abc import Iterable

from attrs import frozen

#: How long to wait for a killed child of this process to be reaped, so that no zombie stays behind.
REAP_SECONDS = 1.0


@frozen
class ProcessEntry:
    """One process as ``/proc/<pid>/stat`` shows it."""

    pid: int
    parent: int
    group: int
    name: str


def process_table() -> dict[int, ProcessEntry]:
    """Every live process this user can see (zombies left out: they are already ended)."""
    table: dict[int, ProcessEntry] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return table
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            text = _read(f"/proc/{entry}/stat")
        except OSError:
            continue  # ended meanwhile
        name, _, rest = text.partition(" (")[2].rpartition(")")
        fields = rest.split()
        if len(fields) < 3 or fields[0] in ("Z", "X"):
            continue
        table[int(entry)] = ProcessEntry(int(entry), int(fields[1]), int(fields[2]), name)
    return table


def _read(path: str) -> str:
    # os.open and os.read: a whole table of these is read at the end of every run.
    descriptor = os.open(path, os.O_RDONLY)
    try:
        return os.read(descriptor, 4096).decode(errors="replace")
    finally:
        os.close(descriptor)


def children_of(pid: int, table: dict[int, ProcessEntry] | None = None) -> set[int]:
    """The live direct children of ``pid``."""
    table = process_table() if table is None else table
    return {entry.pid for entry in table.values() if entry.parent == pid}


def has_children(pid: int) -> bool | None:
    """Whether ``pid`` has children (zombies included), from its threads' lists where the kernel keeps
    them (``/proc/<pid>/task/<tid>/children``); None where it does not."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
        return any(_read(f"/proc/{pid}/task/{tid}/children").strip() for tid in threads)
    except OSError:
        return None


def descendants_of(roots: Iterable[int], table: dict[int, ProcessEntry]) -> set[int]:
    """``roots`` and every live process below them."""
    found: set[int] = set()
    frontier = [root for root in roots if root in table]
    while frontier:
        pid = frontier.pop()
        if pid not in found:
            found.add(pid)
            frontier += [entry.pid for entry in table.values() if entry.parent == pid]
    return found


def end_process_groups(leaders: Iterable[int]) -> dict[int, str]:
    """Kill every process of the groups that ``leaders`` lead; return the members found, by pid, and
    their names.

    Only for groups of this run's workers, right after the run: a group's id is its leader's pid, and
    the kernel does not give that pid to a new process while any member of the group lives.
    """
    groups = {group for group in leaders if _group_exists(group)}
    if not groups:
        return {}
    members = {entry.pid: entry.name for entry in process_table().values() if entry.group in groups}
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    # Not reaped here: a leader is a worker, which its pool reaps; the others are not children of ours.
    return members


def _group_exists(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


class NewChildren:
    """The children of this process that appear from now on, for the strategies whose tasks run here."""

    def __init__(self) -> None:
        self._me = os.getpid()
        self._before = set() if has_children(self._me) is False else children_of(self._me)

    def end(self) -> dict[int, str]:
        """Kill the children that appeared since this watch began (and all below them), except
        futstrat's own helpers; return them, by pid, and their names."""
        if has_children(self._me) is False:
            return {}
        table = process_table()
        new = children_of(self._me, table) - self._before - own_helper_processes()
        doomed = descendants_of(new, table)
        for pid in doomed:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        _reap(new)
        return {pid: table[pid].name for pid in sorted(doomed)}


def own_helper_processes() -> set[int]:
    """The children multiprocessing started for futstrat or its caller: Manager servers, pool workers,
    the forkserver and the resource tracker."""
    helpers = {process.pid for process in multiprocessing.active_children() if process.pid is not None}
    # The forkserver and the resource tracker are not Process objects; their modules keep their pids.
    from multiprocessing import forkserver, resource_tracker

    for pid in (
        getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None),
        getattr(getattr(resource_tracker, "_resource_tracker", None), "_pid", None),
    ):
        if isinstance(pid, int):
            helpers.add(pid)
    return helpers


def _reap(pids: Iterable[int]) -> None:
    """Collect the exit status of those of ``pids`` that are this process's children."""
    waiting = set(pids)
    give_up = time.monotonic() + REAP_SECONDS
    while waiting and time.monotonic() < give_up:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not ours, or already collected
                waiting.discard(pid)
                continue
            if done:
                waiting.discard(pid)
        if waiting:
            time.sleep(0.01)


def describe_processes(processes: dict[int, str]) -> str:
    """'1234 (sleep), 1240 (python)'."""
    return ", ".join(f"{pid} ({name})" for pid, name in sorted(processes.items()))
