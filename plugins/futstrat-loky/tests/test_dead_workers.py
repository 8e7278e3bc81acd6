"""A worker that dies is named in one line, with the task it was running, as the built-in strategies
name theirs; loky's own explanation and a faulthandler dump stay off the user's terminal."""

from __future__ import annotations

import pytest
from isolated import run_isolated

HOW = {
    "kill": "killed by SIGKILL",
    "exit": "exited with code 3",
    "segfault": "killed by SIGSEGV (a segmentation fault)",
}
LIMIT = 60


@pytest.mark.timeout(LIMIT + 10)
@pytest.mark.parametrize("how", sorted(HOW))
def test_a_dead_worker_is_named_with_its_task_in_one_line(how: str) -> None:
    environment = {"PYTHONFAULTHANDLER": ""}  # as a user who did not ask for crash dumps (empty is off)
    result, _ = run_isolated(
        "run", "loky_tasks:worker_ender", "--strategy", "loky", "--workers", "2", "--start-method", "fork",
        "--param", f"how={how}", "--timeout", str(LIMIT), limit=LIMIT, environment=environment,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    [error] = [line for line in result.stdout.splitlines() if "ERROR" in line]
    assert f"{HOW[how]} while running task 1 (end_worker(1, '{how}')) (strategy 'loky')" in error, error
    assert error.split("ERROR: ")[1].startswith("worker process "), error
    assert "unexpectedly terminated" not in result.stdout
    assert "Fatal Python error" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("variable", "enabled", "quiet"),
    [(None, False, True), ("1", False, False), ("0", False, False), (None, True, False)],
)
def test_the_workers_print_a_crash_dump_only_when_the_user_asked_for_one(
    monkeypatch: pytest.MonkeyPatch, variable: str | None, enabled: bool, quiet: bool
) -> None:
    import faulthandler

    from futstrat_loky.executors import _quiet_environment

    if variable is None:
        monkeypatch.delenv("PYTHONFAULTHANDLER", raising=False)
    else:
        monkeypatch.setenv("PYTHONFAULTHANDLER", variable)
    monkeypatch.setattr(faulthandler, "is_enabled", lambda: enabled)  # as 'python -X faulthandler' leaves it
    assert _quiet_environment() == ({"PYTHONFAULTHANDLER": ""} if quiet else None)
