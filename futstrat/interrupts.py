"""Telling the user's Ctrl-C apart from a ``KeyboardInterrupt`` that user code raises itself.

Python turns Ctrl-C into ``KeyboardInterrupt``, and code can raise the same exception itself. futstrat
must stop for the first (exit code 130) and report the second as a failure of the code that raised it.
So while a command runs, Ctrl-C raises ``UserInterrupt``, a subclass: a plain ``KeyboardInterrupt``
coming out of a workload or a plugin is that code's doing (see :mod:`futstrat.guest`).

Imports only :mod:`futstrat.engine.workers` (the standard library's small parts), so that worker-side code may
use it at no cost.
"""

from __future__ import annotations

import signal
import threading

from futstrat.engine.workers import PassesThroughTasks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType


class UserInterrupt(KeyboardInterrupt, PassesThroughTasks):
    """The user pressed Ctrl-C (SIGINT reached the process): futstrat stops, with exit code 130. Raised
    into a task that runs in the calling thread, it passes through the task instead of failing it."""


class TerminatedBySignal(KeyboardInterrupt, PassesThroughTasks):
    """SIGTERM arrived while a command ran: it ends as Ctrl-C does, with exit code 143
    (see :mod:`futstrat.cli.termination`)."""


#: What futstrat's own signal handlers raise. Guest code's ``SystemExit`` or ``KeyboardInterrupt`` is its
#: failure; these are not, whatever code was running when the signal came.
RAISED_BY_SIGNALS: tuple[type[BaseException], ...] = (UserInterrupt, TerminatedBySignal)


def _raise_user_interrupt(signum: int, frame: FrameType | None) -> None:
    raise UserInterrupt


class ctrl_c_raises_user_interrupt:
    """While in this block, Ctrl-C raises ``UserInterrupt``; after it, whatever Ctrl-C did before.

    Only in the main thread (the one place a signal handler can be set) and only over Python's own
    handler: a program that handles SIGINT itself keeps its handler.
    """

    def __init__(self) -> None:
        self._previous: object = None

    def __enter__(self) -> None:
        in_main_thread = threading.current_thread() is threading.main_thread()
        if in_main_thread and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, _raise_user_interrupt)

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
            self._previous = None
