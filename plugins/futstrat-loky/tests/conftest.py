"""Fixtures for futstrat-loky's tests."""

from __future__ import annotations

import multiprocessing

import pytest

#: The standard start methods this platform offers, each of which the ``loky`` strategy honours.
START_METHODS = [m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]


@pytest.fixture(params=START_METHODS)
def start_method(request: pytest.FixtureRequest) -> str:
    return str(request.param)
