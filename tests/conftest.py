"""Shared fixtures for futstrat's own tests."""

from __future__ import annotations

import pathlib
import signal
import threading
from collections.abc import Iterator

import pytest

from futstrat.plugins import reset_host

pytest_plugins = ["pytester"]

#: The slow fault matrix runs in a tox environment of its own, not in every interpreter's suite.
FAULT_MATRIX = pathlib.Path(__file__).parent / "fault_matrix"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fault-matrix",
        action="store_true",
        help="also run the fault matrix (tests/fault_matrix), which runs by itself when named as a path",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the fault matrix out unless it was asked for by option or by naming its folder."""
    named = any(FAULT_MATRIX in (config.invocation_params.dir / arg.split("::")[0]).resolve().parents
                or (config.invocation_params.dir / arg.split("::")[0]).resolve() == FAULT_MATRIX
                for arg in config.args)  # fmt: skip
    if config.getoption("--fault-matrix") or named:
        return
    kept = [item for item in items if item.get_closest_marker("fault_matrix") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch):
    """Forget the loaded plugins before and after a test that changes what loads."""
    reset_host()
    yield
    reset_host()


@pytest.fixture(scope="session", autouse=True)
def ctrl_c_as_a_terminal_gives_it() -> Iterator[None]:
    """Let a real Ctrl-C work in this process and in the processes its tests start, however the suite
    was started.

    A shell without job control starts a command put in the background (``tox &``) with SIGINT
    ignored, and an ignored or blocked signal stays so through fork and exec, down to every futstrat
    the tests start: Python then installs no KeyboardInterrupt handler, futstrat rightly leaves an
    ignored Ctrl-C ignored, and every test that sends a real Ctrl-C waits in vain. A terminal's shell
    starts a command with SIGINT at its default and unblocked, as here: Python's own handler in this
    process, which the processes it starts get back as the default.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if blocked:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
