"""The parent's peak memory with 1,000,000 streamed tasks against 10,000, side by side.

Each measurement is a fresh Python process that runs the ``tiny`` workload once and reports its own peak
resident size (``ru_maxrss``); the tasks come from a generator (``lazy=true``), one by one, so nothing
but futstrat's bounded window of chunks can hold them. Target: the million-task run's peak within 5 MB
of the ten-thousand-task run's, for every strategy measured.

    python benchmarks/streaming_memory.py [--strategies process,pool-map,thread] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

TARGET_MB = 5.0

MEASURE = """
import json, resource, sys
import futstrat
report = futstrat.run("tiny", sys.argv[1], workers=2, params={"n": int(sys.argv[2]), "lazy": True})
assert report.ok, report.error
print(json.dumps({"peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "chunksize": report.chunksize}))
"""


def peak_mb(strategy: str, tasks: int) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, strategy, str(tasks)], capture_output=True, text=True, check=True
    ).stdout
    measured = json.loads(out)
    return measured["peak_kb"] / 1024, measured["chunksize"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategies", default="process,pool-map,pool-async,thread")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    missed = False
    for strategy in args.strategies.split(","):
        small, large = [], []
        for _ in range(args.repeat):  # alternated, so both sizes meet the same machine
            small.append(peak_mb(strategy, 10_000)[0])
            mb, chunk = peak_mb(strategy, 1_000_000)
            large.append(mb)
        grown = statistics.median(large) - statistics.median(small)
        verdict = "met" if grown <= TARGET_MB else "NOT MET"
        missed |= grown > TARGET_MB
        print(
            f"{strategy:10}  10,000 tasks: {statistics.median(small):6.1f} MB   1,000,000 tasks: "
            f"{statistics.median(large):6.1f} MB (chunks of {chunk:,})   grown {grown:+.1f} MB"
            f"  target <= {TARGET_MB:g} MB  {verdict}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
