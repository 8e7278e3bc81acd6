"""futstrat's conformance kit, run against the interpreter strategy as any plugin author runs it."""

from __future__ import annotations

import pytest
from conftest import needs_interpreters

ExecutorContract = pytest.importorskip("futstrat.testing.executor_contract").ExecutorContract


@needs_interpreters
class TestInterpreterStrategy(ExecutorContract):
    time_limit = 90.0
    patience = 30.0

    @pytest.fixture
    def executor_spec(self) -> str:
        return "interpreter"

    def test_a_dying_worker_is_reported_not_hung(self, spec: object) -> None:
        pytest.skip(
            "a subinterpreter shares its process: the kit's os._exit() would end the test run itself, and there"
            " is no worker process whose death the pool could report"
        )
