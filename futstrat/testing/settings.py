"""The pytest plugin's ini settings, read and checked in one place.

Both the plugin, at start-up, and the strategy matrix, after each test, read them; keeping them here
lets the matrix import this without importing the plugin module that imports the matrix.
"""

from __future__ import annotations

import pytest


def shutdown_patience(config: pytest.Config) -> float:
    """The ``futstrat_shutdown_timeout`` ini value, checked."""
    raw = config.getini("futstrat_shutdown_timeout")
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds > 0:
        raise pytest.UsageError(f"futstrat_shutdown_timeout must be a positive number of seconds, not {raw!r}")
    return seconds
