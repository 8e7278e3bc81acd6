"""What can go wrong when a task crosses into a subinterpreter and back, as exception types."""

from __future__ import annotations

import pickle
from concurrent.futures import BrokenExecutor


class InterpretersUnavailableError(RuntimeError):
    """This Python cannot run tasks on subinterpreters; the message says why."""


class BrokenInterpreterPoolError(BrokenExecutor):
    """A worker's interpreter could not be started or prepared: the pool takes no more tasks."""


class TaskPicklingError(pickle.PicklingError):
    """A task, its arguments or its result could not be pickled to cross between interpreters."""


class TaskImportError(ImportError):
    """A task arrived in a subinterpreter but could not be unpickled there (its module or name is missing)."""


class TaskError(Exception):
    """A task raised an exception that could not come back as itself; the message names the original."""


class RemoteTraceback(Exception):
    """The traceback of a task's exception, as text from the subinterpreter that ran it.

    Set as the ``__cause__`` of the exception a future raises, like ``ProcessPoolExecutor`` does, so the
    traceback printed in the caller shows where the task failed.
    """

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return self.tb
