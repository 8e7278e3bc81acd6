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


# -- the command: each imports what it needs, not what the others do ------------------------------------

#: What every command imports of the command line: the front door, its output helpers and its signals,
#: and the types of the values it reads.
FRONT_DOOR = {
    "futstrat.cli",
    "futstrat.cli.app",
    "futstrat.cli.output",
    "futstrat.cli.termination",
    "futstrat.cli.arguments",
}

#: Each command's own command-line modules: its module, and the one whose options it shares.
COMMAND_MODULES = {
    "run": {"futstrat.cli.run_command"},
    "compare": {
        "futstrat.cli.compare_command",
        "futstrat.cli.run_command",
        "futstrat.cli.sweep_command",
        "futstrat.cli.gates",
    },
    "diff": {"futstrat.cli.diff_command", "futstrat.cli.gates"},
    "claims": {"futstrat.cli.claims_command"},
    "list": {"futstrat.cli.list_command"},
    "plugins": {"futstrat.cli.plugins_command"},
}

#: What only measuring commands (compare, claims, diff) need: measuring, and the comparison reports.
MEASURING = ("futstrat.measure", "futstrat.claims", "futstrat.report.jsonfile", "futstrat.report.comparison_view")

COMMAND_LINE = """\
from futstrat.cli.app import main
try:
    main({argv!r})
except SystemExit:
    pass
"""


def imported_by_the_command(*argv: str) -> set[str]:
    """The modules that ``futstrat ARGV`` imports, run in a new interpreter (its output is dropped)."""
    code = "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n"
    code += "".join(f"    {line}\n" for line in COMMAND_LINE.format(argv=list(argv)).splitlines())
    return imported_in_a_fresh_interpreter(code)


def command_line_modules(imported: set[str]) -> set[str]:
    return {name for name in imported if name == "futstrat.cli" or name.startswith("futstrat.cli.")}


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_each_command_imports_only_its_own_command_line_modules(command):
    imported = command_line_modules(imported_by_the_command(command, "--help"))
    assert COMMAND_MODULES[command] <= imported
    assert imported <= FRONT_DOOR | COMMAND_MODULES[command], sorted(imported - FRONT_DOOR - COMMAND_MODULES[command])


@pytest.mark.parametrize(
    "argv",
    [("run", "pi", "--param", "n=1000"), ("list",), ("plugins",)],
    ids=["run", "list", "plugins"],
)
def test_a_command_that_does_not_measure_imports_nothing_of_measuring(argv):
    imported = imported_by_the_command(*argv)
    assert f"futstrat.cli.{argv[0]}_command" in imported
    measuring = sorted(name for name in imported if name.startswith(MEASURING))
    assert not measuring, measuring


def test_the_version_imports_no_command_and_no_dependency():
    imported = imported_by_the_command("--version")
    futstrat_modules = {name for name in imported if name.startswith("futstrat")}
    assert futstrat_modules <= {"futstrat", "futstrat.cli", "futstrat.cli.app", "futstrat.cli.output"}
    assert not imported & {"attr", "attrs", "pluggy"}, sorted(imported & {"attr", "attrs", "pluggy"})


def test_a_run_imports_only_the_sharing_machinery_it_uses():
    # Every run loads the plugins, and so registers every sharing backend; only a run that opens a
    # Manager or a shared_memory block should pay for importing them (tens of milliseconds).
    unused = {"multiprocessing.managers", "multiprocessing.shared_memory", "sysconfig"}
    imported = imported_by_the_command("run", "pi", "--strategy", "serial", "--param", "n=1000")
    assert not imported & unused, sorted(imported & unused)
    assert "multiprocessing.managers" in imported_by_the_command(
        "run", "counter", "--strategy", "serial", "--sharing", "manager", "--param", "increments=10"
    )


def test_a_run_imports_only_the_executor_machinery_it_uses():
    # Every run registers every built-in strategy; only the strategy it runs should import its pool.
    # hashlib (OpenSSL), ctypes and difflib were imported at registration for names and messages, and
    # reading the usable CPUs imported every reader of the machine's facts.
    unused = {"multiprocessing.pool", "hashlib", "ctypes", "difflib", "uuid", "futstrat.machine.frequency"}
    imported = imported_by_the_command("run", "pi", "--strategy", "serial", "--param", "n=1000")
    assert not imported & unused, sorted(imported & unused)
    assert "multiprocessing.pool" in imported_by_the_command("run", "pi", "--strategy", "pool-map", "--param", "n=1000")
