"""Timing several ways of doing the same work side by side, and printing their ratios.

Each round runs every candidate once, in an order that rotates from round to round, so drift on a
shared machine reaches all of them alike; the first rounds are warm-ups and are thrown away. What else
used the CPUs meanwhile is measured too, because on a shared machine it explains odd figures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

from futstrat.measure.load import cpu_use_between, take_snapshot
from futstrat.measure.stats import Ratio, summarize
from futstrat.runner import usable_cpus

#: Other programs using this share of the usable CPUs make a missed target inconclusive, not a failure.
BUSY_SHARE = 0.10
#: How much slower than hand-written code futstrat may be: the overhead target.
OVERHEAD_ALLOWANCE = 1.03


def time_side_by_side(
    candidates: dict[str, Callable[[], object]], repeat: int, warmup: int, show: bool = True
) -> tuple[dict[str, list[float]], bool]:
    """Wall seconds of each candidate over ``repeat`` rounds after ``warmup`` rounds, and whether other
    programs kept the machine busy meanwhile."""
    names = list(candidates)
    times: dict[str, list[float]] = {name: [] for name in names}
    before = take_snapshot()
    for round_index in range(warmup + repeat):
        first = round_index % len(names)
        for name in names[first:] + names[:first]:
            started = time.perf_counter()
            candidates[name]()
            elapsed = time.perf_counter() - started
            if round_index >= warmup:
                times[name].append(elapsed)
        if show:
            kind = "warm-up" if round_index < warmup else f"round {round_index - warmup + 1} of {repeat}"
            print(f"  {kind} done", flush=True)
    outside = cpu_use_between(before, take_snapshot()).outside_cpus
    load = "unknown" if outside is None else f"{outside:.2f} CPUs on average"
    print(f"other programs used {load} (of {usable_cpus()} usable) while this ran")
    busy = outside is not None and outside >= BUSY_SHARE * usable_cpus()
    if busy:
        print("the machine was busy: a missed target says little here; rerun on a quiet machine")
    return times, busy


def print_medians(times: dict[str, list[float]]) -> None:
    width = max(len(name) for name in times)
    for name, values in times.items():
        summary = summarize(values)
        spread = summary.iqr / summary.median if summary.median else 0.0
        print(f"  {name.ljust(width)}  median {summary.median:.3f} s  IQR {spread:.1%}  min {summary.minimum:.3f} s")


def interval(ratio: Ratio) -> str:
    """The ratio's 95% interval as printed after it, or nothing where there was too little to bootstrap."""
    return "" if ratio.low is None else f" [{ratio.low:.3f}-{ratio.high:.3f}]"


class Verdict(NamedTuple):
    """One ratio against its target: met, and if not, why the miss says little (None: a plain miss)."""

    met: bool
    doubt: str | None


def check_ratio(
    label: str, ratio: Ratio, target: float, at_most: bool, busy: bool, floor: Ratio | None = None
) -> Verdict:
    """Print one ratio with its interval against its target, and the verdict.

    ``busy`` and ``floor`` are what :func:`doubt_about` weighs when the target is missed."""
    met = ratio.value <= target if at_most else ratio.value >= target
    doubt = None if met else doubt_about(busy, ratio, target, floor)
    sign = "<=" if at_most else ">="
    verdict = "met" if met else (f"not met, inconclusive: {doubt}" if doubt else "NOT MET")
    print(f"  {label}: {ratio.value:.3f}{interval(ratio)}  target {sign} {target}  {verdict}")
    return Verdict(met, doubt)


def doubt_about(busy: bool, ratio: Ratio, target: float, floor: Ratio | None = None) -> str | None:
    """Why a missed target says little about futstrat in this run, if it does.

    Either other programs kept the machine busy; or the ratio's 95% interval holds the ``target``, so
    the run's own spread is wider than the margin being judged (on a virtual machine whose cores change
    speed under it, this is the usual case); or hand-written code with no framework at all (the
    ``floor``) missed a speed-up target too, so the machine gave less parallelism than the target
    needs, and futstrat's ``ratio`` is within its overhead allowance of that floor. A ratio whose
    interval misses the target and that is further below the floor is futstrat's own doing and stays
    a plain miss.
    """
    if busy:
        return "the machine was busy"
    if ratio.low is not None and ratio.high is not None and ratio.low <= target <= ratio.high:
        return "its 95% interval holds the target, so this run's spread is wider than the margin judged"
    if floor is None or floor.value >= target or ratio.value * OVERHEAD_ALLOWANCE < floor.value:
        return None
    allowance = f"{OVERHEAD_ALLOWANCE - 1:.0%}"
    return f"hand-written code reached only {floor.value:.3f} in this run, and this is within {allowance} of it"


def exit_code(verdicts: list[Verdict]) -> int:
    """0 when every target is met, 1 when one is missed plainly, 3 when every miss is in doubt."""
    if all(verdict.met for verdict in verdicts):
        return 0
    return 3 if all(verdict.doubt for verdict in verdicts if not verdict.met) else 1


def pi_arguments(doc: str | None, default_repeat: int) -> argparse.Namespace:
    """The options every pi benchmark takes, parsed, with a header line saying what will be measured."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=default_repeat)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--start-method", default=multiprocessing.get_start_method())
    args = parser.parse_args()
    print(
        f"pi, n={args.n:,}, {args.workers} workers, start method {args.start_method},"
        f" Python {sys.version.split()[0]}: {args.repeat} rounds after {args.warmup} warm-up"
    )
    return args
