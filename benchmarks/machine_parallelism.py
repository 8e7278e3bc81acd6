"""How much parallelism this machine gives, second by second, with no framework at all.

A speed-up target assumes the machine holds still: that a core runs a loop as fast during a parallel
run as during the serial one. On a virtual machine the host may slow a core whenever it likes, and a
ratio of two timings then measures the host as much as the code. This script shows how far that goes.
On a pool of processes started once, it alternates one task alone with one task on every worker, each
task a fixed stretch of pi's own loop, and prints the quartiles of the pairs' speed-ups (workers x
time of one task alone / time of all together) and of the time one task alone took. A steady machine gives
speed-ups near the number of workers and task times within a few percent of each other.

    python benchmarks/machine_parallelism.py [--seconds 60] [--workers 2] [--terms 2000000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time

from futstrat.builtin.tasks import leibniz_terms


def timed_task(terms: int) -> float:
    started = time.perf_counter()
    leibniz_terms(1, terms)
    return time.perf_counter() - started


def quartiles(values: list[float]) -> str:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"min {min(values):.3f}  Q1 {q1:.3f}  median {median:.3f}  Q3 {q3:.3f}  max {max(values):.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--terms", type=int, default=2_000_000)
    parser.add_argument("--target", type=float, default=1.85, help="the speed-up a benchmark asks for")
    args = parser.parse_args()
    method = multiprocessing.get_start_method()
    print(
        f"{args.workers} workers, start method {method}, Python {sys.version.split()[0]}:"
        f" pairs of bursts of {args.terms:,} terms for {args.seconds:.0f} s"
    )
    alone: list[float] = []
    speedups: list[float] = []
    with multiprocessing.get_context(method).Pool(args.workers) as pool:
        pool.map(timed_task, [1000] * args.workers, chunksize=1)  # every worker started and warm
        stop = time.monotonic() + args.seconds
        while time.monotonic() < stop:
            started = time.perf_counter()
            pool.apply(timed_task, (args.terms,))
            one = time.perf_counter() - started
            started = time.perf_counter()
            pool.map(timed_task, [args.terms] * args.workers, chunksize=1)
            together = time.perf_counter() - started
            alone.append(one)
            speedups.append(args.workers * one / together)
    print(f"{len(speedups)} pairs")
    print(f"  one task alone, seconds:      {quartiles(alone)}")
    print(f"  speed-up of {args.workers} workers:        {quartiles(speedups)}")
    below = sum(value < args.target for value in speedups)
    print(f"  pairs below a speed-up of {args.target}: {below} of {len(speedups)} ({below / len(speedups):.0%})")
    spread = (max(alone) - min(alone)) / min(alone)
    print(f"the slowest task alone took {spread:.0%} longer than the fastest: ", end="")
    print("a steady machine" if spread < 0.10 else "the host changes this machine's core speed under its programs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
