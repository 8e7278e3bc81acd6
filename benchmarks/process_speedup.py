"""Speed-up of futstrat's process strategies over ``serial`` for pi, start-up and shutdown included.

Every process strategy and the serial baseline run side by side, rotated round-robin; the speed-up is
the serial median over the strategy's median, wall time from before the pool starts to after it has
shut down. Hand-written serial code and a hand-written ``ProcessPoolExecutor`` run beside them, as the
floor that any framework has to live with. Target: at least 1.85 for each strategy on 2 workers.

The ratio of minimums is printed too, for reference: noise only adds time, so the fastest round of
each is the one the host disturbed least. It is no steadier than the medians where the host rarely
leaves both cores fast at once, which benchmarks/machine_parallelism.py shows.

    python benchmarks/process_speedup.py [--n 10000000] [--workers 2] [--repeat 5] [--start-method fork]
"""

from __future__ import annotations

import math

from interleaved import check_ratio, exit_code, interval, pi_arguments, print_medians, time_side_by_side
from overhead import check, handwritten_futures, my_pi, with_futstrat

from futstrat.measure.stats import ratio_of_medians

TARGET = 1.85
PROCESS_STRATEGIES = ("process", "process-map", "pool-map", "pool-imap", "pool-async")


def handwritten_serial(n: int) -> None:
    check(math.fsum([my_pi(1, n)]), n)


def main() -> int:
    args = pi_arguments(__doc__, default_repeat=5)
    n, workers, method = args.n, args.workers, args.start_method
    candidates = {"futstrat serial": lambda: with_futstrat("serial", n, workers, method)}
    for strategy in PROCESS_STRATEGIES:
        candidates[f"futstrat {strategy}"] = lambda s=strategy: with_futstrat(s, n, workers, method)
    candidates["hand-written serial"] = lambda: handwritten_serial(n)
    candidates["hand-written ProcessPoolExecutor"] = lambda: handwritten_futures(n, workers, method)
    times, busy = time_side_by_side(candidates, args.repeat, args.warmup)
    print_medians(times)
    floor = ratio_of_medians(times["hand-written serial"], times["hand-written ProcessPoolExecutor"])
    print("speed-up over serial, ratio of medians [95% bootstrap interval]:")
    verdicts = [
        check_ratio(
            f"{strategy:<11} / serial",
            ratio_of_medians(times["futstrat serial"], times[f"futstrat {strategy}"]),
            TARGET,
            at_most=False,
            busy=busy,
            floor=floor,
        )
        for strategy in PROCESS_STRATEGIES
    ]
    print(f"  hand-written ProcessPoolExecutor / hand-written serial: {floor.value:.3f}{interval(floor)} (reference)")
    print("speed-up in the least disturbed rounds, ratio of minimums (for reference; noise only adds time):")
    fastest = {name: min(values) for name, values in times.items()}
    for strategy in PROCESS_STRATEGIES:
        print(f"  {strategy:<11} / serial: {fastest['futstrat serial'] / fastest[f'futstrat {strategy}']:.3f}")
    handwritten = fastest["hand-written serial"] / fastest["hand-written ProcessPoolExecutor"]
    print(f"  hand-written ProcessPoolExecutor / hand-written serial: {handwritten:.3f}")
    if not all(verdict.met for verdict in verdicts):
        print("how steady this machine's cores are, with no framework at all: python benchmarks/machine_parallelism.py")
    return exit_code(verdicts)


if __name__ == "__main__":
    raise SystemExit(main())
