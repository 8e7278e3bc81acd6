"""futstrat in a session of its own (:mod:`futstrat.testing.isolated`), started from the checkout, where
the tests' own workloads (``tests.faults:fault``) are found by dotted path."""

from __future__ import annotations

import pathlib
import subprocess

from futstrat.testing import isolated
from futstrat.testing.isolated import assert_nothing_left_behind

ROOT = pathlib.Path(__file__).resolve().parent.parent

__all__ = ["ROOT", "assert_nothing_left_behind", "futstrat_isolated"]


def futstrat_isolated(*args: str, limit: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    """``futstrat ARGS`` from the checkout: it must end within ``limit`` and leave nothing behind."""
    return isolated.futstrat_isolated(*args, limit=limit, cwd=ROOT)
