"""``futstrat plugins``: every plugin, where it comes from, its hooks and any load error."""

from __future__ import annotations

import argparse
from typing import Any

from futstrat.cli.output import print_json, table
from futstrat.plugins import ALLOW_ENV, get_host


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("plugins", help="list plugins, their hooks and load errors")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    plugins = get_host().plugins
    if args.json:
        print_json([info.to_dict() for info in plugins])
        return 0
    rows = [
        [
            info.name,
            f"{info.distribution} {info.version}",
            "built-in" if info.builtin else "entry point",
            ", ".join(h.removeprefix("futstrat_") for h in info.hooks) or "-",
        ]
        for info in plugins
    ]
    print(table(rows, ["plugin", "distribution", "source", "hooks"]))
    problems = [info for info in plugins if info.error]
    for info in problems:
        print(f"\nplugin {info.name!r} ({info.module}) was skipped:\n  {info.error}")
    print(f"\n{ALLOW_ENV}=name,... limits which entry-point plugins load.")
    return 0
