"""Reaching a dask scheduler by address within a time limit, whatever is listening at that address.

``distributed.Client(address, timeout=...)`` bounds the TCP connection but not the handshake that
follows it: a listener that accepts and never answers (a wrong port, a stuck proxy, a scheduler that
hangs) keeps the constructor waiting for ever, and a closed port is retried for distributed's whole
connect timeout. So before a client is made, the scheduler is asked who it is, on an event loop and
a thread of their own, and the answer is waited for no longer than the caller allows.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from futstrat import FutstratError

#: How long a probe's thread is given beyond its own limit to notice the limit and end.
_THREAD_GRACE_SECONDS = 1.0
#: How long an address that did not answer is not asked again by code that only tidies up.
_REMEMBER_SILENCE_SECONDS = 60.0
#: When each address last failed to answer (``time.monotonic()``).
_silent_since: dict[str, float] = {}


class SchedulerUnreachableError(FutstratError, ConnectionError):
    """No dask scheduler answered at the address in time."""


def check_scheduler_answers(address: str, seconds: float) -> None:
    """Return once the dask scheduler at ``address`` has answered; raise
    :class:`SchedulerUnreachableError` when nothing answered within ``seconds``."""
    try:
        _probe(address, seconds)
    except SchedulerUnreachableError:
        _silent_since[address] = time.monotonic()
        raise
    _silent_since.pop(address, None)


def recently_silent(address: str) -> bool:
    """Whether the scheduler at ``address`` failed to answer a moment ago: tidying up after a run that
    could not reach it need not wait for it again."""
    since = _silent_since.get(address)
    return since is not None and time.monotonic() - since < _REMEMBER_SILENCE_SECONDS


def _probe(address: str, seconds: float) -> None:
    outcome: list[Any] = []
    probe = threading.Thread(target=_ask, args=(address, seconds, outcome), name="futstrat-dask-connect", daemon=True)
    probe.start()
    probe.join(max(seconds, 0.0) + _THREAD_GRACE_SECONDS)
    if not outcome:  # the probe did not even notice its limit: leave it, it is a daemon
        raise SchedulerUnreachableError(_unanswered(address, seconds, "no answer"))
    answer = outcome[0]
    if isinstance(answer, BaseException):
        reason = "no answer" if isinstance(answer, (TimeoutError, asyncio.TimeoutError)) else str(answer)
        raise SchedulerUnreachableError(_unanswered(address, seconds, reason or type(answer).__name__)) from answer
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise SchedulerUnreachableError(f"{address} answered, but it is not a dask scheduler: {answer!r:.200}")


def _unanswered(address: str, seconds: float, reason: str) -> str:
    return f"no dask scheduler answered at {address} within {seconds:g} s ({reason})"


def _ask(address: str, seconds: float, outcome: list[Any]) -> None:
    try:
        outcome.append(asyncio.run(asyncio.wait_for(_identity(address, seconds), max(seconds, 0.001))))
    except BaseException as exc:
        outcome.append(exc)


async def _identity(address: str, seconds: float) -> Any:
    from distributed.core import rpc

    async with rpc(address, timeout=seconds) as scheduler:
        return await scheduler.identity()
