"""Subinterpreters against threads: the seed article's pi on ``interpreter``, ``thread`` and ``serial``.

Each strategy runs pi through ``futstrat.runner.plan_run`` and ``execute``, side by side and rotated
round-robin; a run's time is its report's ``timings.total``, so the pool's start-up and shutdown count.
``process`` (fork) runs beside them as a reference for how much parallelism the machine gave, and so do
hand-written code (pi's own task function, from ``futstrat.builtin.tasks``, which imports only the
standard library, in this process and on a ``SubinterpreterPoolExecutor``) as the floor: what
subinterpreters give with no framework around the task. Targets on 2 workers: ``interpreter`` at
least 1.7 times as fast as ``serial`` and 1.6 times as fast as ``thread``.

Then the start-up cost of one worker: a pool of one worker runs a tiny pi, and the report's start-up
phase (the pool made and its worker answering) is compared with ``process`` under fork and spawn.

Needs Python 3.13 or newer with the futstrat-interpreters plugin installed.

    python benchmarks/interpreters_vs_threads.py [--n 10000000] [--workers 2] [--repeat 5] [--warmup 1]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Callable

from interleaved import Verdict, check_ratio, exit_code, interval, time_side_by_side

from futstrat.builtin.tasks import leibniz_terms
from futstrat.builtin.workloads.pi import RANGES_PER_WORKER
from futstrat.engine.splitting import contiguous_ranges
from futstrat.errors import FutstratError
from futstrat.measure.stats import ratio_of_medians, summarize
from futstrat.model import RunReport
from futstrat.runner import execute, plan_run

SERIAL_TARGET = 1.7
THREAD_TARGET = 1.6
STRATEGIES = ("serial", "thread", "interpreter", "process")
#: Terms of pi in the start-up runs: enough for a task, too few to matter.
STARTUP_TERMS = 1_000
STARTUP_CONTENDERS = (("interpreter", None), ("process", "fork"), ("process", "spawn"))


def one_run(strategy: str, workers: int, n: int, start_method: str | None) -> RunReport:
    plan = plan_run("pi", strategy, workers=workers, params={"n": n}, start_method=start_method)
    report = execute(plan)
    if not report.ok:
        raise SystemExit(f"pi under {strategy} did not pass: {report.status.value}: {report.error or report.check}")
    return report


def recorder(
    reports: dict[str, list[RunReport]], strategy: str, workers: int, n: int, start_method: str | None
) -> Callable[[], None]:
    def run_and_record() -> None:
        reports[strategy].append(one_run(strategy, workers, n, start_method))

    return run_and_record


def handwritten_serial(n: int) -> None:
    check(math.fsum([leibniz_terms(1, n)]), n)


def handwritten_pool(n: int, workers: int) -> None:
    from futstrat_interpreters.executor import SubinterpreterPoolExecutor

    with SubinterpreterPoolExecutor(workers) as pool:
        ranges = contiguous_ranges(1, n, workers * RANGES_PER_WORKER)
        futures = [pool.submit(leibniz_terms, first, last) for first, last in ranges]
        value = math.fsum(future.result() for future in futures)
    check(value, n)


def check(value: float, n: int) -> None:
    if abs(value - math.pi) > 4 / (2 * n + 1) + n * 4e-16:
        raise SystemExit(f"wrong answer: {value!r}")


def compare_totals(n: int, workers: int, repeat: int, warmup: int) -> list[Verdict]:
    reports: dict[str, list[RunReport]] = {name: [] for name in STRATEGIES}
    candidates: dict[str, Callable[[], object]] = {
        name: recorder(reports, name, workers, n, "fork" if name == "process" else None) for name in STRATEGIES
    }
    candidates["hand-written serial"] = lambda: handwritten_serial(n)
    candidates["hand-written interpreter pool"] = lambda: handwritten_pool(n, workers)
    wall, busy = time_side_by_side(candidates, repeat, warmup)
    kept = {name: runs[warmup:] for name, runs in reports.items()}  # the warm-up rounds come first
    totals = {name: [run.timings.total for run in runs] for name, runs in kept.items()}
    print("futstrat, medians of report.timings (total = start-up + compute + shutdown):")
    for name, runs in kept.items():
        startup, compute, shutdown = (
            statistics.median(getattr(run.timings, phase) for run in runs)
            for phase in ("startup", "compute", "shutdown")
        )
        summary = summarize(totals[name])
        print(
            f"  {name:<11}  total {summary.median:.3f} s (min {summary.minimum:.3f})  start-up {startup:.3f}"
            f"  compute {compute:.3f}  shutdown {shutdown:.3f}"
        )
    for name in ("hand-written serial", "hand-written interpreter pool"):
        print(f"  {name}: median {statistics.median(wall[name]):.3f} s (wall, pool start and shutdown included)")
    floor = ratio_of_medians(wall["hand-written serial"], wall["hand-written interpreter pool"])
    over_serial = ratio_of_medians(totals["serial"], totals["interpreter"])
    over_thread = ratio_of_medians(totals["thread"], totals["interpreter"])
    print("ratios of medians [95% bootstrap interval]:")
    # Hand-written code has no thread version to compare with, so only the serial target has a floor.
    verdicts = [
        check_ratio("serial / interpreter", over_serial, SERIAL_TARGET, at_most=False, busy=busy, floor=floor),
        check_ratio("thread / interpreter", over_thread, THREAD_TARGET, at_most=False, busy=busy),
    ]
    reference = ratio_of_medians(totals["serial"], totals["process"])
    print(f"  serial / process (fork): {reference.value:.3f} (reference: the parallelism this machine gave)")
    print(f"  hand-written serial / hand-written interpreter pool: {floor.value:.3f}{interval(floor)} (the floor)")
    return verdicts


def compare_startup(repeat: int) -> None:
    """Start-up and shutdown of a one-worker pool, rotated like the runs above."""
    phases: dict[str, list[tuple[float, float]]] = {}
    for round_index in range(repeat + 1):
        order = STARTUP_CONTENDERS[round_index % 3 :] + STARTUP_CONTENDERS[: round_index % 3]
        for strategy, method in order:
            label = strategy if method is None else f"{strategy} ({method})"
            timings = one_run(strategy, 1, STARTUP_TERMS, method).timings
            if round_index:  # the first round warms up
                phases.setdefault(label, []).append((timings.startup, timings.shutdown))
    print("one worker: start-up (pool made, worker answered) and shutdown, medians:")
    interpreter = statistics.median(start for start, _ in phases["interpreter"])
    for label, values in phases.items():
        start = statistics.median(start for start, _ in values)
        stop = statistics.median(stop for _, stop in values)
        relative = "" if label == "interpreter" else f"  (interpreter / this: {interpreter / start:.2f})"
        print(f"  {label:<17}  start-up {start * 1000:7.1f} ms  shutdown {stop * 1000:6.1f} ms{relative}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    try:
        plan_run("pi", "interpreter", workers=1, params={"n": STARTUP_TERMS})
    except FutstratError as exc:
        print(f"the interpreter strategy cannot run here: {exc}", file=sys.stderr)
        return 2
    print(
        f"pi, n={args.n:,}, {args.workers} workers, Python {sys.version.split()[0]}:"
        f" {args.repeat} rounds after {args.warmup} warm-up"
    )
    verdicts = compare_totals(args.n, args.workers, args.repeat, args.warmup)
    compare_startup(args.repeat)
    return exit_code(verdicts)


if __name__ == "__main__":
    raise SystemExit(main())
