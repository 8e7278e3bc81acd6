"""Running ``futstrat`` as a process in a session of its own, and finding what it left behind.

A session id is inherited by every process the run starts, so whatever is still in the session after
the command ended was left behind by it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def session_members(session: int) -> list[int]:
    """The live (not zombie) processes whose session id is ``session``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _parent, _group, sid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:4]
        except (OSError, ValueError):
            continue
        if int(sid) == session and state != "Z":
            members.append(int(entry.name))
    return members


def run_isolated(
    *args: str, limit: float, environment: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``futstrat *args`` in a new session: its result and how long it took. Fails the test if it is
    still running after ``limit`` seconds, or if any process of its session outlives it. This folder
    is on the path, so workloads are found here by dotted path."""
    environment = dict(os.environ if environment is None else environment)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), environment.get("PYTHONPATH")]))
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "futstrat", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"futstrat {' '.join(args)} was still running after {limit} s")
    elapsed = time.monotonic() - started
    give_up = time.monotonic() + 5
    while session_members(process.pid) and time.monotonic() < give_up:
        time.sleep(0.05)
    left = session_members(process.pid)
    if left:
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        pytest.fail(f"futstrat {' '.join(args)} left processes behind: {left}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), elapsed
