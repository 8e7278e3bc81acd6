"""``futstrat`` in a session of its own (:mod:`futstrat.testing.isolated`), with this folder on the path,
so that the workloads here are found by dotted path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from futstrat.testing.isolated import futstrat_isolated, session_members

TESTS = Path(__file__).resolve().parent

__all__ = ["run_isolated", "session_members"]


def run_isolated(
    *args: str, limit: float, environment: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``futstrat *args``, with ``environment`` added to this process's: its result and how long it
    took; the test fails if it is still running after ``limit`` seconds, or if any process of its
    session outlives it."""
    added = dict(environment or {})
    path = added.get("PYTHONPATH", os.environ.get("PYTHONPATH"))
    added["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), path]))
    return futstrat_isolated(*args, limit=limit, env=added)
