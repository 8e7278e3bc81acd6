"""Every worker imports futstrat's worker side before its first task, so it must stay cheap to import.

A spawned process or a new subinterpreter starts with nothing; what these modules import, each worker
pays for. The tests look at what gets imported, not at a time, so they hold on any machine.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import pytest

from futstrat.builtin.workloads.pi import PiWorkload
from futstrat.engine.chunking import ChunkSource
from futstrat.engine.workers import run_chunk
from futstrat.model import PlanContext

WORKER_SIDE = ("futstrat.engine.workers", "futstrat.sharing", "futstrat.builtin.tasks", "futstrat.builtin.state_tasks")
#: What a worker must not be made to import: each costs a fresh interpreter milliseconds, or tens of them.
HEAVY = frozenset({"attr", "attrs", "pluggy", "typing", "concurrent.futures", "multiprocessing", "socket", "ctypes"})

FRESH_WORKER = """\
import json, pickle, sys
before = set(sys.modules)
exec(sys.stdin.read())
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def imported_in_a_fresh_interpreter(code: str, payload: bytes = b"") -> set[str]:
    """The modules that running ``code`` imports in a new interpreter (``payload`` is its ``data``)."""
    source = f"data = bytes.fromhex({payload.hex()!r})\n{code}"
    result = subprocess.run(
        [sys.executable, "-c", FRESH_WORKER], input=source, capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize("module", WORKER_SIDE)
def test_the_worker_side_imports_nothing_heavy(module):
    imported = imported_in_a_fresh_interpreter(f"import {module}")
    assert module in imported
    assert not imported & HEAVY, f"{module} imports {sorted(imported & HEAVY)}"


def test_a_chunk_of_a_built_in_workload_unpickles_and_runs_without_anything_heavy():
    plan = PlanContext(workers=2, sharing="none", strategy="process")
    chunk = ChunkSource(PiWorkload().tasks({"n": 1000, "tasks": 2}, plan)).take(2)
    payload = pickle.dumps((run_chunk, (None, False, chunk)))
    imported = imported_in_a_fresh_interpreter(
        "fn, args = pickle.loads(data)\nassert abs(sum(fn(*args)[2]) - 3.1416) < 0.01", payload
    )
    assert {"futstrat.engine.workers", "futstrat.builtin.tasks"} <= imported
    assert not imported & HEAVY, sorted(imported & HEAVY)


def test_the_command_s_entry_point_imports_nothing_of_the_commands():
    # A worker spawned by the ``futstrat`` command imports the command's main module, which imports this.
    imported = imported_in_a_fresh_interpreter("import futstrat.cli")
    assert imported <= {"futstrat", "futstrat.cli", "__future__"}, sorted(imported)
