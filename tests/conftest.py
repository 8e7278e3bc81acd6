"""Shared fixtures for futstrat's own tests."""

from __future__ import annotations

import pytest

from futstrat.plugins import reset_host

pytest_plugins = ["pytester"]


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch):
    """Forget the loaded plugins before and after a test that changes what loads."""
    reset_host()
    yield
    reset_host()
