"""Old public names that still work, each with one warning that says what replaces it.

A plugin written against an earlier futstrat keeps loading; its author learns the new name from the
warning (shown by pytest, and by ``python -W default``) instead of from a broken import.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

#: Each old name and the name that replaces it, in the module that defines both.
RENAMED = {"ExecutorSpec": "StrategySpec"}

_warned: set[str] = set()


def renamed(module: dict[str, Any], old: str) -> Any:
    """The object ``old`` now goes by, found in ``module`` (a module's globals), warning the first time."""
    new = RENAMED[old]
    if old not in _warned:
        _warned.add(old)
        warnings.warn(
            f"futstrat.{old} is deprecated; use futstrat.{new}", DeprecationWarning, stacklevel=_outside_futstrat()
        )
    return module[new]


def _outside_futstrat() -> int:
    """The stack level of the first frame that is neither futstrat's nor the import system's: the line
    of the user's code that named the old name, which is where the warning should point."""
    frame, level = sys._getframe(2), 2  # level 1 is renamed(), which calls warnings.warn
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(("futstrat", "importlib")):
        frame, level = frame.f_back, level + 1
    return level
