"""The start method a run uses, chosen without fixing the program's global one.

``multiprocessing.get_start_method()`` and ``multiprocessing.get_context()`` with no argument settle the
process-wide default as a side effect, after which the user's own ``set_start_method()`` raises
"context has already been set". futstrat only ever reads the default and passes a context explicitly.
"""

from __future__ import annotations

import multiprocessing
from typing import Any


def start_method_or_default(method: str | None) -> str:
    """``method``, or the one the program has set, or the platform's default: never fixing any of them."""
    if method is not None:
        return method
    return multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]


def process_context(method: str | None) -> Any:
    """The multiprocessing context for ``method`` (the default when None), asked for by name."""
    return multiprocessing.get_context(start_method_or_default(method))


def resolve_start_method(requested: str | None, supported: tuple[str, ...] | None) -> str:
    """The one start method a run uses: ``requested``, else the default when ``supported`` allows it.

    When the default is not among the methods a strategy declares, the first declared method this
    platform offers is chosen instead, so that such a strategy runs without being told; a method the
    user named is never replaced (the runner refuses it with the reason when it is not supported).
    """
    if requested is not None:
        return requested
    default = start_method_or_default(None)
    if supported is None or default in supported:
        return default
    offered = multiprocessing.get_all_start_methods()
    return next((method for method in supported if method in offered), default)
