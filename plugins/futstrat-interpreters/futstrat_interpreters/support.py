"""Which PEP 734 ``interpreters`` module this Python offers, or why there is none.

Subinterpreters with a GIL each arrived in Python 3.12, but the module that makes them usable from
Python code did not: 3.14 ships it as ``concurrent.interpreters`` and, for 3.13, the
``backports-interpreters`` distribution provides the same API as ``backports.interpreters``. Older
Pythons get a reason instead of an import error, so the plugin still loads and can say why the strategy
is unavailable.
"""

from __future__ import annotations

import functools
import importlib
import sys
from types import ModuleType

#: The first Python whose subinterpreters this plugin runs tasks on (3.12's lack the modules it needs).
MINIMUM_PYTHON = (3, 13)
#: Where the PEP 734 API lives, best first.
API_MODULES = ("concurrent.interpreters", "backports.interpreters")
BACKPORT_DISTRIBUTION = "backports-interpreters"


def _this_python() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])


@functools.cache
def find_api() -> tuple[ModuleType | None, str | None]:
    """The interpreters module, or None and the reason it cannot be had, in one sentence."""
    if sys.version_info < MINIMUM_PYTHON:
        return None, (
            f"subinterpreters need Python {MINIMUM_PYTHON[0]}.{MINIMUM_PYTHON[1]} or newer"
            f" (a GIL per interpreter and the PEP 734 API); this is Python {_this_python()}"
        )
    problems = []
    for name in API_MODULES:
        try:
            return importlib.import_module(name), None
        except ImportError as exc:
            problems.append(f"{name}: {exc}")
    return None, (
        f"no PEP 734 interpreters module on Python {_this_python()}: install {BACKPORT_DISTRIBUTION}"
        f" ({'; '.join(problems)})"
    )


def unavailable_reason() -> str | None:
    """None when subinterpreters can run tasks here, else why not."""
    return find_api()[1]
