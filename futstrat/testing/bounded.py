"""Time bounds for tests that drive executors, so that a broken executor fails a test instead of hanging it.

Two layers: every blocking call the kit makes goes through :func:`call_within` (or passes a timeout of its
own), which names the call that hung; and :func:`time_limit` arms a per-test alarm that fails the
test from the main thread if something the kit did not foresee blocks.
"""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, TypeVar

import pytest

from futstrat.engine.executor_adapter import stop_executor_now

T = TypeVar("T")


class StillRunningError(Exception):
    """A call did not return within its bound; it may still be running in its helper thread."""


def call_within(seconds: float, call: Callable[[], T], what: str) -> T:
    """``call()``, or :class:`StillRunningError` naming ``what`` if it has not returned after ``seconds``.

    The call runs in a daemon thread, so a call that never returns costs a thread, not the test run.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    helper = threading.Thread(target=target, name=f"futstrat-bounded: {what}", daemon=True)
    helper.start()
    helper.join(seconds)
    if helper.is_alive():
        raise StillRunningError(f"{what} did not return within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def close_executor(executor: Any, patience: float) -> str | None:
    """Shut ``executor`` down, waiting at most ``patience`` seconds; say what went wrong, if anything.

    An executor that does not finish shutting down in time is stopped with its ``terminate()`` (the
    built-ins and most process pools offer one) so that no worker outlives the test.
    """
    try:
        call_within(patience, lambda: executor.shutdown(wait=True, cancel_futures=True), "shutdown(wait=True)")
    except StillRunningError as exc:
        problem = f"{exc}: the executor did not finish its work or did not notice it was done"
    except Exception as exc:
        problem = f"shutdown(wait=True) raised {type(exc).__name__}: {exc}"
    else:
        return None
    stop_executor(executor, patience)
    return problem


def stop_executor(executor: Any, patience: float) -> None:
    """Stop ``executor`` without waiting for its work (``terminate()`` if it has one, else cancel and
    go), waiting at most ``patience`` seconds for that."""
    with contextlib.suppress(Exception):
        call_within(patience, lambda: stop_executor_now(executor), "terminate()")


def _alarm_available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float, advice: str) -> Iterator[None]:
    """Fail the running test if it takes longer than ``seconds``.

    Where ``SIGALRM`` exists and this is the main thread, the alarm raises ``pytest.fail`` wherever the
    test is blocked (lock waits and sleeps are interruptible). Elsewhere ``faulthandler`` dumps every
    thread's stack and ends the process: a failure, never a hang. An alarm that was already armed (by
    pytest-timeout, say) is put back afterwards.
    """
    if not _alarm_available():
        faulthandler.dump_traceback_later(seconds, exit=True, file=sys.stderr)
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        pytest.fail(f"the test ran longer than its limit of {seconds:g} s: {advice}", pytrace=True)

    previous_handler = signal.signal(signal.SIGALRM, expire)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            signal.setitimer(signal.ITIMER_REAL, previous_delay, previous_interval)
