"""Workloads named by dotted path (``mypkg.mod:thing``), so no plugin is needed for one's own code."""

from __future__ import annotations

import importlib
import os
import sys

from futstrat.errors import UsageError
from futstrat.model import Workload


def load_workload(path: str) -> Workload:
    """Import ``module:attribute`` and return the Workload it names (an instance, or a class to build)."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(f"a workload path looks like package.module:name, not {path!r}")
    _search_current_directory()
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise UsageError(
                f"cannot import {module_name!r} for workload {path!r}: no module named {exc.name!r}"
                " (is it installed, or below the current directory, or is its folder on PYTHONPATH?)"
            ) from None
        raise UsageError(f"importing {module_name!r} for workload {path!r} failed: {exc}") from exc
    except Exception as exc:
        raise UsageError(
            f"importing {module_name!r} for workload {path!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    target: object = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise UsageError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if isinstance(target, type) and issubclass(target, Workload):
        target = target()
    if not isinstance(target, Workload):
        raise UsageError(
            f"{path!r} is a {type(target).__name__}, not a futstrat Workload: subclass futstrat.Workload"
            " or decorate a function with @futstrat.workload"
        )
    return target


def _search_current_directory() -> None:
    """Find modules in the current directory, as ``python -m`` does, so that ``futstrat run
    mywork.loads:count`` works from the project folder. It goes last on the path, so a module there
    cannot shadow one futstrat or the standard library needs. Worker processes inherit the path:
    spawn and forkserver hand the parent's ``sys.path`` to the processes they start."""
    here = os.getcwd()
    if not any(os.path.abspath(entry or os.curdir) == here for entry in sys.path):
        sys.path.append(here)
