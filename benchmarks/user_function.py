"""A user's own function as ``@futstrat.workload`` makes it: the decorated path the benchmarks time.

It lives in a module of its own, as a user's would, so that worker processes import it by name under
every start method.
"""

from __future__ import annotations

import futstrat


@futstrat.workload(params={"n": 100_000}, combine=sum, expected=lambda p: p["n"] * (p["n"] - 1) // 2)
def identity(i: int) -> int:
    """Return the item: a task that costs nothing, so the time is the cost of dispatch."""
    return i
