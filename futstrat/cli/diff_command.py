"""``futstrat diff OLD.json NEW.json``: what got faster or slower between two saved comparisons."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from futstrat.measure import FIGURES
from futstrat.report.diff import diff_runs, render_diff
from futstrat.report.jsonfile import load_json
from futstrat.report.terminal import Styler, is_terminal, terminal_width


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="show what got faster or slower between two saved comparisons",
        description=(
            "Set each combination of NEW against OLD (files written by 'futstrat compare --json') as a"
            " ratio of medians with a bootstrap interval; under 5% or an interval holding 1 is no change."
        ),
    )
    parser.add_argument("old", metavar="OLD.json")
    parser.add_argument("new", metavar="NEW.json")
    parser.add_argument("--by", choices=FIGURES, help="the time to compare (default: the one both files ranked by)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    old, new = load_json(args.old), load_json(args.new)
    diff = diff_runs(old, new, args.by, names=(Path(args.old).stem, Path(args.new).stem))
    styler = Styler.for_stream(sys.stdout) if is_terminal(sys.stdout) else None
    print(render_diff(diff, styler, terminal_width(sys.stdout)))
    return 0
