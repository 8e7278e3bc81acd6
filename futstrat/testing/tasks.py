"""The work the conformance kit hands to the executors it checks.

Every function here is module-level in an installed module, so a worker started by ``spawn`` or
``forkserver`` finds it again by importing this module by name: the same rule a plugin's own tasks
follow. Tasks that must wait take the path of a :class:`Gate` file, a plain string that crosses any
process boundary and needs no shared memory, initializer or Manager from the executor under test.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

#: How often a task waiting at a gate looks at it.
GATE_POLL_SECONDS = 0.005

#: A value the kit changes in the parent before starting workers: a forked worker sees the change,
#: one started by spawn or forkserver imports this module afresh and sees this original.
PARENT_MARK = "as imported"

_installed: list[Any] = []


class KitTaskError(Exception):
    """Raised on purpose by a task, to see that its type and arguments reach the caller."""


class GateNeverOpenedError(Exception):
    """A task waited at a gate that the test never opened."""


class Gate:
    """A closed gate that tasks wait at until the test opens it, in any process on this machine."""

    def __init__(self, directory: Path, name: str = "gate") -> None:
        self.path = directory / name

    @property
    def key(self) -> str:
        """What a task is given: the file whose existence means open."""
        return str(self.path)

    def open(self) -> None:
        self.path.touch()

    @property
    def is_open(self) -> bool:
        return self.path.exists()


def add(a: int, b: int) -> int:
    return a + b


def square(x: int) -> int:
    return x * x


def nap_then_return(seconds: float, value: Any) -> Any:
    time.sleep(seconds)
    return value


def raise_kit_error(*args: Any) -> None:
    raise KitTaskError(*args)


def square_unless(bad: int, x: int) -> int:
    """``x * x``, except that ``x == bad`` raises :class:`KitTaskError`."""
    if x == bad:
        raise KitTaskError("refusing", x)
    return x * x


def wait_at_gate(gate: str, patience: float, value: Any) -> Any:
    """Return ``value`` once the gate opens; give up with an error after ``patience`` seconds."""
    give_up = time.monotonic() + patience
    while not os.path.exists(gate):
        if time.monotonic() > give_up:
            raise GateNeverOpenedError(f"the gate {gate} did not open within {patience:g} s")
        time.sleep(GATE_POLL_SECONDS)
    return value


def square_after_gate_if_zero(gate: str, patience: float, x: int) -> int:
    """``x * x``; for ``x == 0`` only once the gate opens, so that the other results come first."""
    if x == 0:
        wait_at_gate(gate, patience, None)
    return x * x


def worker_pid() -> int:
    """The pid of the process the task runs in."""
    return os.getpid()


def leave_trace(path: str, value: Any) -> Any:
    """Create ``path`` and return ``value``: proof for the test that this task ran at all."""
    Path(path).touch()
    return value


def end_worker_abruptly(exit_code: int) -> None:
    """End the worker process at once, as a crash or the OOM killer would; no cleanup runs."""
    os._exit(exit_code)


def kill_own_worker() -> None:
    """Kill the worker process with SIGKILL, as the OOM killer does."""
    os.kill(os.getpid(), signal.SIGKILL)


class RebuildRefusedError(Exception):
    """Pickles, but cannot be rebuilt from its pickle: its constructor needs two arguments."""

    def __init__(self, what: str, code: int) -> None:
        super().__init__(f"{what} (code {code})")


def raise_unrebuildable(what: str) -> None:
    raise RebuildRefusedError(what, 7)


def wait_at_gate_then_trace(gate: str, patience: float, directory: str, value: int) -> int:
    """Wait at the gate, then leave a trace named after ``value``: proof that this task ran."""
    wait_at_gate(gate, patience, value)
    Path(directory, f"ran-{value}").touch()
    return value


def return_unpicklable() -> Any:
    """A result that cannot be pickled back to the parent."""
    return threading.Lock()


def digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


def make_bytes(size: int, seed: int) -> bytes:
    """``size`` bytes that depend on ``seed``, so a result that was cut or mixed up does not match."""
    block = hashlib.sha256(seed.to_bytes(8, "little")).digest()
    return (block * (size // len(block) + 1))[:size]


def read_parent_mark() -> str:
    return PARENT_MARK


def install(value: Any) -> None:
    """An executor initializer: remember ``value`` in this worker."""
    _installed.append(value)


def read_installed() -> list[Any]:
    """What the initializer installed in the worker running this task."""
    return list(_installed)
