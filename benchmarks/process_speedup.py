"""Speed-up of futstrat's process strategies over ``serial`` for pi, start-up and shutdown included.

Every process strategy and the serial baseline run side by side, rotated round-robin; the speed-up is
the serial median over the strategy's median, wall time from before the pool starts to after it has
shut down. Hand-written serial code and a hand-written ``ProcessPoolExecutor`` run beside them, as the
floor that any framework has to live with. Target: at least 1.85 for each strategy on 2 workers.

    python benchmarks/process_speedup.py [--n 10000000] [--workers 2] [--repeat 5] [--start-method fork]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys

from interleaved import check_ratio, exit_code, print_medians, time_side_by_side
from overhead import check, handwritten_futures, my_pi, with_futstrat

from futstrat.measure.stats import ratio_of_medians

TARGET = 1.85
PROCESS_STRATEGIES = ("process", "process-map", "pool-map", "pool-imap", "pool-async")


def handwritten_serial(n: int) -> None:
    check(math.fsum([my_pi(1, n)]), n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--start-method", default=multiprocessing.get_start_method())
    args = parser.parse_args()
    n, workers, method = args.n, args.workers, args.start_method
    print(
        f"pi, n={n:,}, {workers} workers, start method {method}, Python {sys.version.split()[0]}:"
        f" {args.repeat} rounds after {args.warmup} warm-up"
    )
    candidates = {"futstrat serial": lambda: with_futstrat("serial", n, workers, method)}
    for strategy in PROCESS_STRATEGIES:
        candidates[f"futstrat {strategy}"] = lambda s=strategy: with_futstrat(s, n, workers, method)
    candidates["hand-written serial"] = lambda: handwritten_serial(n)
    candidates["hand-written ProcessPoolExecutor"] = lambda: handwritten_futures(n, workers, method)
    times, busy = time_side_by_side(candidates, args.repeat, args.warmup)
    print_medians(times)
    print("speed-up over serial, ratio of medians [95% bootstrap interval]:")
    met = [
        check_ratio(
            f"{strategy:<11} / serial",
            ratio_of_medians(times["futstrat serial"], times[f"futstrat {strategy}"]),
            TARGET,
            at_most=False,
            busy=busy,
        )
        for strategy in PROCESS_STRATEGIES
    ]
    floor = ratio_of_medians(times["hand-written serial"], times["hand-written ProcessPoolExecutor"])
    interval = "" if floor.low is None else f" [{floor.low:.3f}-{floor.high:.3f}]"
    print(f"  hand-written ProcessPoolExecutor / hand-written serial: {floor.value:.3f}{interval} (reference)")
    return exit_code(met, busy)


if __name__ == "__main__":
    raise SystemExit(main())
