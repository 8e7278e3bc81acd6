"""``futstrat plugins``: every plugin, where it comes from, its hooks and any load error.

It exits with 1 when a plugin (or one of its names) was skipped, so that a script can check that the
installed plugins all load.
"""

from __future__ import annotations

import argparse
from typing import Any

EXIT_OK, EXIT_PLUGIN_PROBLEM = 0, 1


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plugins",
        help="list plugins, their hooks and load errors",
        description=(
            "List every plugin with its distribution, version and hooks, and why any was skipped. Exits with"
            " 1 when a plugin, or a name it registers, was skipped."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of each plugin that failed"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from futstrat.cli.output import print_json, table
    from futstrat.plugins import ALLOW_ENV, get_host

    plugins = get_host().plugins
    code = EXIT_PLUGIN_PROBLEM if any(info.has_problem for info in plugins) else EXIT_OK
    if args.json:
        print_json([info.to_dict() for info in plugins])
        return code
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
    for info in plugins:
        if info.error is not None:
            print(f"\nplugin {info.name!r} ({info.module}) was skipped:\n  {info.error}")
            if info.traceback and getattr(args, "debug", False):
                print("  " + info.traceback.rstrip("\n").replace("\n", "\n  "))
        if info.skipped_names:
            print(f"\nplugin {info.name!r} ({info.module}) loaded, but not all of its names are used:")
            print("\n".join(f"  {skipped}" for skipped in info.skipped_names))
    print(f"\n{ALLOW_ENV}=name,... limits which entry-point plugins load.")
    return code
