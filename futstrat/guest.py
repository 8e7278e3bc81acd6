"""Telling a ``SystemExit`` or ``KeyboardInterrupt`` that user or plugin code raised from a signal's.

A workload's ``combine`` that calls ``sys.exit(0)`` must not end futstrat with exit code 0, and one that
raises ``KeyboardInterrupt`` must not look like the user's Ctrl-C: both are a failure of that code,
reported by name like any exception it raises. The user's real Ctrl-C raises
:class:`futstrat.interrupts.UserInterrupt` and passes through.
"""

from __future__ import annotations

from futstrat.interrupts import RAISED_BY_SIGNALS


def describe_exit(raised: BaseException) -> str:
    """``SystemExit(0)``, ``KeyboardInterrupt()``: short, with the code ``sys.exit`` was given."""
    text = repr(raised)
    return text if len(text) <= 80 else text[:77] + "..."


def is_guest_exit(raised: BaseException) -> bool:
    """A ``SystemExit`` or ``KeyboardInterrupt`` that code raised itself, not one from a signal."""
    return isinstance(raised, (SystemExit, KeyboardInterrupt)) and not isinstance(raised, RAISED_BY_SIGNALS)
