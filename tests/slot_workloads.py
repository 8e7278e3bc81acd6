"""Workloads with shared slots for the tests, found by dotted path (``tests.slot_workloads:tally``).

``tally`` bins its items into an array slot and reads a read-only table; with ``--param fault=kill``
the task ``at`` SIGKILLs its own worker, with ``fault=hang`` it never ends: what the leak tests need.
"""

from __future__ import annotations

import array
import os
import signal
import time
from collections.abc import Mapping
from typing import Any

import futstrat

#: The read-only table's length (doubles): big enough to be a real block, small enough to be quick.
TABLE = 4096


def _slots(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "bins": futstrat.Array("q", 10),
        "hits": futstrat.Counter(),
        "table": futstrat.ReadOnly(array.array("d", range(TABLE))),
    }


def _expected(params: Mapping[str, Any]) -> Any:
    n = params["n"]
    return [sum(1 for i in range(n) if i % 10 == b) for b in range(10)], n, float(sum(i % TABLE for i in range(n)))


@futstrat.workload(
    params={"n": 40, "fault": "none", "at": 3},
    shared=_slots,
    combine=lambda results, shared: (shared.bins, shared.hits, sum(results)),
    expected=_expected,
)
def tally(i: int, *, fault: str = "none", at: int = 3, shared: Any) -> float:
    if i == at and fault == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if i == at and fault == "hang":
        time.sleep(3600)
    shared.bins.add(i % 10)
    with shared.hits.lock:
        shared.hits.value += 1
    return float(shared.table[i % TABLE])


@futstrat.workload(params={"n": 30}, shared={"counts": futstrat.Mapping()}, combine=lambda r, s: s.counts)
def words(i: int, *, shared: Any) -> None:
    shared.counts.add(f"w{i % 3}")


@futstrat.workload(
    params={"n": 4},
    shared={
        "grid": futstrat.ReadOnly(memoryview(bytes(range(24))).cast("B", (4, 6))),
        "words": futstrat.ReadOnly({"a": [1, 2]}),
        "raw": futstrat.ReadOnly(b"xyz"),
    },
)
def look(i: int, *, shared: Any) -> tuple[Any, ...]:
    grid = shared.grid
    return (grid.readonly, grid.format, grid.shape, grid[i, 5], shared.words, bytes(shared.raw), shared.raw.readonly)


def _numpy_grid(params: Mapping[str, Any]) -> dict[str, Any]:
    import numpy  # only the test that has numpy runs this workload

    return {"grid": futstrat.ReadOnly(numpy.arange(24, dtype="float32").reshape(4, 6))}


@futstrat.workload(params={"n": 4}, shared=_numpy_grid)
def numpy_rows(i: int, *, shared: Any) -> tuple[Any, ...]:
    grid = shared.grid
    return (type(grid).__name__, str(grid.dtype), grid.shape, grid.flags.writeable, float(grid[i].sum()))
