"""futstrat's own cost: ``futstrat.run`` against hand-written code doing the same work.

pi by the Leibniz series, split into four contiguous ranges per worker as futstrat's pi is, on a
``concurrent.futures.ProcessPoolExecutor`` and on a ``multiprocessing.Pool``, in the same start method,
each timed from before the pool starts to after it has shut down. futstrat's side includes everything
``futstrat run`` does: resolving names and parameters, vetting, the hooks, the watchdog, waiting for the
workers in the start-up phase and checking the answer. Target: a median ratio of at most 1.03.

    python benchmarks/overhead.py [--n 10000000] [--workers 2] [--repeat 9] [--start-method fork]
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from interleaved import (
    OVERHEAD_ALLOWANCE,
    check_ratio,
    exit_code,
    pi_arguments,
    print_medians,
    time_side_by_side,
)

import futstrat
from futstrat.builtin.workloads.pi import RANGES_PER_WORKER
from futstrat.measure.stats import ratio_of_medians

TARGET = OVERHEAD_ALLOWANCE


def my_pi(first: int, last: int) -> float:
    """The article's function, as a user writes it."""
    pi = 0.0
    for k in range(first, last + 1):
        s = 1 if k % 2 else -1
        pi += s / (2 * k - 1)
    return pi * 4


def ranges(n: int, parts: int) -> list[tuple[int, int]]:
    size, extra = divmod(n, parts)
    bounds, start = [], 1
    for index in range(parts):
        stop = start + size + (1 if index < extra else 0) - 1
        bounds.append((start, stop))
        start = stop + 1
    return bounds


def check(value: float, n: int) -> None:
    if abs(value - math.pi) > 4 / (2 * n + 1) + n * 4e-16:
        raise SystemExit(f"wrong answer: {value!r}")


def handwritten_futures(n: int, workers: int, method: str) -> None:
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as executor:
        futures = [executor.submit(my_pi, first, last) for first, last in ranges(n, workers * RANGES_PER_WORKER)]
        value = math.fsum(f.result() for f in futures)
    check(value, n)


def handwritten_pool(n: int, workers: int, method: str) -> None:
    pool = multiprocessing.get_context(method).Pool(workers)
    try:
        value = math.fsum(pool.starmap(my_pi, ranges(n, workers * RANGES_PER_WORKER)))
    finally:
        pool.close()  # the graceful shutdown futstrat does too (a with-block would terminate the workers)
        pool.join()
    check(value, n)


def with_futstrat(strategy: str, n: int, workers: int, method: str) -> None:
    report = futstrat.run("pi", strategy, workers=workers, params={"n": n}, start_method=method)
    if not report.ok:
        raise SystemExit(f"futstrat {strategy} failed: {report.status.value}: {report.error}")


def main() -> int:
    args = pi_arguments(__doc__, default_repeat=9)
    n, workers, method = args.n, args.workers, args.start_method
    times, busy = time_side_by_side(
        {
            "futstrat process": lambda: with_futstrat("process", n, workers, method),
            "hand-written ProcessPoolExecutor": lambda: handwritten_futures(n, workers, method),
            "futstrat pool-map": lambda: with_futstrat("pool-map", n, workers, method),
            "hand-written multiprocessing.Pool": lambda: handwritten_pool(n, workers, method),
        },
        args.repeat,
        args.warmup,
    )
    print_medians(times)
    print("futstrat / hand-written, ratio of medians [95% bootstrap interval]:")
    pairs = {
        "process  / ProcessPoolExecutor": ("futstrat process", "hand-written ProcessPoolExecutor"),
        "pool-map / multiprocessing.Pool": ("futstrat pool-map", "hand-written multiprocessing.Pool"),
    }
    verdicts = [
        check_ratio(label, ratio_of_medians(times[mine], times[theirs]), TARGET, at_most=True, busy=busy)
        for label, (mine, theirs) in pairs.items()
    ]
    return exit_code(verdicts)


if __name__ == "__main__":
    raise SystemExit(main())
