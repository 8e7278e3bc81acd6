"""Running ``futstrat`` in a session of its own, and finding what it left behind.

A run started with ``start_new_session=True`` leads a new session; every process it starts (workers, a
Manager, a resource tracker, a task's own children) inherits that session id unless it calls
``setsid()`` itself, even when it moves to a process group of its own or is reparented to init once
its parent dies. So the members of the session after the run are exactly what the run left behind, and
a hang fails the test at its limit instead of blocking the suite.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: How long a run's processes may take to go once the run has ended (a worker noticing that its
#: parent is gone, a resource tracker seeing its pipe close).
SETTLE_SECONDS = 5.0


def session_members(session: int) -> list[int]:
    """The live (not zombie) processes of ``session``."""
    members = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def describe_process(pid: int) -> str:
    """``pid`` with its command line, as ``ps`` would show it, for a failure message."""
    try:
        command = (pathlib.Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").strip()
    except OSError:
        return f"{pid} (gone)"
    return f"{pid} {command.decode(errors='replace')}"


def end_session(session: int) -> None:
    """SIGKILL whatever is left of ``session``: only processes the test itself started."""
    for pid in session_members(session):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_until_empty(session: int, seconds: float = SETTLE_SECONDS) -> list[int]:
    """Wait up to ``seconds`` for ``session`` to empty; the members still there then."""
    give_up = time.monotonic() + seconds
    while (members := session_members(session)) and time.monotonic() < give_up:
        time.sleep(0.05)
    return members


def assert_nothing_left_behind(session: int, seconds: float = SETTLE_SECONDS) -> None:
    """Fail, listing each survivor, if ``session`` has not emptied within ``seconds``; then end them."""
    survivors = wait_until_empty(session, seconds)
    if survivors:
        listed = "; ".join(describe_process(pid) for pid in survivors)
        end_session(session)
        pytest.fail(f"{len(survivors)} processes were left behind {seconds:g} s after the run ended: {listed}")


def futstrat_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "futstrat", *args]


def start_in_own_session(command: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start ``command`` from the checkout as the leader of a new session, its output captured."""
    return subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=None if env is None else {**os.environ, **env},
        start_new_session=True,
    )


def finish_within(
    process: subprocess.Popen[str], limit: float, what: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Wait up to ``limit`` s for ``process``; past it, end its whole session and fail the test."""
    started = time.monotonic()
    try:
        out, err = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        end_session(process.pid)
        out, err = process.communicate()
        pytest.fail(f"{what} did not end within {limit:g} s; output so far:\n{out}{err}")
    elapsed = time.monotonic() - started
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), elapsed


def futstrat_isolated(*args: str, limit: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    """``futstrat ARGS`` in a session of its own: it must end within ``limit`` and leave nothing behind."""
    process = start_in_own_session(futstrat_command(*args))
    result, elapsed = finish_within(process, limit, f"futstrat {' '.join(args)}")
    assert_nothing_left_behind(process.pid)
    assert "leaked" not in result.stderr, result.stderr
    return result, elapsed
