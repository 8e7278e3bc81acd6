"""Many trivial tasks: futstrat's ``--chunksize auto`` against hand-written dispatch, side by side.

100,000 trivial tasks (each returns its argument) on 2 workers. The hand-written references are
``multiprocessing.Pool.map`` with its default chunk size, ``ProcessPoolExecutor.submit`` task by task and
``ThreadPoolExecutor.map``; futstrat runs the ``tiny`` workload, whose answer is checked, through every
process strategy and ``thread``, with the chunk size chosen by its pilot. Every candidate is timed from
before its pool starts to after it has shut down, so start-up and the pilot count.

Targets: every process strategy reaches at least half the throughput of ``Pool.map`` and at least 20
times that of ``ProcessPoolExecutor.submit``; ``thread`` is no slower than ``ThreadPoolExecutor.map``.
A user's own function decorated with ``@futstrat.workload`` (``benchmarks/user_function.py``) runs on
``pool-map`` too and reaches at least 0.9 times the throughput of ``Pool.map``.
``submit`` task by task is slow, so it runs 10,000 tasks and is scaled to 100,000.

    python benchmarks/dispatch_throughput.py [--n 100000] [--workers 2] [--repeat 5] [--warmup 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from interleaved import check_ratio, exit_code, print_medians, time_side_by_side
from user_function import identity

import futstrat
from futstrat.builtin.tasks import echo
from futstrat.measure.stats import ratio_of_medians

#: A user's own function through ``@futstrat.workload`` (benchmarks/user_function.py), on ``pool-map``.
DECORATED = "futstrat pool-map, @futstrat.workload"
PROCESS_STRATEGIES = ("process", "process-map", "pool-map", "pool-imap", "pool-async")
SUBMIT_SAMPLE = 10_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    n, workers = args.n, args.workers
    method = multiprocessing.get_start_method()

    def pool_map() -> None:
        with multiprocessing.get_context(method).Pool(workers) as pool:
            assert pool.map(echo, range(n)) == list(range(n))

    def executor_submit() -> None:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as executor:
            futures = [executor.submit(echo, i) for i in range(SUBMIT_SAMPLE)]
            assert [f.result() for f in futures] == list(range(SUBMIT_SAMPLE))

    def thread_map() -> None:
        with ThreadPoolExecutor(workers) as executor:
            assert list(executor.map(echo, range(n))) == list(range(n))

    def futstrat_run(strategy: str) -> None:
        report = futstrat.run("tiny", strategy, workers=workers, params={"n": n}, start_method=method)
        assert report.ok, report.error

    candidates = {
        "Pool.map (default chunks)": pool_map,
        f"ProcessPoolExecutor.submit ({SUBMIT_SAMPLE:,})": executor_submit,
        "ThreadPoolExecutor.map": thread_map,
    }
    for strategy in (*PROCESS_STRATEGIES, "thread"):
        candidates[f"futstrat {strategy}"] = lambda strategy=strategy: futstrat_run(strategy)

    def decorated_run() -> None:
        report = futstrat.run(identity, "pool-map", workers=workers, params={"n": n}, start_method=method)
        assert report.ok, report.error

    candidates[DECORATED] = decorated_run
    print(f"{n:,} trivial tasks, {workers} workers, start method {method}; {args.repeat} rounds")
    times, busy = time_side_by_side(candidates, args.repeat, args.warmup)
    print_medians(times)
    times[f"ProcessPoolExecutor.submit ({SUBMIT_SAMPLE:,})"] = [
        t * n / SUBMIT_SAMPLE for t in times[f"ProcessPoolExecutor.submit ({SUBMIT_SAMPLE:,})"]
    ]
    print("throughput ratios (futstrat over hand-written, higher is better; a ratio of times inverted):")
    checks = []
    for strategy in PROCESS_STRATEGIES:
        mine = times[f"futstrat {strategy}"]
        vs_map = ratio_of_medians(times["Pool.map (default chunks)"], mine)
        vs_submit = ratio_of_medians(times[f"ProcessPoolExecutor.submit ({SUBMIT_SAMPLE:,})"], mine)
        checks.append((f"{strategy} / Pool.map", vs_map, 0.5))
        checks.append((f"{strategy} / submit one by one", vs_submit, 20.0))
    decorated = ratio_of_medians(times["Pool.map (default chunks)"], times[DECORATED])
    checks.append(("@futstrat.workload function on pool-map / Pool.map", decorated, 0.9))
    vs_threads = ratio_of_medians(times["ThreadPoolExecutor.map"], times["futstrat thread"])
    checks.append(("thread / ThreadPoolExecutor.map", vs_threads, 1.0))
    return exit_code([check_ratio(label, ratio, target, at_most=False, busy=busy) for label, ratio, target in checks])


if __name__ == "__main__":
    sys.exit(main())
