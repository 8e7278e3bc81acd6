"""User workloads whose task 1 never ends by itself, for the tests of what a timeout leaves running.

Found by dotted path (``stuck_workloads:sleepy``) from this folder, and imported by name in each
subinterpreter, which starts with the parent's ``sys.path``.
"""

from __future__ import annotations

import time

import futstrat

#: Longer than any test waits: the task must still be running when the process ends.
STUCK_SECONDS = 600


@futstrat.workload(params={"n": 4}, combine=sum, expected=lambda params: 0)
def sleepy(index: int) -> int:
    """Task 1 sleeps in C, where an interruption cannot reach it."""
    if index == 1:
        time.sleep(STUCK_SECONDS)
    return 0
