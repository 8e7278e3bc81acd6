"""OwnedInterpreter's life: queues are made and released, and interpreters destroyed, one at a time.

On Python 3.13.0 a queue released in one thread while another thread destroyed an interpreter crashed
the process now and then. The crash is too rare to catch in a test, so this checks the rule that
prevents it, with a stand-in for the interpreters module: every such step happens under the lock,
and closing releases the queues at once.
"""

from __future__ import annotations

import gc
import pickle
import types
from typing import Any

from futstrat_interpreters import worker
from futstrat_interpreters.worker import OwnedInterpreter


def make_recording_api(steps: list[tuple[str, bool]]) -> types.ModuleType:
    """An ``interpreters`` module whose objects note each step and whether the lock was held."""

    def note(step: str) -> None:
        steps.append((step, worker._LIFECYCLE.locked()))

    class Queue:
        def __init__(self) -> None:
            self.items: list[Any] = []
            note("queue made")

        def put(self, item: Any) -> None:
            self.items.append(item)

        def get_nowait(self) -> Any:
            return self.items.pop(0)

        def __del__(self) -> None:
            note("queue released")

    class Interpreter:
        id = 1

        def prepare_main(self, **names: Any) -> None:
            note("main prepared")
            self.outbox = names["_futstrat_outbox"]

        def exec(self, code: str) -> None:
            # Nothing runs: the boot code's reads of the inbox are left undone, and its reply is
            # that no interrupting thread was started. The queue is not kept here: closing must
            # release it.
            self.outbox.put(pickle.dumps(None))
            del self.outbox

        def close(self) -> None:
            note("interpreter destroyed")

    api = types.ModuleType("recording_interpreters")
    api.create = Interpreter  # type: ignore[attr-defined]
    api.create_queue = Queue  # type: ignore[attr-defined]
    return api


def test_queue_and_interpreter_lifecycle_steps_hold_the_process_wide_lock() -> None:
    steps: list[tuple[str, bool]] = []
    interpreter = OwnedInterpreter(make_recording_api(steps), b"settings")
    interpreter.close()
    names = [step for step, _ in steps]
    assert names == ["queue made", "queue made", "main prepared", "interpreter destroyed"] + ["queue released"] * 2
    assert all(locked for _, locked in steps), steps


def test_closing_releases_the_queues_at_once_not_when_the_last_reference_drops() -> None:
    steps: list[tuple[str, bool]] = []
    interpreter = OwnedInterpreter(make_recording_api(steps), b"settings")
    gc.disable()  # a release must not wait for a collection
    try:
        interpreter.close()
        assert [step for step, _ in steps].count("queue released") == 2
    finally:
        gc.enable()
    interpreter.close()  # a second close does nothing
    assert len(steps) == 6
