"""Small helpers the subcommands share for writing to the terminal."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any


def fail(message: str) -> None:
    print(f"futstrat: error: {message}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"futstrat: warning: {message}", file=sys.stderr)


def inform(message: str) -> None:
    print(message, file=sys.stderr)


def keep_elsewhere_and_say(text: str, prefix: str) -> tuple[Callable[[str], None], str]:
    """After a report file could not be written, keep its JSON under a fresh name; what to say about it."""
    from futstrat.report.files import keep_elsewhere

    kept = keep_elsewhere(text, prefix, ".json")
    if kept is None:
        return fail, "the results could not be saved anywhere else either (tried the current and the temporary folder)"
    return warn, f"the results are kept in {kept} instead"


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def warn_about_plugin_problems(*, debug: bool = False) -> None:
    """One warning line per problem of a plugin; ``debug`` adds the traceback of a plugin that raised."""
    from futstrat.plugins import get_host

    for info in get_host().problems:
        for line in info.problem_lines():
            warn(f"{line} (see 'futstrat plugins')")
        if debug and info.traceback:
            print(info.traceback, end="", file=sys.stderr)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain text table: no colours or control codes, so it reads the same in a pipe."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    lines += ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)
