"""Say which part of a task cannot travel to a worker process, before the executor hides it."""

from __future__ import annotations

from multiprocessing.reduction import ForkingPickler

from futstrat.model import Task


def _describe(value: object) -> str:
    name = getattr(value, "__qualname__", None) or type(value).__name__
    return f"{name!r}"


def unpicklable_part(task: Task) -> str | None:
    """None when the task pickles; otherwise which part does not, and why, in words."""
    try:
        ForkingPickler.dumps((task.fn, task.args))
    except Exception:
        pass
    else:
        return None
    try:
        ForkingPickler.dumps(task.fn)
    except Exception as exc:
        hint = ""
        if "<lambda>" in repr(task.fn) or "<locals>" in getattr(task.fn, "__qualname__", ""):
            hint = "; define it at module level so that workers can import it by name"
        return f"its function {_describe(task.fn)} cannot be pickled ({type(exc).__name__}: {exc}){hint}"
    for position, argument in enumerate(task.args, start=1):
        try:
            ForkingPickler.dumps(argument)
        except Exception as exc:
            return (
                f"its argument {position} ({type(argument).__name__}) cannot be pickled ({type(exc).__name__}: {exc})"
            )
    return "it cannot be pickled"
