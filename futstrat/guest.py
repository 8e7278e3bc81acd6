"""Calling plugin code, whose ``SystemExit`` or ``KeyboardInterrupt`` is its own failure.

A workload's ``combine`` that calls ``sys.exit(0)`` must not end futstrat with exit code 0, and one that
raises ``KeyboardInterrupt`` must not look like the user's Ctrl-C: both are a failure of that code,
reported by name like any exception it raises. The user's real Ctrl-C raises
:class:`futstrat.interrupts.UserInterrupt` and passes through.
"""

from __future__ import annotations

from types import TracebackType

from futstrat.errors import FutstratError
from futstrat.interrupts import RAISED_BY_SIGNALS


class GuestExitError(FutstratError):
    """Plugin code raised ``SystemExit`` or ``KeyboardInterrupt``; ``what`` names the code and
    ``raised`` is what it raised."""

    def __init__(self, what: str, raised: BaseException) -> None:
        self.what, self.raised = what, raised
        super().__init__(f"{what} raised {describe_exit(raised)}")


def describe_exit(raised: BaseException) -> str:
    """``SystemExit(0)``, ``KeyboardInterrupt()``: short, with the code ``sys.exit`` was given."""
    text = repr(raised)
    return text if len(text) <= 80 else text[:77] + "..."


def is_guest_exit(raised: BaseException) -> bool:
    """A ``SystemExit`` or ``KeyboardInterrupt`` that code raised itself, not one from a signal."""
    return isinstance(raised, (SystemExit, KeyboardInterrupt)) and not isinstance(raised, RAISED_BY_SIGNALS)


class guest_code:
    """Run plugin code (a hook): its own ``SystemExit`` or ``KeyboardInterrupt`` becomes
    ``GuestExitError``. A workload's own code goes through :func:`futstrat.user_code.user_code`, which
    keeps its traceback too."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        pass

    def __exit__(
        self, kind: type[BaseException] | None, raised: BaseException | None, tb: TracebackType | None
    ) -> None:
        if raised is not None and is_guest_exit(raised):
            raise GuestExitError(self.what, raised) from raised
