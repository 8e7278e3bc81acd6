"""``futstrat diff OLD.json NEW.json``: what got faster or slower between two saved comparisons."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from futstrat.cli.gates import (
    add_gate_option,
    add_markdown_option,
    check_markdown_target,
    gate_exit_code,
    gate_of,
    print_gate,
)
from futstrat.cli.output import fail, inform
from futstrat.measure import FIGURES
from futstrat.report.diff import diff_runs, render_diff
from futstrat.report.files import write_atomically
from futstrat.report.jsonfile import load_json
from futstrat.report.markdown import diff_markdown
from futstrat.report.terminal import Styler, is_terminal, terminal_width


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="show what got faster or slower between two saved comparisons",
        description=(
            "Set each combination of NEW against OLD (files written by 'futstrat compare --json') as a"
            " ratio of medians with a bootstrap interval; under 5% or an interval holding 1 is no change."
            " With --fail-if-slower, exit 1 when a combination of OLD is significantly slower in NEW by"
            " more than the share given, missing from NEW, or failing in it."
        ),
    )
    parser.add_argument("old", metavar="OLD.json")
    parser.add_argument("new", metavar="NEW.json")
    parser.add_argument("--by", choices=FIGURES, help="the time to compare (default: the one both files ranked by)")
    add_gate_option(parser, "in OLD")
    add_markdown_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    old, new = load_json(args.old), load_json(args.new)
    if args.markdown:
        check_markdown_target(args.markdown)
    diff = diff_runs(old, new, args.by, names=(Path(args.old).stem, Path(args.new).stem))
    gate = gate_of(diff, args)
    styler = Styler.for_stream(sys.stdout) if is_terminal(sys.stdout) else None
    print(render_diff(diff, styler, terminal_width(sys.stdout)))
    print_gate(gate)
    written = True
    if args.markdown:
        sys.stdout.flush()  # what is said about the file comes after the table
        try:
            write_atomically(args.markdown, diff_markdown(diff, gate))
        except OSError as exc:
            fail(f"cannot write {args.markdown}: {exc.strerror or exc}")
            written = False
        else:
            inform(f"wrote {args.markdown}")
    code = gate_exit_code(gate)
    return code or (0 if written else 1)
