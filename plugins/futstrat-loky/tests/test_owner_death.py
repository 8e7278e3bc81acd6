"""Workers end themselves when the process that owns their pool dies without a chance to stop them.

``kill -9`` of ``futstrat run`` (or the out-of-memory killer, or a CI runner cancelling a job) used to
leave loky's workers, and the resource tracker and fork server they hold open, running for as long as
their tasks and then idle for ever.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from isolated import session_members

#: How long the workers may take to notice, on a busy machine.
PATIENCE = 15


@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    "strategy", [["loky", "--start-method", "fork"], ["loky", "--start-method", "forkserver"], ["loky-reusable"]]
)
def test_the_workers_end_when_futstrat_is_killed(strategy: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "futstrat", "run", "sleep", "--strategy", *strategy, "--workers", "2",
         "--param", "seconds=60", "--param", "tasks=4", "--timeout", "120"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        give_up = time.monotonic() + 40
        while len(session_members(process.pid)) < 3:  # futstrat and its two workers, at least
            assert process.poll() is None, "the run ended before its workers were busy"
            assert time.monotonic() < give_up, "the workers never started"
            time.sleep(0.1)
        time.sleep(0.5)  # the tasks are in their sleep
        process.kill()
        process.wait(timeout=10)
        give_up = time.monotonic() + PATIENCE
        while session_members(process.pid) and time.monotonic() < give_up:
            time.sleep(0.1)
        assert session_members(process.pid) == [], f"still running {PATIENCE} s after futstrat was killed"
    finally:
        for pid in session_members(process.pid):
            os.kill(pid, signal.SIGKILL)
