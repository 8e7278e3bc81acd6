"""The ``dask`` strategy connected by address to a ``dask scheduler`` with ``dask worker`` processes."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import LOOPBACK
from futstrat_dask import plugin as plugin_module
from futstrat_dask.plugin import ADDRESS_ENV, make_dask_executor

import futstrat
from futstrat import ExecutorConfig, RefusedError, RunStatus

RUN_TIMEOUT = 90


@pytest.fixture
def by_address(monkeypatch, scheduler_address):
    monkeypatch.setenv(ADDRESS_ENV, scheduler_address)
    return scheduler_address


def test_the_counter_is_exact_on_a_cluster_reached_by_address(by_address):
    report = futstrat.run("counter", "dask", sharing="dask", workers=2, params={"increments": 60}, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.PASSED, (report.error, report.traceback)
    assert report.value == 120


def test_runs_leave_the_cluster_running_for_the_next(by_address):
    for _ in range(2):
        report = futstrat.run("pi", "dask", workers=2, params={"n": 10_000}, timeout=RUN_TIMEOUT)
        assert report.status is RunStatus.PASSED, (report.error, report.traceback)


def test_the_executor_reports_the_clusters_threads(by_address):
    executor = make_dask_executor(ExecutorConfig(8, None))
    try:
        assert not executor.local
        assert executor.address == by_address
        assert executor.max_workers == 2  # two single-threaded workers, whatever was asked
    finally:
        executor.shutdown()


def test_manager_sharing_is_refused_for_a_remote_cluster(by_address):
    with pytest.raises(RefusedError) as caught:
        futstrat.plan_run("counter", "dask", sharing="manager", workers=2)
    assert any("cannot use them" in r for r in caught.value.reasons), caught.value.reasons


def test_the_command_line_counts_exactly_on_the_cluster(scheduler_address):
    completed = subprocess.run(
        [sys.executable, "-m", "futstrat", "run", "counter", "--strategy", "dask", "--sharing", "dask",
         "--workers", "2", "--param", "increments=50", "--timeout", "90"],
        capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, ADDRESS_ENV: scheduler_address},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "100 of 100 increments counted" in completed.stdout


def test_the_address_option_reaches_the_cluster_and_wins_over_the_environment(monkeypatch, scheduler_address):
    monkeypatch.setenv(ADDRESS_ENV, "tcp://127.0.0.1:9")  # nothing listens there
    report = futstrat.run(
        "counter",
        "dask",
        sharing="dask",
        workers=2,
        params={"increments": 30},
        strategy_options={"address": scheduler_address},
        timeout=RUN_TIMEOUT,
    )
    assert report.status is RunStatus.PASSED, (report.error, report.traceback)
    assert report.value == 60


def test_manager_sharing_is_refused_for_a_cluster_named_by_the_option(monkeypatch):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    with pytest.raises(RefusedError) as caught:
        futstrat.plan_run(
            "counter", "dask", sharing="manager", workers=2, strategy_options={"address": "tcp://127.0.0.1:9"}
        )
    assert any("cluster at tcp://127.0.0.1:9 cannot use them" in r for r in caught.value.reasons), caught.value.reasons


def test_the_command_line_takes_the_address_as_an_option(monkeypatch, scheduler_address):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    completed = subprocess.run(
        [sys.executable, "-m", "futstrat", "run", "pi", "--strategy", "dask", "--workers", "2",
         "--param", "n=10000", "--timeout", "90", "--option", f"address={scheduler_address}"],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """The address of a socket on 127.0.0.1 that accepts connections and never says a word."""
    listener = socket.create_server((LOOPBACK, 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # the listener was closed
            while True:
                accepted.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"tcp://{LOOPBACK}:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for connection in accepted:
            connection.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("sharing", ["none", "dask"])
def test_a_listener_that_never_answers_fails_the_run_within_the_connect_limit(monkeypatch, silent_listener, sharing):
    monkeypatch.setattr(plugin_module, "CONNECT_SECONDS", 2.0)
    monkeypatch.setenv(ADDRESS_ENV, silent_listener)
    workload = "pi" if sharing == "none" else "counter"
    started = time.monotonic()
    report = futstrat.run(workload, "dask", sharing=sharing, workers=1, params={}, timeout=RUN_TIMEOUT)
    elapsed = time.monotonic() - started
    assert report.status is RunStatus.ERROR
    assert report.error == f"no dask scheduler answered at {silent_listener} within 2 s (no answer)"
    assert elapsed < 2 + 15, "connecting, or tidying up after it, waited for the listener"


@pytest.mark.timeout(60)
def test_an_unreachable_address_fails_the_run_in_words(monkeypatch):
    monkeypatch.setattr(plugin_module, "CONNECT_SECONDS", 2.0)
    monkeypatch.setenv(ADDRESS_ENV, "tcp://127.0.0.1:9")  # the discard port: nothing listens there
    report = futstrat.run("pi", "dask", workers=1, params={"n": 1000}, timeout=RUN_TIMEOUT)
    assert report.status is RunStatus.ERROR
    assert (report.error or "").startswith("no dask scheduler answered at tcp://127.0.0.1:9 within 2 s ("), report.error


def test_connecting_counts_against_the_runs_deadline_when_futstrat_passes_one():
    from types import SimpleNamespace

    from futstrat_dask.plugin import connect_seconds

    assert connect_seconds(ExecutorConfig(2, None)) == plugin_module.CONNECT_SECONDS
    soon = SimpleNamespace(workers=2, start_method=None, deadline=time.monotonic() + 3)
    assert 0 < connect_seconds(soon) <= 3  # type: ignore[arg-type]
    passed = SimpleNamespace(workers=2, start_method=None, deadline=time.monotonic() - 1)
    assert connect_seconds(passed) == 0  # type: ignore[arg-type]
