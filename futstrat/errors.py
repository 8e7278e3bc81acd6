"""Domain errors. The CLI maps ``UsageError`` to exit code 2 and prints only its message."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class FutstratError(Exception):
    """Base class of every error futstrat raises on purpose."""


class UsageError(FutstratError):
    """The user asked for something that cannot be done as asked; the message says what to do."""


class UnknownNameError(UsageError, LookupError):
    """A workload, strategy, sharing backend or parameter name that is not registered."""

    def __init__(self, kind: str, name: str, known: Iterable[str], owner: str = "") -> None:
        self.kind, self.name = kind, name
        self.known = sorted(known)
        close = difflib.get_close_matches(name, self.known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        listing = ", ".join(self.known) if self.known else "none"
        where = f" of {owner}" if owner else ""
        super().__init__(f"unknown {kind} {name!r}{where}{hint} (known: {listing})")


class ParamError(UsageError, ValueError):
    """A workload parameter that is malformed or out of range."""


class RefusedError(UsageError):
    """A workload x strategy x sharing combination that cannot work; ``reasons`` says why."""

    def __init__(self, combination: str, reasons: list[str]) -> None:
        self.combination, self.reasons = combination, reasons
        super().__init__(f"{combination} is refused: " + "; ".join(reasons))


class DuplicateNameError(FutstratError):
    """Two plugins registered the same name for the same kind of thing."""


class PluginError(FutstratError):
    """A plugin failed to load or register (raised only in strict mode; otherwise reported)."""
