"""A worker sweep (``futstrat compare --workers 1,2,4``) with the ``dask`` strategy: each count gets a
local cluster of that many worker processes, and the same command runs against a scheduler address."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from futstrat_dask.plugin import ADDRESS_ENV

from futstrat.measure.sweep import plan_sweep
from futstrat.plain_executor import open_executor

RUN_TIMEOUT = 90
SWEEP_LIMIT = 300


@pytest.fixture
def local_cluster_only(monkeypatch):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)


def test_a_sweep_gives_each_count_a_local_cluster_of_that_many_worker_processes(
    local_cluster_only, no_process_left_behind
):
    contenders = plan_sweep("pi", ["dask"], None, (1, 2, 4), params={"n": 1000})
    assert [(c.sweep_workers, c.plan.workers if c.plan else None) for c in contenders] == [(1, 1), (2, 2), (4, 4)]
    for contender in contenders:
        assert contender.plan is not None
        with open_executor("dask", workers=contender.plan.workers) as executor:
            workers = executor.client.scheduler_info()["workers"]
            assert len(workers) == contender.plan.workers
            assert all(worker["nthreads"] == 1 for worker in workers.values())


def _sweep(tmp_path, *extra: str, env: dict[str, str] | None = None) -> dict:
    path = tmp_path / "sweep.json"
    done = subprocess.run(
        [sys.executable, "-m", "futstrat", "compare", "pi", "--strategies", "serial,dask", "--workers", "1,2",
         "--param", "n=20000", "--repeat", "2", "--warmup", "0", "--no-core-probe", "--timeout", str(RUN_TIMEOUT),
         "--json", str(path), *extra],
        capture_output=True, text=True, timeout=SWEEP_LIMIT, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "scaling over 1, 2 workers" in done.stdout
    return json.loads(path.read_text())


def test_the_command_line_sweeps_local_clusters(tmp_path, monkeypatch):
    import os

    env = {k: v for k, v in os.environ.items() if k != ADDRESS_ENV}
    data = _sweep(tmp_path, env=env)
    dask = [p for p in data["sweep"]["points"] if p["strategy"] == "dask"]
    assert [p["workers"] for p in dask] == [1, 2]
    assert all(p["speedup"] is not None for p in dask)


def test_the_same_sweep_runs_against_a_scheduler_address(tmp_path, scheduler_address):
    data = _sweep(tmp_path, "--option", f"address={scheduler_address}")
    assert [p["workers"] for p in data["sweep"]["points"] if p["strategy"] == "dask"] == [1, 2]
