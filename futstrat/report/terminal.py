"""Writing for a terminal: colours when they are wanted, box characters it can show, a progress bar.

Whether to colour follows the usual conventions: only on a terminal, never with ``NO_COLOR`` set or
``TERM=dumb``. Nothing here is written to a pipe, so redirected output stays plain text.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import TextIO

from attrs import frozen

from futstrat.measure.contenders import Contender
from futstrat.measure.trials import Trial

_STYLES = {
    "bold": "1",
    "dim": "2",
    "good": "1;32",
    "bad": "31",
    "warn": "33",
    "": "",
}
_RESET = "\x1b[0m"


@frozen
class BoxCharacters:
    horizontal: str
    vertical: str
    top: tuple[str, str, str]
    middle: tuple[str, str, str]
    bottom: tuple[str, str, str]


UNICODE_BOX = BoxCharacters("─", "│", ("┌", "┬", "┐"), ("├", "┼", "┤"), ("└", "┴", "┘"))
ASCII_BOX = BoxCharacters("-", "|", ("+", "+", "+"), ("+", "+", "+"), ("+", "+", "+"))


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def wants_colour(stream: TextIO) -> bool:
    return is_terminal(stream) and "NO_COLOR" not in os.environ


def can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def terminal_width(stream: TextIO) -> int | None:
    if not is_terminal(stream):
        return None
    return shutil.get_terminal_size((100, 24)).columns


@frozen
class Styler:
    """Paints text with ANSI styles, or leaves it alone when colour is off."""

    colour: bool
    box: BoxCharacters = ASCII_BOX

    @classmethod
    def for_stream(cls, stream: TextIO) -> Styler:
        box = UNICODE_BOX if can_encode(stream, "┌─│█") else ASCII_BOX
        return cls(wants_colour(stream), box)

    def paint(self, text: str, style: str) -> str:
        code = _STYLES.get(style, "")
        if not self.colour or not code or not text:
            return text
        return f"\x1b[{code}m{text}{_RESET}"


def clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """One line on a terminal, redrawn before and after each run: done of total, the run, time left.

    It draws only between runs, from the measuring thread, so no thread of its own runs while worker
    processes are forked.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 24) -> None:
        self.stream = stream or sys.stderr
        self.bar_width = width
        self.started = time.monotonic()
        self.fill, self.empty = ("█", "░") if can_encode(self.stream, "█░") else ("#", "-")
        self.drawn = False

    def trial_starting(self, contender: Contender, warmup: bool, done: int, total: int) -> None:
        what = f"{contender.strategy} x {contender.sharing}" + (" (warm-up)" if warmup else "")
        self._draw(done, total, what)

    def trial_finished(self, trial: Trial, done: int, total: int) -> None:
        self._draw(done, total, "" if trial.ok else f"{trial.contender.strategy}: {trial.report.status.value}")

    def _draw(self, done: int, total: int, what: str) -> None:
        elapsed = time.monotonic() - self.started
        filled = round(self.bar_width * done / total) if total else self.bar_width
        bar = self.fill * filled + self.empty * (self.bar_width - filled)
        left = f", ~{clock(elapsed / done * (total - done))} left" if done else ""
        line = f"{bar} {done}/{total} runs  {clock(elapsed)} elapsed{left}  {what}"
        width = shutil.get_terminal_size((100, 24)).columns - 1
        self.stream.write("\r\x1b[2K" + line[:width])
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Erase the bar so the table starts on a clean line."""
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.drawn = False
