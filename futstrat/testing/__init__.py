"""Testing with futstrat: the pytest strategy matrix and the conformance kit for plugin authors.

The contract classes are what a plugin's own tests subclass::

    from futstrat.testing import ExecutorContract

    class TestMyStrategy(ExecutorContract):
        @pytest.fixture
        def executor_spec(self):
            return "my-strategy"

Names are resolved on first use, so that the pytest plugin, which lives in this package and is loaded in
every pytest run, does not import the kit (or pytest's view of it) until a test asks for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from futstrat.testing.case import StrategyCase
    from futstrat.testing.executor_contract import ExecutorContract
    from futstrat.testing.sharing_contract import SharingContract
    from futstrat.testing.workload_contract import WorkloadContract

_EXPORTS = {
    "ExecutorContract": "futstrat.testing.executor_contract",
    "SharingContract": "futstrat.testing.sharing_contract",
    "WorkloadContract": "futstrat.testing.workload_contract",
    "StrategyCase": "futstrat.testing.case",
}

__all__ = ["ExecutorContract", "SharingContract", "StrategyCase", "WorkloadContract"]


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
