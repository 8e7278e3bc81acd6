"""futstrat's conformance kit, run against both loky strategies as any plugin author runs it."""

from __future__ import annotations

import pytest

ExecutorContract = pytest.importorskip("futstrat.testing.executor_contract").ExecutorContract


#: loky's call queue holds twice the workers and one more, where ProcessPoolExecutor's holds one more.
LOKY_HANDS_OUT_AHEAD = 2 * ExecutorContract.workers + 1


class TestLokyStrategy(ExecutorContract):
    start_method = "spawn"
    handed_out_ahead = LOKY_HANDS_OUT_AHEAD

    @pytest.fixture
    def executor_spec(self) -> str:
        return "loky"


class TestLokyReusableStrategy(ExecutorContract):
    handed_out_ahead = LOKY_HANDS_OUT_AHEAD

    @pytest.fixture
    def executor_spec(self) -> str:
        return "loky-reusable"
