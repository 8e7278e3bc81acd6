"""Pickling a call for a subinterpreter, and turning its reply into a future's result or exception."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from futstrat_interpreters import inside
from futstrat_interpreters.errors import RemoteTraceback, TaskError, TaskImportError, TaskPicklingError

_IMPORTABLE_BY_NAME = (
    "a subinterpreter imports task functions and their arguments afresh, by module and name: define them"
    " at module level in a module that can be imported from sys.path"
)


def describe(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__qualname__", None) or type(fn).__name__)


def pack_call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """The call as bytes for a subinterpreter; raises :class:`TaskPicklingError` saying what to change."""
    try:
        return pickle.dumps((fn, args, kwargs), pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        hint = _IMPORTABLE_BY_NAME if _is_local(fn) else "every argument must be picklable"
        raise TaskPicklingError(
            f"{describe(fn)} cannot be sent to a subinterpreter: {type(exc).__name__}: {exc} ({hint})"
        ) from exc


def _is_local(fn: Callable[..., Any]) -> bool:
    qualname = getattr(fn, "__qualname__", "")
    return "<lambda>" in qualname or "<locals>" in qualname


def settle(future: Future[Any], reply: bytes, label: str) -> None:
    """Give ``future`` the outcome the subinterpreter replied with."""
    try:
        kind, *rest = pickle.loads(reply)
    except Exception as exc:
        future.set_exception(
            TaskError(f"the result of {label} came back but could not be unpickled: {type(exc).__name__}: {exc}")
        )
        return
    if kind == inside.OK:
        future.set_result(rest[0])
    elif kind == inside.RAISED:
        future.set_exception(_raised(*rest))
    elif kind == inside.UNLOADABLE:
        future.set_exception(_unloadable(label, *rest))
    else:
        type_name, message, text = rest
        error = TaskPicklingError(
            f"the result of {label} could not be pickled to come back from its subinterpreter: {type_name}: {message}"
        )
        error.__cause__ = RemoteTraceback(text)
        future.set_exception(error)


def _raised(sent: bytes | None, type_name: str, message: str, text: str) -> BaseException:
    error: BaseException | None = None
    if sent is not None:
        try:
            error = pickle.loads(sent)
        except Exception:
            error = None
    if not isinstance(error, BaseException):
        error = TaskError(f"{type_name}: {message} (the exception itself could not be pickled back)")
    error.__cause__ = RemoteTraceback(text)
    return error


def _unloadable(label: str, type_name: str, message: str, text: str) -> TaskImportError:
    if "__main__" in message:
        hint = (
            "it names something defined in the __main__ script, which a subinterpreter does not run; move"
            " it into a module that can be imported"
        )
    elif "subinterpreter" in message:
        hint = "an extension module it needs cannot be loaded in a subinterpreter with its own GIL"
    else:
        hint = _IMPORTABLE_BY_NAME
    error = TaskImportError(f"{label} could not be loaded in a subinterpreter: {type_name}: {message} ({hint})")
    error.__cause__ = RemoteTraceback(text)
    return error
