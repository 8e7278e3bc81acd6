"""What the plugin's tests share: skipping where subinterpreters are unavailable, and a bounded pool."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from futstrat_interpreters.support import unavailable_reason

REASON = unavailable_reason()

needs_interpreters = pytest.mark.skipif(REASON is not None, reason=REASON or "")
without_interpreters = pytest.mark.skipif(REASON is None, reason="subinterpreters are available here")

#: Seconds any one result may take before a test calls it a hang.
PATIENCE = 30.0


@pytest.fixture
def pool() -> Iterator[object]:
    from futstrat_interpreters.executor import SubinterpreterPoolExecutor

    executor = SubinterpreterPoolExecutor(2)
    yield executor
    executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(autouse=True)
def no_interpreter_left_behind() -> Iterator[None]:
    """Every test closes the interpreters it started: on Python 3.13 one left open breaks later forks."""
    yield
    if REASON is not None:
        return
    import time

    import _interpreters

    give_up = time.monotonic() + PATIENCE
    while len(_interpreters.list_all()) > 1:
        if time.monotonic() > give_up:
            pytest.fail(f"subinterpreters left open after the test: {_interpreters.list_all()}", pytrace=False)
        time.sleep(0.01)
