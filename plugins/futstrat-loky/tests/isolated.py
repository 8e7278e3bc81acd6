"""``futstrat`` in a session of its own (:mod:`futstrat.testing.isolated`), with this folder on the path,
so that the workloads here are found by dotted path."""

from __future__ import annotations

import subprocess
from pathlib import Path

from futstrat.testing.isolated import futstrat_isolated, session_members

TESTS = Path(__file__).resolve().parent

__all__ = ["run_isolated", "session_members"]


def run_isolated(
    *args: str, limit: float, environment: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``futstrat *args``, with ``environment`` added to this process's: see ``futstrat_isolated``."""
    return futstrat_isolated(*args, limit=limit, env=environment, python_path=[TESTS])
