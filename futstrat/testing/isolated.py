"""Running ``futstrat`` in a session of its own, and finding what it left behind: for the tests of
futstrat and of its plugins, which must show that a run ends and leaves no process behind.

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
import tempfile
import time
from collections.abc import Sequence

import pytest

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
    """``pid``, its parent and its command line, for a failure message (a parent of 1: orphaned)."""
    entry = pathlib.Path("/proc") / str(pid)
    try:
        parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
        command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").strip()
    except OSError:
        return f"{pid} (gone)"
    return f"{pid} (parent {parent}) {command.decode(errors='replace')}"


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
    """The ``futstrat`` command as this interpreter runs it."""
    return [sys.executable, "-m", "futstrat", *args]


class IsolatedRun:
    """A command started as the leader of a new session (in ``cwd``, with ``env`` added to this
    process's environment), its output going to files.

    Files, not pipes: a process the command leaves behind inherits its stdout and stderr, and would keep
    a pipe open long after the command itself has ended, so that waiting for the output would blame the
    command for its survivor's life.
    """

    def __init__(
        self, command: Sequence[str], env: dict[str, str] | None = None, cwd: str | os.PathLike[str] | None = None
    ) -> None:
        self._stdout = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by finish_within
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        self.process = subprocess.Popen(
            list(command),
            stdout=self._stdout,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
            start_new_session=True,
        )
        self.started = time.monotonic()

    @property
    def session(self) -> int:
        return self.process.pid

    def output(self) -> tuple[str, str]:
        """What the command (and whatever shares its output) has printed so far."""
        texts = []
        for stream in (self._stdout, self._stderr):
            stream.flush()
            stream.seek(0)
            texts.append(stream.read())
        return texts[0], texts[1]

    def _output_once(self) -> tuple[str, str]:
        out, err = self.output()
        self._stdout.close()
        self._stderr.close()
        return out, err

    def finish_within(self, limit: float, what: str) -> tuple[subprocess.CompletedProcess[str], float]:
        """Wait up to ``limit`` s for the command; past it, end its whole session and fail the test.

        Returns what it printed and how long it ran from its start.
        """
        try:
            self.process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            end_session(self.session)
            self.process.wait()
            out, err = self._output_once()
            pytest.fail(f"{what} did not end within {limit:g} s; output so far:\n{out}{err}")
        elapsed = time.monotonic() - self.started
        out, err = self._output_once()
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, out, err), elapsed


def futstrat_isolated(
    *args: str,
    limit: float = 60,
    env: dict[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    python_path: Sequence[str | os.PathLike[str]] = (),
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``futstrat ARGS`` in a session of its own: it must end within ``limit`` and leave nothing behind.

    ``python_path`` goes before ``PYTHONPATH``, so that workloads in a test folder are found by dotted
    path, by the command and by its workers. Returns what it printed and how long it ran."""
    if python_path:
        env = dict(env or {})
        earlier = env.get("PYTHONPATH", os.environ.get("PYTHONPATH"))
        folders = [os.fspath(folder) for folder in python_path]
        env["PYTHONPATH"] = os.pathsep.join([*folders, *([earlier] if earlier else [])])
    run = IsolatedRun(futstrat_command(*args), env, cwd)
    result, elapsed = run.finish_within(limit, f"futstrat {' '.join(args)}")
    assert_nothing_left_behind(run.session)
    assert "leaked" not in result.stderr, result.stderr
    return result, elapsed
