"""``futstrat compare --workers 1,2,4``: the parts of compare that make a worker sweep of it.

One worker count keeps compare exactly as it was; several (or ``--scale-size``) make every strategy x
sharing x worker count a contender, and add the speed-ups, efficiencies and fitted laws to the report.
"""

from __future__ import annotations

import argparse
from typing import Any

from futstrat.measure.analysis import Comparison
from futstrat.measure.contenders import Contender
from futstrat.measure.sweep import Sweep, measured_sweep, parse_worker_counts, plan_sweep, sweep_counts


def worker_counts(text: str) -> tuple[int, ...]:
    """An argparse type for ``--workers``: one count, a list ``1,2,4`` or a range ``1..8``."""
    try:
        return parse_worker_counts(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_sweep_options(parser: argparse.ArgumentParser) -> None:
    """Let ``--workers`` take several counts, and add ``--scale-size``."""
    for action in parser._actions:
        if action.dest == "workers":
            action.type = worker_counts
            action.metavar = "N|A,B,..|A..B"
            action.help = "workers (default: usable CPUs); several, like 1,2,4 or 1..8, make a scaling sweep"
    parser.add_argument(
        "--scale-size",
        action="store_true",
        help=(
            "in a sweep, multiply the workload's size (its first whole-number parameter) by the workers,"
            " and fit Gustafson's law instead of Amdahl's"
        ),
    )


def take_worker_counts(args: argparse.Namespace) -> tuple[int, ...] | None:
    """The counts of a sweep, or None for a plain comparison; leaves ``args.workers`` a plain count or None.

    ``--workers 4`` is one count, as ``workers=4`` is from Python: a plain comparison unless ``--scale-size``.
    """
    given: tuple[int, ...] | None = args.workers
    one = given[0] if given is not None and len(given) == 1 else None
    counts = sweep_counts(one if one is not None else given, scale_size=args.scale_size)
    args.workers = one if counts is None else None
    return counts


def plan_sweep_of(args: argparse.Namespace, counts: tuple[int, ...], **planning: Any) -> list[Contender]:
    return plan_sweep(
        args.workload,
        planning["strategies"],
        planning["sharing"],
        counts,
        params=planning["params"],
        options=planning["options"],
        scale_size=args.scale_size,
    )


def sweep_of(args: argparse.Namespace, comparison: Comparison, counts: tuple[int, ...], data: dict[str, Any]) -> Sweep:
    """Analyse the sweep as ``futstrat.measure.compare`` does and put it, with how it was asked for, into
    the JSON ``data``."""
    sweep = measured_sweep(comparison, counts, scale_size=args.scale_size)
    data["settings"]["workers"] = list(counts)
    data["settings"]["scale_size"] = args.scale_size
    data["sweep"] = sweep.to_dict()
    return sweep
