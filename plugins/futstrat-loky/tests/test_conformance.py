"""futstrat's conformance kit, run against both loky strategies as any plugin author runs it."""

from __future__ import annotations

import pytest

ExecutorContract = pytest.importorskip("futstrat.testing.executor_contract").ExecutorContract


class TestLokyStrategy(ExecutorContract):
    start_method = "spawn"

    @pytest.fixture
    def executor_spec(self) -> str:
        return "loky"


class TestLokyReusableStrategy(ExecutorContract):
    @pytest.fixture
    def executor_spec(self) -> str:
        return "loky-reusable"
