"""What runs inside each subinterpreter: its preparation, and one task at a time.

A subinterpreter starts with nothing imported, so everything a task needs arrives by pickle and is
imported there by name. This module imports only ``pickle`` and ``sys`` at module level, so a worker pays for
nothing its tasks do not use. Replies go back to the owning thread as pickled tuples of plain
values; only a task's result and exception are pickled objects of the task's own types.
"""

from __future__ import annotations

import pickle
import sys

TYPE_CHECKING = False  # typing and importlib.abc would cost every worker tens of milliseconds
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

#: Reply kinds.
OK = "ok"  # ("ok", result)
RAISED = "raised"  # ("raised", pickled exception or None, type name, message, traceback text)
UNLOADABLE = "unloadable"  # ("unloadable", type name, message, traceback text): the task did not unpickle
UNSENDABLE = "unsendable"  # ("unsendable", type name, message, traceback text): the result did not pickle

_authkey: bytes | None = None
#: True while a task's own code runs, so an interruption never lands in this module's plumbing.
_running = False
#: Set once the pool is terminated: the running task, and any that starts after, is interrupted.
_interrupted = False
#: The name of the thread that interrupts tasks (see ``prepare``), which is no task's.
INTERRUPTER_NAME = "futstrat-interrupter"


class TaskInterruptedError(BaseException):
    """Raised inside a running task when its pool is terminated.

    A ``BaseException``, like ``KeyboardInterrupt``, so that a task's ``except Exception`` does not
    swallow it.
    """


def prepare(settings: dict[str, Any], interrupt_fd: int | None = None) -> int | None:
    """Make this interpreter see what the parent sees: its import path and its multiprocessing key.

    A spawned process gets the same two things from ``multiprocessing``'s preparation data. The key
    lets Manager proxies that arrive with a task connect to their server, which checks it. With
    ``interrupt_fd``, a thread of this interpreter waits on that pipe to interrupt the running task;
    its native thread id is returned, so that the owner can tell when it has ended.
    """
    global _authkey
    sys.path[:] = settings["sys_path"]
    _authkey = settings["authkey"]
    deferred = settings.get("deferred_packages") or ()
    if deferred:
        sys.meta_path.insert(0, DeferredInitFinder(deferred))
    if interrupt_fd is not None:
        import threading

        target = threading.get_ident()
        interrupter = threading.Thread(target=_interrupt_on_request, args=(interrupt_fd, target), name=INTERRUPTER_NAME)
        interrupter.start()
        return interrupter.native_id
    return None


def _interrupt_on_request(fd: int, target: int) -> None:
    """Raise :class:`TaskInterruptedError` in the task thread for each ``i`` on the pipe; stop at ``q``.

    Nothing outside an interpreter can raise in its threads, but a thread of the same interpreter can:
    the exception arrives at the task's next bytecode, so a loop in Python stops while a call blocked
    in C (a sleep, a read) finishes first.
    """
    import os

    global _interrupted
    while os.read(fd, 1) == b"i":
        _interrupted = True
        if _running:
            import ctypes

            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(TaskInterruptedError))


def _adopt_authkey(payload: bytes) -> None:
    # Importing multiprocessing costs a fresh interpreter tens of milliseconds; only a task that
    # brings multiprocessing objects (their pickles name the module) needs the parent's key.
    global _authkey
    if _authkey is not None and (b"multiprocessing" in payload or "multiprocessing" in sys.modules):
        import multiprocessing

        multiprocessing.current_process().authkey = _authkey
        _authkey = None


def _failure(kind: str, error: BaseException) -> bytes:
    import traceback

    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return pickle.dumps((kind, type(error).__qualname__, str(error), text))


def run(payload: bytes) -> bytes:
    """Unpickle ``(fn, args, kwargs)``, call it, and pickle the reply."""
    try:
        _adopt_authkey(payload)
        fn, args, kwargs = pickle.loads(payload)
    except BaseException as error:
        return _failure(UNLOADABLE, error)
    global _running
    try:
        _running = True
        try:
            if _interrupted:  # asked before this task began, after the last one ended
                raise TaskInterruptedError
            result = fn(*args, **kwargs)
        finally:
            _running = False
    except BaseException as error:
        import traceback

        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        try:
            sent: bytes | None = pickle.dumps(error, pickle.HIGHEST_PROTOCOL)
        except BaseException:
            sent = None
        return pickle.dumps((RAISED, sent, type(error).__qualname__, str(error), text))
    try:
        return pickle.dumps((OK, result), pickle.HIGHEST_PROTOCOL)
    except BaseException as error:
        return _failure(UNSENDABLE, error)


def threads_left() -> bytes:
    """The pickled names of the threads still running here that a task started and left behind.

    Closing an interpreter joins its threads, so the owner asks first: a thread that never ends would
    keep the close, and so the owner, waiting for ever.
    """
    if "threading" not in sys.modules:  # no task started a thread
        return pickle.dumps([])
    import threading

    # The owner runs here as a dummy thread; the main thread stands for the process's own, not ours.
    mine = {threading.current_thread(), threading.main_thread()}
    return pickle.dumps(
        [
            thread.name
            for thread in threading.enumerate()
            if thread not in mine and not thread.daemon and thread.name != INTERRUPTER_NAME and thread.is_alive()
        ]
    )


class DeferredInitFinder:
    """Imports a package's submodules without running the package's ``__init__`` until it is used.

    A task names the module its function lives in (``pkg.sub.tasks``), and importing that runs every
    ``__init__`` above it; a package whose ``__init__`` imports its whole API makes each worker pay for
    all of it. For the packages named here, the ``__init__`` runs when an attribute that only it
    defines is first looked up, so what the task does not touch is never imported.
    """

    def __init__(self, roots: Sequence[str]) -> None:
        self._roots = tuple(roots)

    def _covers(self, fullname: str) -> bool:
        return any(fullname == root or fullname.startswith(root + ".") for root in self._roots)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not self._covers(fullname):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            real = spec.loader
            if spec.submodule_search_locations is not None and real is not None and hasattr(real, "exec_module"):
                spec.loader = _DeferredInitLoader(real)  # type: ignore[assignment]  # a Loader by duck typing
            return spec
        return None


class _DeferredInitLoader:
    def __init__(self, real: Loader) -> None:
        self._real = real

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._real
        module.__dict__["__getattr__"] = _initializer(module, self._real)


def _initializer(module: ModuleType, real: Loader) -> Callable[[str], Any]:
    def __getattr__(name: str) -> Any:
        namespace = module.__dict__
        if namespace.get("__getattr__") is not __getattr__:
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
        del namespace["__getattr__"]  # before running __init__, which may define its own
        real.exec_module(module)
        return getattr(module, name)

    return __getattr__
