"""The ``futstrat`` command's entry point; :mod:`futstrat.cli.app` is the command itself.

A worker process started with ``spawn`` imports the parent's main module, and for the ``futstrat``
command (or ``python -m futstrat``) that is this package. The commands bring most of futstrat with
them, about a quarter of a second of imports, so they load only when the command runs, not in every
worker.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: parse ``argv`` (the command line when None), run the command, return its exit
    code.

    Ctrl-C in the first moments, while the commands are still being imported, ends the command as it
    does later: one line and exit code 130, not a traceback from whichever import it interrupted.
    """
    try:
        from futstrat.cli.app import main as run_command_line

        return run_command_line(argv)
    except KeyboardInterrupt:
        return interrupted_while_starting()


def interrupted_while_starting() -> int:
    """What Ctrl-C during the command's imports prints and returns."""
    print("futstrat: error: interrupted", file=sys.stderr)
    return 130


def build_parser() -> argparse.ArgumentParser:
    from futstrat.cli.app import build_parser as build

    return build()


__all__ = ["build_parser", "main"]
