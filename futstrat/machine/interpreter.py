"""Whether this Python is a free-threaded build, and whether its GIL is on all the same.

A free-threaded build (3.13t, 3.14t) runs threads in parallel only while its GIL stays off: ``PYTHON_GIL=1``,
``-X gil=1`` or an extension module that does not declare itself safe turns it back on. The build alone
does not say which happened, so both are recorded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from attrs import frozen


@frozen
class InterpreterThreading:
    free_threaded_build: bool
    gil_enabled: bool

    def describe(self) -> str:
        if not self.free_threaded_build:
            return "GIL build"
        if self.gil_enabled:
            return "free-threaded build with the GIL on (PYTHON_GIL=1, -X gil=1 or an extension turned it on)"
        return "free-threaded build, GIL off"

    def to_dict(self) -> dict[str, bool]:
        return {"free_threaded_build": self.free_threaded_build, "gil_enabled": self.gil_enabled}


def _config_var(name: str) -> object:
    import sysconfig  # only when asked: it is not small

    return sysconfig.get_config_var(name)


def read_interpreter_threading(
    config_var: Callable[[str], object] = _config_var, is_gil_enabled: Callable[[], bool] | None = None
) -> InterpreterThreading:
    """The build's flag ``Py_GIL_DISABLED`` beside ``sys._is_gil_enabled()`` (3.13+; on if absent)."""
    check = is_gil_enabled if is_gil_enabled is not None else getattr(sys, "_is_gil_enabled", None)
    return InterpreterThreading(
        free_threaded_build=bool(config_var("Py_GIL_DISABLED")),
        gil_enabled=bool(check()) if check is not None else True,
    )
