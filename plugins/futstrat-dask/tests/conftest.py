"""Real dask clusters for the tests, on the loopback interface only, always closed afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

LOOPBACK = "127.0.0.1"
#: Seconds a cluster may take to come up, or to go down, before the fixture gives up on it.
CLUSTER_PATIENCE = 60.0


@pytest.fixture(scope="module")
def dask_client() -> Iterator[object]:
    """A small local cluster with a client, shared by the tests of one module."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host=LOOPBACK, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=CLUSTER_PATIENCE / 2)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait(timeout=CLUSTER_PATIENCE / 2)


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dask scheduler`` and ``dask worker`` (two single-threaded worker processes) on loopback, as an
    operator would start them; yields the scheduler's address."""
    folder: Path = tmp_path_factory.mktemp("dask-cluster")
    scheduler_file = folder / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    started: list[subprocess.Popen[bytes]] = []
    try:
        command = [*dask, "scheduler", "--host", LOOPBACK, "--port", "0", "--no-dashboard"]
        command += ["--scheduler-file", str(scheduler_file)]
        with (folder / "scheduler.log").open("wb") as log:
            started.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + CLUSTER_PATIENCE
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            if time.monotonic() > deadline or started[0].poll() is not None:
                pytest.fail(f"dask scheduler did not start: {(folder / 'scheduler.log').read_text()[-2000:]}")
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith(f"tcp://{LOOPBACK}:"), address
        command = [*dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--host", LOOPBACK]
        command += ["--no-dashboard"]
        with (folder / "worker.log").open("wb") as log:
            started.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT))
        from distributed import Client

        with Client(address, timeout=CLUSTER_PATIENCE) as client:
            client.wait_for_workers(2, timeout=CLUSTER_PATIENCE)
        yield address
    finally:
        for process in reversed(started):
            _stop(process)


def _lives_on_purpose(process: psutil.Process) -> bool:
    """multiprocessing's own helpers, started once and kept for the life of the test process."""
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return True  # gone meanwhile
    return "resource_tracker" in command or "forkserver" in command


@pytest.fixture
def no_process_left_behind() -> Iterator[None]:
    """Fail the test if it leaves a child process of the test process running."""
    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    yield
    deadline = time.monotonic() + CLUSTER_PATIENCE / 2
    while True:
        left = [c for c in me.children(recursive=True) if c.pid not in before and c.is_running()]
        left = [c for c in left if c.status() != psutil.STATUS_ZOMBIE and not _lives_on_purpose(c)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not left, f"processes left behind: {[(c.pid, c.name()) for c in left]}"
