"""SIGTERM ends a command the way Ctrl-C does: the same clean-up, the same partial results, one line.

``kill``, ``timeout``, systemd and CI cancellation send SIGTERM, whose default action ends futstrat on
the spot and leaves its workers and Manager behind. Here it raises
:class:`~futstrat.interrupts.TerminatedBySignal`, a
``KeyboardInterrupt``, in the main thread, so every path that already handles Ctrl-C (the run ends its
workers, ``compare`` keeps and saves the runs finished so far) handles it too, and only the last line
and the exit code differ.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

from futstrat.interrupts import TerminatedBySignal

#: A process ended by SIGTERM exits with 128 + 15, as the shell reports it.
EXIT_TERMINATED = 128 + signal.SIGTERM


_received = False


def sigterm_received() -> bool:
    """Whether SIGTERM arrived during the current (or last) :func:`sigterm_as_interrupt` block."""
    return _received


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`TerminatedBySignal` in the main thread, once: more
    SIGTERMs while the command cleans up are ignored, so that the clean-up can finish."""
    global _received
    _received = False
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def interrupt(signum: int, frame: object) -> None:
        global _received
        if os.getpid() != owner:
            # A forked child that has not set a handler of its own yet: end as SIGTERM would end it.
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        if not _received:
            _received = True
            raise TerminatedBySignal

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
