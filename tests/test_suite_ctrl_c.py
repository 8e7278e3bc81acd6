"""The tests that send a real Ctrl-C work however the suite was started, also in the background of a
shell without job control, which starts it with SIGINT ignored (see ``ctrl_c_as_a_terminal_gives_it``)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: One test that sends Ctrl-C to its own process, one that sends it to a futstrat it started.
REAL_CTRL_C_TESTS = (
    "tests/test_exit_codes.py::test_a_real_ctrl_c_while_combining_still_interrupts",
    "tests/test_task_exceptions.py::test_a_real_ctrl_c_during_a_serial_task_still_reads_as_interrupted",
)

#: Starts the rest of its command line as a shell would start it in the background, and as a signal
#: mask can be left by the thread that started it: SIGINT ignored, and blocked.
WITH_CTRL_C_IGNORED_AND_BLOCKED = """\
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


@pytest.mark.parametrize("test", REAL_CTRL_C_TESTS)
def test_a_real_ctrl_c_works_in_a_suite_started_with_it_ignored_and_blocked(test):
    result = subprocess.run(
        [sys.executable, "-c", WITH_CTRL_C_IGNORED_AND_BLOCKED, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        check=False, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout, result.stdout[-3000:]
