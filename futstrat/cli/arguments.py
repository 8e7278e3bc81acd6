"""The types of the command line's values, shared by the commands: each says what it expected.

They live apart from any command so that a command that only reads a file name (``diff``) does not
import another command's module, and with it the runner.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from futstrat.numbers import parse_real, parse_whole
from futstrat.options import MAX_TIMEOUT_SECONDS


def whole_number_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type for whole numbers from ``minimum`` up, with a message that says so."""
    bound = "0 or more" if minimum == 0 else f"at least {minimum}"

    def parse(text: str) -> int:
        try:
            value = parse_whole(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number in ASCII digits, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


positive_int = whole_number_at_least(1)


def positive_seconds(text: str) -> float:
    try:
        value = parse_real(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    if value > MAX_TIMEOUT_SECONDS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_TIMEOUT_SECONDS:,.0f} seconds (a year), got {text}")
    return value


def file_name(text: str) -> str:
    """An argparse type for a file to write or read: an empty name is a mistake, not "no file"."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a file name, got {text!r}")
    return text


def chunk_size(text: str) -> int | None:
    """``auto`` (None: a pilot chooses) or a whole number of tasks per chunk."""
    if text.strip().lower() == "auto":
        return None
    return positive_int(text)
