"""The functions the built-in workloads run in their workers, apart from the workloads themselves.

A worker imports the module of every task function it runs. A workload's module brings attrs and the
rest of futstrat's model with it, which costs a spawned process or a fresh subinterpreter a tenth of a
second; this module imports only ``time``, so a worker starts on its first task at once.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # not even typing: see above
if TYPE_CHECKING:
    from typing import Any

    from futstrat.model import PeerFutures
    from futstrat.sharing import SharedCounter


def leibniz_terms(first: int, last: int) -> float:
    """Four times the sum of the series' terms ``first..last``: ``(-1)**(k+1) / (2k - 1)``."""
    total = 0.0
    for k in range(first, last + 1):
        sign = 1 if k % 2 else -1
        total += sign / (2 * k - 1)
    return total * 4


def count_locally(increments: int) -> int:
    """The futures way: no shared state, the count comes back as the task's result."""
    count = 0
    for _ in range(increments):
        count += 1
    return count


def count_under_lock(increments: int, *, shared: SharedCounter) -> int:
    shared.start_together()
    for _ in range(increments):
        with shared.lock:
            shared.value = shared.value + 1
    return increments


def count_racing(increments: int, *, shared: SharedCounter) -> int:
    shared.start_together()
    for _ in range(increments):
        current = shared.value + 1  # another task may write between this read and the write below
        shared.value = current
    return increments


def wait_on_peer(me: int, peer: int, delay: float, *, peers: PeerFutures) -> Any:
    time.sleep(delay)  # let the peer start and its future exist before we wait on it
    return peers.wait_for(me, peer)


def nap(seconds: float) -> int:
    time.sleep(seconds)
    return 1


def echo(index: int) -> int:
    return index
