"""Shared state on every backend: the lookup table's cost, the histogram's exactness, shm's clean-up.

Three parts, each printing what it measured and whether its target is met:

1. ``lookup`` with a 64 MiB table on 2 workers, side by side, rotated round-robin: ``futstrat run
   --strategy process --sharing shm`` against ``--strategy thread`` (the threads read the very object,
   nothing copied) and against a hand-written ``ProcessPoolExecutor`` that sends the table with each
   task (pickled per task, the way code without shared state does it). Targets: process + shm at most
   1.5x thread, and at least 10x faster than the pickled baseline. The value and Manager backends are
   timed beside them for reference.
2. ``histogram`` on every strategy x sharing backend that accepts it: every answer exact.
3. 100 runs of a workload with shm slots whose task SIGKILLs its own worker: not one shared memory
   block left behind (the blocks the run creates are recorded by name in this process, so what other
   programs keep in /dev/shm does not count).

    python benchmarks/shared_state.py [--mb 64] [--tasks 32] [--reads 100000] [--repeat 5]
                                      [--kills 100] [--start-method fork] [--skip-reference]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import shared_memory
from typing import Any

from interleaved import Verdict, check_ratio, exit_code, print_medians, time_side_by_side

import futstrat
from futstrat.builtin.state_tasks import make_table, read_passed_table, table_length
from futstrat.builtin.workloads.lookup import expected_sum, first_entry
from futstrat.errors import RefusedError
from futstrat.measure.stats import ratio_of_medians
from futstrat.model import Check, PlanContext, RunStatus, SharedStateNeed, Task, Workload
from futstrat.plugins import get_host
from futstrat.shared_state import Array, ReadOnly

AT_MOST_THREAD = 1.5
AT_LEAST_PICKLED = 10.0


# -- 1. lookup ------------------------------------------------------------------------------------


def with_futstrat(strategy: str, sharing: str, params: Mapping[str, Any], method: str) -> None:
    report = futstrat.run("lookup", strategy, sharing=sharing, workers=2, params=params, start_method=method)
    if not report.ok:
        raise SystemExit(f"lookup x {strategy} x {sharing} failed: {report.error or report.check}")


def handwritten_pickled(params: Mapping[str, Any], method: str) -> None:
    """What code without shared state does: the table goes with each task, pickled every time."""
    megabytes, reads, tasks = params["mb"], params["reads"], params["tasks"]
    table = make_table(megabytes)
    starts = [first_entry(task, tasks, len(table)) for task in range(tasks)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(method)) as executor:
        futures = [executor.submit(read_passed_table, table, first, reads) for first in starts]
        total = sum(future.result() for future in futures)
    if total != sum(expected_sum(first, reads) for first in starts):
        raise SystemExit(f"hand-written pickled lookup: wrong answer {total}")


def lookup_part(args: argparse.Namespace) -> list[Verdict]:
    params = {"mb": args.mb, "reads": args.reads, "tasks": args.tasks}
    method = args.start_method
    print(
        f"\n1. lookup: {table_length(args.mb):,}-byte table, {args.tasks} tasks of {args.reads:,} reads, 2 workers,"
        f" start method {method}: {args.repeat} rounds after {args.warmup} warm-up"
    )
    candidates = {
        "futstrat thread (the object itself)": lambda: with_futstrat("thread", "none", params, method),
        "futstrat process + shm": lambda: with_futstrat("process", "shm", params, method),
        "hand-written pickled per task": lambda: handwritten_pickled(params, method),
    }
    if not args.skip_reference:
        candidates["futstrat process + value (inherited)"] = lambda: with_futstrat("process", "value", params, method)
        candidates["futstrat process + manager"] = lambda: with_futstrat("process", "manager", params, method)
        candidates["futstrat process + none (pickled)"] = lambda: with_futstrat("process", "none", params, method)
    times, busy = time_side_by_side(candidates, args.repeat, args.warmup)
    print_medians(times)
    shm = times["futstrat process + shm"]
    print("ratios of medians [95% bootstrap interval]:")
    verdicts = [
        check_ratio(
            "process + shm / thread",
            ratio_of_medians(shm, times["futstrat thread (the object itself)"]),
            AT_MOST_THREAD,
            at_most=True,
            busy=busy,
        ),
        check_ratio(
            "hand-written pickled / process + shm",
            ratio_of_medians(times["hand-written pickled per task"], shm),
            AT_LEAST_PICKLED,
            at_most=False,
            busy=busy,
        ),
    ]
    for name, values in times.items():
        if name.startswith("futstrat process + ") and name != "futstrat process + shm":
            backend = name.removeprefix("futstrat process + ")
            print(f"  {backend} / shm: {ratio_of_medians(values, shm).value:.2f} (reference)")
    return verdicts


# -- 2. histogram ---------------------------------------------------------------------------------


def histogram_part(method: str) -> Verdict:
    host = get_host()
    print(f"\n2. histogram (4 tasks x 2,000 samples, 16 bins), every strategy x sharing backend, start method {method}")
    exact = wrong = refused = 0
    for strategy in host.registry.strategies.names():
        for sharing in host.registry.sharing.names():
            try:
                report = futstrat.run(
                    "histogram",
                    strategy,
                    sharing=sharing,
                    workers=2,
                    params={"samples": 2000, "bins": 16, "tasks": 4},
                    start_method=method,
                    timeout=300,
                )
            except RefusedError as refusal:
                refused += 1
                print(f"  {strategy:<12} {sharing:<8} refused: {refusal.reasons[0]}")
                continue
            if report.status is RunStatus.PASSED:
                exact += 1
                print(f"  {strategy:<12} {sharing:<8} exact")
            else:
                wrong += 1
                why = report.error or (report.check and report.check.detail)
                print(f"  {strategy:<12} {sharing:<8} NOT EXACT: {why}")
    met = wrong == 0 and exact > 0
    verdict = "met" if met else "NOT MET"
    print(f"  {exact} exact, {wrong} not, {refused} refused  target: every accepted one exact  {verdict}")
    return Verdict(met, None)


# -- 3. no shm block left behind ------------------------------------------------------------------


def kill_own_worker(index: int, *, shared: Any) -> int:
    """Task 0 of each run touches the shared state, then SIGKILLs the worker process it runs in."""
    shared.bins.add(0, 1)
    len(shared.table)
    if index == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return index


class KilledWorker(Workload):
    """A run with an array and a read-only block whose first task kills its worker."""

    name = "killed-worker"
    description = "tasks that use shm slots, the first of which SIGKILLs its own worker"
    shared_state = SharedStateNeed.REQUIRED
    preferred_sharing = ("shm",)

    def shared_slots(self, params: Mapping[str, Any], plan: PlanContext) -> Mapping[str, Any]:
        return {"bins": Array("q", 4), "table": ReadOnly(bytes(1 << 20))}

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return [Task(kill_own_worker, (index,)) for index in range(4)]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: Any) -> Any:
        return list(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        return Check(False, None, "the worker was supposed to die")


def created_blocks() -> list[str]:
    """Record the name of every shared memory block this process creates from now on."""
    names: list[str] = []
    original = shared_memory.SharedMemory.__init__

    def recording(self: shared_memory.SharedMemory, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if kwargs.get("create", args[1] if len(args) > 1 else False):
            names.append(self.name)

    shared_memory.SharedMemory.__init__ = recording  # type: ignore[method-assign]
    return names


def left_behind(names: Iterable[str]) -> list[str]:
    return [name for name in names if os.path.exists(os.path.join("/dev/shm", name.lstrip("/")))]


def leak_part(runs: int, method: str) -> Verdict:
    print(f"\n3. {runs} runs of process x shm whose first task SIGKILLs its worker, start method {method}")
    names = created_blocks()
    failed = created = 0
    leaks: list[str] = []
    for run in range(runs):
        report = futstrat.run(KilledWorker(), "process", sharing="shm", workers=2, start_method=method, timeout=60)
        failed += report.status is RunStatus.ERROR
        leaks += left_behind(names)
        created += len(names)
        names.clear()
        if (run + 1) % 20 == 0:
            print(f"  {run + 1} runs, {failed} reported the worker's death, {len(leaks)} blocks left", flush=True)
    met = not leaks and failed == runs and created >= runs
    print(
        f"  {failed} of {runs} runs reported the dead worker; of the {created} blocks they made, left in /dev/shm:"
        f" {len(leaks)}"
        f"{' (' + ', '.join(leaks[:5]) + ')' if leaks else ''}  target: none left  {'met' if met else 'NOT MET'}"
    )
    return Verdict(met, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mb", type=int, default=64)
    parser.add_argument("--tasks", type=int, default=32)
    parser.add_argument("--reads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--start-method", default=multiprocessing.get_start_method())
    parser.add_argument("--skip-reference", action="store_true", help="time only the three candidates judged")
    args = parser.parse_args()
    print(f"shared state, Python {sys.version.split()[0]}")
    verdicts = lookup_part(args)
    verdicts.append(histogram_part(args.start_method))
    verdicts.append(leak_part(args.kills, args.start_method))
    return exit_code(verdicts)


if __name__ == "__main__":
    raise SystemExit(main())
