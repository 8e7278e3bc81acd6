"""Domain errors. The CLI maps ``UsageError`` to exit code 2 and prints only its message."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from futstrat.engine.workers import StandInTaskError

if TYPE_CHECKING:
    from futstrat.model import Task


class FutstratError(Exception):
    """Base class of every error futstrat raises on purpose."""


class UsageError(FutstratError):
    """The user asked for something that cannot be done as asked; the message says what to do."""


class UnknownNameError(UsageError, LookupError):
    """A workload, strategy, sharing backend or parameter name that is not registered.

    ``reason`` says why the name is missing when that is known (its plugin was skipped, two plugins
    registered it); ``note`` adds what may explain it (a skipped plugin that might have offered it).
    """

    def __init__(
        self, kind: str, name: str, known: Iterable[str], owner: str = "", *, reason: str = "", note: str = ""
    ) -> None:
        self.kind, self.name, self.reason = kind, name, reason
        self.known = sorted(known)
        import difflib  # only a mistyped name needs it

        close = difflib.get_close_matches(name, self.known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close and not reason else ""
        listing = ", ".join(self.known) if self.known else "none"
        where = f" of {owner}" if owner else ""
        why = f": {reason}" if reason else ""
        more = f"; {note}" if note else ""
        super().__init__(f"unknown {kind} {name!r}{where}{why}{hint} (known: {listing}){more}")


class ParamError(UsageError, ValueError):
    """A workload parameter that is malformed or out of range."""


class RefusedError(UsageError):
    """A workload x strategy x sharing combination that cannot work; ``reasons`` says why.

    ``sharing`` is None when no sharing backend was named and none of the workload's preferred ones
    would do (each of those refusals is then one of the reasons).
    """

    def __init__(self, workload: str, strategy: str, sharing: str | None, reasons: list[str]) -> None:
        self.workload, self.strategy, self.sharing, self.reasons = workload, strategy, sharing, reasons
        super().__init__(f"{self.combination} is refused: " + "; ".join(reasons))

    @property
    def combination(self) -> str:
        """The combination as the user reads it: ``pi x process x value``."""
        names = (self.workload, self.strategy) if self.sharing is None else (self.workload, self.strategy, self.sharing)
        return " x ".join(names)


class DuplicateNameError(FutstratError):
    """Two plugins registered the same name for the same kind of thing."""


class PluginError(FutstratError):
    """A plugin failed to load or register (raised only in strict mode; otherwise reported)."""


# The ways a run fails. The engine raises them; the runner turns each into a report in words.


class RunTimedOutError(FutstratError):
    """The watchdog's deadline passed."""


class TaskFailedError(FutstratError):
    """A task raised, or the executor lost the worker running it."""

    def __init__(self, index: int | None, task: Task | None, error: BaseException) -> None:
        from futstrat.model import describe_call

        self.index, self.task, self.error = index, task, error
        where = "a task" if index is None else f"task {index}"
        if task is not None:
            where += f" ({describe_call(task)})"
        kind = error.type_name if isinstance(error, StandInTaskError) else type(error).__name__
        message = str(error)
        super().__init__(f"{where} raised {kind}: {message}" if message else f"{where} raised {kind}")

    @property
    def remote_traceback(self) -> str | None:
        """The traceback from the worker process, when the executor carried it back."""
        if isinstance(self.error, StandInTaskError):
            return self.error.worker_traceback.strip()
        cause = self.error.__cause__
        text = getattr(cause, "tb", None) or (str(cause) if cause is not None else None)
        return text.strip() if isinstance(text, str) else None


class DeadlockFoundError(FutstratError):
    """Tasks wait on each other's futures in a cycle; ``cycle`` lists their indexes."""

    def __init__(self, cycle: list[int], description: str) -> None:
        self.cycle = cycle
        super().__init__(description)


class UnpicklableTaskError(FutstratError):
    """A task cannot be sent to a worker process."""
