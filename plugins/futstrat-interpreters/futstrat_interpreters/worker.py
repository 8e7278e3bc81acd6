"""One subinterpreter, owned and driven by one thread of the pool.

The owning thread hands a pickled call to its interpreter through a cross-interpreter queue, runs one
fixed line of code there, and takes the pickled reply from a second queue. ``exec`` returns when the
call has finished, so no thread ever waits on a queue; only bytes cross between interpreters, so the
same code runs on Python 3.14's ``concurrent.interpreters`` and on the 3.13 backport.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
from types import ModuleType
from typing import Any

# Runs once in a new interpreter: adopt the parent's import path before importing anything from it.
_BOOT = """\
import pickle as _futstrat_pickle, sys as _futstrat_sys
_futstrat_settings = _futstrat_pickle.loads(_futstrat_inbox.get_nowait())
_futstrat_sys.path[:] = _futstrat_settings["sys_path"]
import futstrat_interpreters.inside as _futstrat_inside
_futstrat_outbox.put(_futstrat_pickle.dumps(
    _futstrat_inside.prepare(_futstrat_settings, _futstrat_pickle.loads(_futstrat_inbox.get_nowait()))
))
del _futstrat_pickle, _futstrat_sys, _futstrat_settings
"""
# Runs once per call.
_RUN = "_futstrat_outbox.put(_futstrat_inside.run(_futstrat_inbox.get_nowait()))"
# Asks which threads a task left running there.
_THREADS_LEFT = "_futstrat_outbox.put(_futstrat_inside.threads_left())"
#: Queues are made and released, and interpreters destroyed, one at a time in this process. On Python
#: 3.13.0 a queue released in one thread (its last reference dropped) while another thread destroyed
#: an interpreter crashed the process now and then, in the queue module's release.
_LIFECYCLE = threading.Lock()


class OwnedInterpreter:
    """A subinterpreter prepared to run pickled calls; only the thread that made it may use it.

    A pipe reaches a thread inside the interpreter that can interrupt the running task (see
    ``inside.prepare``); :meth:`interrupt` may be called from any thread.
    """

    def __init__(self, api: ModuleType, settings: bytes) -> None:
        self._guard = threading.Lock()
        self._closed = False
        self._read, self._write = os.pipe()
        self._interpreter: Any = None
        try:
            self._interpreter = api.create()
            with _LIFECYCLE:
                self._inbox: Any = api.create_queue()
                self._outbox: Any = api.create_queue()
                self._interpreter.prepare_main(_futstrat_inbox=self._inbox, _futstrat_outbox=self._outbox)
            self._inbox.put(settings)
            self._inbox.put(pickle.dumps(self._read))
            self._interpreter.exec(_BOOT)
            self._interrupter: int | None = pickle.loads(self._outbox.get_nowait())
        except BaseException:
            self.close()
            raise

    @property
    def id(self) -> int:
        return int(self._interpreter.id)

    def call(self, payload: bytes) -> bytes:
        """Run the pickled ``(fn, args, kwargs)`` and return the pickled reply (see ``inside.run``)."""
        self._inbox.put(payload)
        self._interpreter.exec(_RUN)
        reply: bytes = self._outbox.get_nowait()
        return reply

    def threads_left(self) -> list[str]:
        """The names of the threads a task started in the interpreter and left running.

        While there are any, :meth:`close` would wait for them, as Python joins an interpreter's
        threads when it finalizes it.
        """
        self._interpreter.exec(_THREADS_LEFT)
        names: list[str] = pickle.loads(self._outbox.get_nowait())
        return names

    def interrupt(self) -> None:
        """Ask the interpreter to raise ``TaskInterruptedError`` in the task it is running, if any."""
        with self._guard:
            if not self._closed:
                os.write(self._write, b"i")

    def let_go(self) -> int | None:
        """Stop the interpreter's interrupting thread and return its native id, leaving the interpreter
        to whatever still runs in it.

        For the end of the process only: the interpreter's own threads are joined when Python finalizes
        it, and the interrupting thread waits on its pipe until told to stop. A worker stuck in a task
        never tells it, and Python's exit would wait for it for ever.
        """
        with self._guard:
            if self._closed:
                return None
            os.write(self._write, b"q")
        return self._interrupter

    def close(self) -> None:
        """Finalize the interpreter: its modules and objects are freed, its threads joined."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            os.write(self._write, b"q")
        with _LIFECYCLE:
            if self._interpreter is not None:
                with contextlib.suppress(Exception):
                    self._interpreter.close()
            # Released here, under the lock, not later in whichever thread drops the last reference.
            self._inbox = self._outbox = None
        os.close(self._read)
        os.close(self._write)
