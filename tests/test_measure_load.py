"""Telling futstrat's own CPU use apart from everything else's."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from futstrat.measure import load
from futstrat.measure.load import CpuSnapshot, CpuUse, cpu_use_between

HAS_PROC = pathlib.Path("/proc/self/stat").exists()


def fake_process(root: pathlib.Path, pid: int, ppid: int, ticks: tuple[int, int, int, int], name: str = "py") -> None:
    (root / str(pid)).mkdir()
    utime, stime, cutime, cstime = ticks
    fields = ["S", ppid, 1, 1, 0, -1, 0, 0, 0, 0, 0, utime, stime, cutime, cstime, 20, 0, 1]
    (root / str(pid) / "stat").write_text(f"{pid} ({name}) " + " ".join(map(str, fields)) + "\n")


def test_busy_time_counts_steal_and_not_idle(tmp_path, monkeypatch):
    (tmp_path / "stat").write_text("cpu  100 10 50 1000 20 5 5 30 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
    monkeypatch.setattr(load, "PROC", tmp_path)
    monkeypatch.setattr(load, "CLOCK_TICKS", 100)
    assert load.machine_busy_seconds() == pytest.approx((100 + 10 + 50 + 5 + 5 + 30) / 100)


def test_busy_time_is_unknown_without_proc(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "PROC", tmp_path / "missing")
    assert load.machine_busy_seconds() is None


def test_live_descendants_are_summed_and_strangers_are_not(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "PROC", tmp_path)
    monkeypatch.setattr(load, "CLOCK_TICKS", 100)
    fake_process(tmp_path, 100, 1, (0, 0, 0, 0))
    fake_process(tmp_path, 101, 100, (10, 5, 0, 0), name="worker (1) x")  # a name with spaces and parentheses
    fake_process(tmp_path, 102, 101, (20, 0, 3, 2))
    fake_process(tmp_path, 103, 1, (500, 500, 0, 0))  # another program
    (tmp_path / "self").mkdir()
    assert load._live_descendants_seconds(100) == pytest.approx((15 + 25) / 100)


def test_outside_use_is_busy_time_minus_own_and_never_negative():
    before = CpuSnapshot(wall=10.0, own=1.0, busy=100.0)
    assert cpu_use_between(before, CpuSnapshot(wall=12.0, own=2.5, busy=103.0)) == CpuUse(2.0, 1.5, 1.5)
    assert cpu_use_between(before, CpuSnapshot(wall=12.0, own=2.5, busy=101.0)).outside == 0.0
    unknown = cpu_use_between(CpuSnapshot(1.0, 0.0, None), CpuSnapshot(2.0, 0.5, None))
    assert unknown.outside is None
    assert unknown.outside_cpus is None


def test_outside_cpus_is_an_average_over_the_wall_time():
    assert CpuUse(wall=2.0, own=1.0, outside=1.0).outside_cpus == 0.5


@pytest.mark.skipif(not HAS_PROC, reason="process CPU times come from /proc")
def test_a_reaped_child_counts_as_own_cpu():
    before = load.take_snapshot()
    burn = "import time\nwhile time.process_time() < 0.2:\n    pass\n"
    subprocess.run([sys.executable, "-c", burn], check=True, timeout=60)
    after = load.take_snapshot()
    assert after.own - before.own >= 0.15  # CPU time, not wall time: the machine's load does not change it


@pytest.mark.skipif(not HAS_PROC, reason="process CPU times come from /proc")
def test_a_live_child_counts_as_own_cpu():
    burn = "import sys, time\nwhile time.process_time() < 0.2:\n    pass\nprint('done', flush=True)\nsys.stdin.read()\n"
    child = subprocess.Popen([sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "done"
        assert load._live_descendants_seconds(load.os.getpid()) >= 0.15
    finally:
        child.communicate(timeout=30)
