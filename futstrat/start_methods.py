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
