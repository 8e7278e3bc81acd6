"""The traceback of an exception raised by a workload's own code, with futstrat's frames left out.

A user whose ``combine`` raises wants to see their file and line, not the runner's. The frames of the
futstrat package are dropped; the standard library's are kept in the traceback (they say what was
called) but never named as the place the error came from.
"""

from __future__ import annotations

import contextlib
import functools
import os
import traceback
from collections.abc import Iterator
from pathlib import Path

from futstrat.errors import FutstratError
from futstrat.guest import describe_exit, is_guest_exit

_FUTSTRAT_DIR = str(Path(__file__).resolve().parent) + os.sep


@functools.cache
def _library_dirs() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The standard library's folders and the installed packages' folders, found when a traceback is
    first looked at: ``sysconfig`` is not small, and a run that goes well never needs it."""
    import sysconfig

    def folders(*names: str) -> tuple[str, ...]:
        return tuple({str(Path(sysconfig.get_paths()[name]).resolve()) + os.sep for name in names})

    return folders("stdlib", "platstdlib"), folders("purelib", "platlib")


class UserCodeError(Exception):
    """A workload's own code raised in the parent process: in ``items``, ``tasks``, ``combine`` or
    ``check``. Carries the phase, so the report can say which of them it was. Its ``SystemExit`` or
    ``KeyboardInterrupt`` is such a failure too: never futstrat's exit code, never the user's Ctrl-C."""

    def __init__(self, phase: str, error: BaseException) -> None:
        self.phase, self.error = phase, error
        raised = describe_exit(error) if is_guest_exit(error) else f"{type(error).__name__}: {error}"
        super().__init__(f"{phase} raised {raised}")

    @property
    def traceback(self) -> str:
        return user_traceback(self.error)


@contextlib.contextmanager
def user_code(phase: str) -> Iterator[None]:
    """Run a workload's own code in the parent: what it raises becomes a ``UserCodeError`` naming
    ``phase``; futstrat's own errors and the signals' interruptions pass untouched."""
    try:
        yield
    except (FutstratError, UserCodeError):
        raise
    except Exception as exc:
        raise UserCodeError(phase, exc) from None
    except BaseException as exc:
        if not is_guest_exit(exc):
            raise
        raise UserCodeError(phase, exc) from None


def _is_futstrat(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_FUTSTRAT_DIR) or filename.startswith(_FUTSTRAT_DIR)


def _user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    return [frame for frame in traceback.extract_tb(error.__traceback__) if not _is_futstrat(frame.filename)]


def user_traceback(error: BaseException) -> str:
    """The traceback of ``error`` from the first frame outside futstrat, ending with the error itself."""
    frames = _user_frames(error)
    text = "".join(traceback.format_exception_only(type(error), error))
    if frames:
        text = "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames)) + text
    cause = error.__cause__
    if cause is not None and cause is not error:
        text = (
            f"{user_traceback(cause)}\n\nThe above exception was the direct cause of the following exception:\n\n{text}"
        )
    return text.rstrip()


def last_user_frame(error: BaseException) -> str | None:
    """``file:line`` of the innermost frame of the user's own code (neither futstrat nor the standard
    library), the file relative to the current directory when it is below it; None if there is none."""
    for frame in reversed(_user_frames(error)):
        path = os.path.abspath(frame.filename)
        stdlib_dirs, installed_dirs = _library_dirs()
        in_stdlib = path.startswith(stdlib_dirs) and not path.startswith(installed_dirs)
        if in_stdlib or frame.filename.startswith("<"):
            continue
        try:
            shown = os.path.relpath(path)
        except ValueError:
            shown = path
        if shown.startswith(".."):
            shown = path
        return f"{shown}:{frame.lineno}"
    return None
