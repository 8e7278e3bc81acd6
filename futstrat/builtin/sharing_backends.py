"""The built-in sharing backends: nothing, raw shared memory, and Manager proxies."""

from __future__ import annotations

import ctypes
import uuid
from collections.abc import Callable
from multiprocessing.managers import SyncManager
from typing import Any

from futstrat.engine.workers import initialize_helper_process
from futstrat.hookspecs import hookimpl
from futstrat.model import SharingRequest, SharingSession, SharingSpec
from futstrat.sharing import InstalledState, SharedCounter, install_state
from futstrat.start_methods import process_context


class RawValueSession:
    """A ``multiprocessing.Value`` without its own lock, a ``Lock`` and a ``Barrier``.

    Raw shared memory may only reach a process by inheritance, so process pools get it through their
    initializer and each task carries only a token; thread strategies use the objects directly.
    """

    def __init__(self, request: SharingRequest) -> None:
        context = process_context(request.start_method)
        self._key = f"value-{uuid.uuid4().hex}"
        self._counter = SharedCounter(
            context.Value(ctypes.c_long, 0, lock=False), context.Lock(), context.Barrier(request.parties)
        )

    def worker_initializer(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        return install_state, (self._key, self._counter)

    def task_argument(self, crosses_processes: bool) -> Any:
        return InstalledState(self._key) if crosses_processes else self._counter

    def final_value(self) -> int:
        return self._counter.value

    def close(self) -> None:
        """Shared memory is freed with the last reference to it."""


class ManagerSession:
    """A ``multiprocessing.Manager`` server whose proxies travel with each task as plain arguments."""

    def __init__(self, request: SharingRequest) -> None:
        context = process_context(request.start_method)
        # As context.Manager() does, but the server ends itself when futstrat dies.
        self._manager = SyncManager(ctx=context)
        self._manager.start(initialize_helper_process)
        try:
            self._counter = SharedCounter(
                self._manager.Value("l", 0), self._manager.Lock(), self._manager.Barrier(request.parties)
            )
        except BaseException:
            self._manager.shutdown()
            raise

    def worker_initializer(self) -> None:
        return None

    def task_argument(self, crosses_processes: bool) -> Any:
        return self._counter

    def final_value(self) -> int:
        return self._counter.value

    def close(self) -> None:
        self._manager.shutdown()


def open_raw_value(request: SharingRequest) -> SharingSession:
    return RawValueSession(request)


def open_manager(request: SharingRequest) -> SharingSession:
    return ManagerSession(request)


BUILTIN_SHARING = (
    SharingSpec(
        name="none",
        description="no shared state: each task's result comes back through its future",
        open=None,
    ),
    SharingSpec(
        name="value",
        description="raw multiprocessing.Value and Lock, installed in each worker by the pool initializer",
        open=open_raw_value,
        needs_initializer=True,
    ),
    SharingSpec(
        name="manager",
        description="multiprocessing.Manager Value and Lock proxies passed to tasks as arguments",
        open=open_manager,
        uses_start_method=True,
    ),
)


@hookimpl
def futstrat_register_sharing(register: Callable[[SharingSpec], None]) -> None:
    for spec in BUILTIN_SHARING:
        register(spec)
