"""Workloads named by dotted path (``mypkg.mod:thing``), so no plugin is needed for one's own code."""

from __future__ import annotations

import importlib
import inspect
import os
import sys

from futstrat.errors import UsageError
from futstrat.guest import describe_exit, is_guest_exit
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
    except BaseException as exc:
        if not is_guest_exit(exc):
            raise
        # The module's own sys.exit or KeyboardInterrupt: a failed import like any other, not Ctrl-C.
        raise UsageError(
            f"importing {module_name!r} for workload {path!r} failed: it raised {describe_exit(exc)}"
        ) from exc
    target: object = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise UsageError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if isinstance(target, type) and issubclass(target, Workload):
        target = _instance_of(target, path)
    if not isinstance(target, Workload):
        raise UsageError(
            f"{path!r} is a {type(target).__name__}, not a futstrat Workload: subclass futstrat.Workload"
            " or decorate a function with @futstrat.workload"
        )
    return target


def _instance_of(cls: type[Workload], path: str) -> Workload:
    """A workload class named by path, built without arguments (the only way futstrat can build it)."""
    try:
        inspect.signature(cls).bind()
    except TypeError as exc:
        raise UsageError(
            f"workload class {path!r} cannot be built without arguments ({exc}): give them defaults, or make"
            f" an instance in its module (work = {cls.__name__}(...)) and name that"
        ) from None
    except ValueError:  # no signature to read: try it
        pass
    try:
        return cls()
    except Exception as exc:
        raise UsageError(f"building workload {path!r} failed: {type(exc).__name__}: {exc}") from exc
    except BaseException as exc:
        if not is_guest_exit(exc):
            raise
        raise UsageError(f"building workload {path!r} failed: it raised {describe_exit(exc)}") from exc


def _search_current_directory() -> None:
    """Find modules in the current directory, as ``python -m`` does, so that ``futstrat run
    mywork.loads:count`` works from the project folder. It goes last on the path, so a module there
    cannot shadow one futstrat or the standard library needs. Worker processes inherit the path:
    spawn and forkserver hand the parent's ``sys.path`` to the processes they start."""
    here = os.getcwd()
    if not any(os.path.abspath(entry or os.curdir) == here for entry in sys.path):
        sys.path.append(here)
