"""Task functions for the plugin's tests: module-level, so subinterpreters import them by name."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

_installed: list[Any] = []


class TaskFailure(Exception):
    """Raised by a task on purpose; picklable, so it comes back as itself."""


class UnpicklableFailure(Exception):
    """An exception that refuses to be pickled, as some library exceptions do."""

    def __reduce__(self) -> Any:
        raise TypeError("this exception does not pickle")


def add(a: int, b: int) -> int:
    return a + b


def echo(*args: Any, **kwargs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return args, kwargs


def fail(message: str, code: int) -> None:
    raise TaskFailure(message, code)


def fail_unpicklably() -> None:
    raise UnpicklableFailure("cannot travel")


def return_lock() -> Any:
    return threading.Lock()


def where() -> tuple[int, int]:
    """The interpreter and the thread this task runs in."""
    import _interpreters

    return _interpreters.get_current()[0], threading.get_ident()


def install(value: Any) -> None:
    _installed.append(value)


def installed() -> list[Any]:
    return list(_installed)


def fail_to_install() -> None:
    raise TaskFailure("the initializer fails")


def meet(folder: str, me: str, others: list[str], seconds: float) -> bool:
    """Leave a mark and wait for the others' marks: True only if all the tasks ran at the same time."""
    Path(folder, me).touch()
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if all(Path(folder, other).exists() for other in others):
            return True
        time.sleep(0.005)
    return False


def wait_for_file(path: str, seconds: float) -> str:
    give_up = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > give_up:
            return "gave up"
        time.sleep(0.005)
    return "saw it"


def touch(path: str) -> None:
    Path(path).touch()


def loaded_modules(prefix: str) -> list[str]:
    return sorted(name for name in sys.modules if name == prefix or name.startswith(prefix + "."))


def search_path() -> list[str]:
    return list(sys.path)


def attribute_of(module: str, name: str) -> Any:
    import importlib

    return getattr(importlib.import_module(module), name)


def spin(seconds: float) -> str:
    """Busy Python code that only an interruption stops early."""
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        pass
    return "ran to the end"


def catch_everything_but_interruption(seconds: float) -> str:
    try:
        return spin(seconds)
    except Exception:
        return "swallowed"


def sleep_then_return(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def leave_a_thread_reading(fd: int) -> str:
    """Start a thread that runs until a byte arrives on ``fd``, and return without waiting for it."""
    thread = threading.Thread(target=os.read, args=(fd, 1), name="left-reading")
    thread.start()
    return thread.name
