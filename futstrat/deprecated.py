"""Old public names that still work, each with one warning that says what replaces it.

A plugin written against an earlier futstrat keeps loading; its author learns the new name from the
warning (shown by pytest, and by ``python -W default``) instead of from a broken import.
"""

from __future__ import annotations

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
        warnings.warn(f"futstrat.{old} is deprecated; use futstrat.{new}", DeprecationWarning, stacklevel=3)
    return module[new]
