"""One small workload per slot kind, each with an exact answer: what the sharing contract runs.

Every task updates (or reads) its slot many times, so that a lock that does not lock, a slot that is
not shared between processes, or read-only data that arrives changed shows as a wrong answer.
"""

from __future__ import annotations

import array
import contextlib
import os
import pathlib
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from futstrat.errors import RefusedError
from futstrat.model import Check, Param, PlanContext, SharingSpec, StrategySpec, Task, Workload
from futstrat.shared_state import SLOT_KINDS, Array, Counter, ReadOnly, SharedStateNeed, Slot
from futstrat.shared_state import Mapping as MappingSlot
from futstrat.testing.counting import assert_explained, must_refuse

#: The array slot's cells (a prime, so that consecutive updates spread over every cell).
BINS = 7
#: The mapping slot's keys.
KEYS = 5
#: The read-only buffer's length (doubles).
TABLE = 1000


def _table() -> array.array[float]:
    return array.array("d", (float(k * k) for k in range(TABLE)))


def add_to_counter(task: int, updates: int, *, shared: Any) -> int:
    shared.hits.start_together()
    for _ in range(updates):
        with shared.hits.lock:
            shared.hits.value = shared.hits.value + 1
    return updates


def add_to_bins(task: int, updates: int, *, shared: Any) -> int:
    for step in range(updates):
        shared.bins.add((task * updates + step) % BINS, 1)
    return updates


def add_to_counts(task: int, updates: int, *, shared: Any) -> int:
    for step in range(updates):
        shared.counts.add(f"k{(task * updates + step) % KEYS}", 1)
    return updates


def read_table(task: int, updates: int, *, shared: Any) -> float:
    table, settings = shared.table, shared.settings
    if not table.readonly or table.format != "d" or len(table) != TABLE:
        raise AssertionError(f"read-only data reached the task changed: {table!r}")
    total = 0.0
    for step in range(updates):
        total += table[(task * updates + step) % TABLE]
    return float(total + settings["offset"])


_TASKS = {"counter": add_to_counter, "array": add_to_bins, "mapping": add_to_counts, "readonly": read_table}


class SlotKindWorkload(Workload):
    """Tasks that use one slot kind; the answer is checked against the same work done serially."""

    shared_state = SharedStateNeed.REQUIRED
    params = (
        Param("tasks", int, 8, "how many tasks", minimum=1, maximum=1000),
        Param("updates", int, 200, "updates (or reads) each task makes", minimum=1, maximum=1_000_000),
    )

    def __init__(self, kind: str) -> None:
        if kind not in SLOT_KINDS:
            raise ValueError(f"no slot kind {kind!r}: one of {', '.join(SLOT_KINDS)}")
        self.kind = kind
        self.name = f"slot-{kind}"
        self.description = f"tasks that share a {kind} slot, checked against a serial count"
        self.preferred_sharing = ("shm", "value", "manager")

    def shared_slots(self, params: Mapping[str, Any], plan: PlanContext) -> Mapping[str, Slot]:
        if self.kind == "counter":
            return {"hits": Counter()}
        if self.kind == "array":
            return {"bins": Array("q", BINS)}
        if self.kind == "mapping":
            return {"counts": MappingSlot()}
        return {"table": ReadOnly(_table()), "settings": ReadOnly({"offset": 0.5})}

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        fn = _TASKS[self.kind]
        return [Task(fn, (task, params["updates"])) for task in range(params["tasks"])]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: Any) -> Any:
        results = list(results)
        if self.kind == "counter":
            return shared_value.hits
        if self.kind == "array":
            return shared_value.bins
        if self.kind == "mapping":
            return dict(sorted(shared_value.counts.items()))
        return sum(results)

    def expected(self, params: Mapping[str, Any]) -> Any:
        tasks, updates = params["tasks"], params["updates"]
        steps = [task * updates + step for task in range(tasks) for step in range(updates)]
        if self.kind == "counter":
            return tasks * updates
        if self.kind == "array":
            bins = [0] * BINS
            for step in steps:
                bins[step % BINS] += 1
            return bins
        if self.kind == "mapping":
            counts: dict[str, int] = {}
            for step in steps:
                counts[f"k{step % KEYS}"] = counts.get(f"k{step % KEYS}", 0) + 1
            return dict(sorted(counts.items()))
        table = _table()
        return sum(
            sum(table[(task * updates + step) % TABLE] for step in range(updates)) + 0.5 for task in range(tasks)
        )

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        expected = self.expected(params)
        passed = value == expected
        return Check(passed, expected, f"got {value!r}" + ("" if passed else f", expected {expected!r}"))


def slot_workload(kind: str) -> SlotKindWorkload:
    return SlotKindWorkload(kind)


def assert_slot_kind_exact_or_refused(
    strategy: StrategySpec,
    sharing: SharingSpec,
    kind: str,
    *,
    workers: int,
    updates: int,
    start_method: str | None,
    timeout: float,
) -> None:
    """Run the ``kind`` slot workload: the answer must be exact, or the combination refused with a reason
    before it starts; a backend must refuse a kind it does not claim."""
    from futstrat.runner import execute, plan_run

    label = f"{kind} slot x {strategy.name} x {sharing.name}"
    tasks = workers if kind == "counter" else 2 * workers  # the counter's tasks also meet at a start line
    try:
        plan = plan_run(
            slot_workload(kind),
            strategy,
            sharing=sharing,
            workers=workers,
            params={"tasks": tasks, "updates": updates},
            start_method=start_method,
            timeout=timeout,
        )
    except RefusedError as refusal:
        assert_explained(refusal, label)
        return
    assert sharing.open is not None, f"{label} was accepted, but {sharing.name} shares nothing"
    assert kind in sharing.slot_kinds, f"{label} was accepted, but {sharing.name} does not claim {kind} slots"
    expected_refusal = must_refuse(sharing, strategy)
    assert expected_refusal is None, f"{label} was accepted, but {expected_refusal}"
    report = execute(plan)
    assert report.ok, f"{label}: {report.status.value}: {report.error or report.check}"


# -- what a run may leave behind --------------------------------------------------------------------

SHARED_MEMORY_FOLDER = "/dev/shm"


def shared_memory_names() -> set[str]:
    """The names in ``/dev/shm`` now (none where there is no such folder)."""
    try:
        return set(os.listdir(SHARED_MEMORY_FOLDER))
    except OSError:
        return set()


def child_processes() -> set[int]:
    """The live children of this process, except multiprocessing's own long-lived helpers (the
    resource tracker and the fork server serve every later run too)."""
    found = set()
    me = str(os.getpid())
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z" and b"resource_tracker" not in command and b"forkserver" not in command:
            found.add(int(entry.name))
    return found


@contextlib.contextmanager
def nothing_left_behind(prefixes: tuple[str, ...], settle: float = 5.0) -> Iterator[None]:
    """Fail if, once the block has run, a new ``/dev/shm`` name with one of ``prefixes`` or a new child
    process is still there after ``settle`` seconds."""
    names_before, children_before = shared_memory_names(), child_processes()
    yield
    give_up = time.monotonic() + settle
    while True:
        names = {n for n in shared_memory_names() - names_before if n.startswith(prefixes)}
        children = child_processes() - children_before
        if not (names or children) or time.monotonic() > give_up:
            break
        time.sleep(0.05)
    assert not names, f"shared memory left in {SHARED_MEMORY_FOLDER}: {', '.join(sorted(names))}"
    assert not children, f"processes left running: {', '.join(map(str, sorted(children)))}"
