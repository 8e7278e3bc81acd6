"""The machine read honestly: CPU quotas, CPU speed and policy, free-threaded builds.

Every reader takes the root it reads from, so these tests build small fixture trees of ``/proc`` and
``/sys`` files (no root, no real control group) and patch the interpreter's flags: nothing here depends on
how fast this machine runs.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

import pytest

from futstrat import runner
from futstrat.measure.machine import MachineFacts, machine_warnings, read_machine
from futstrat.measure.machine.cpus import (
    AFFINITY,
    CGROUP_V1,
    CGROUP_V2,
    CPU_COUNT,
    OVERRIDE_VARIABLE,
    OVERRIDE_X_OPTION,
    CpuQuota,
    UsableCpus,
    cgroup_quota,
    cpu_count_override,
    decide_usable_cpus,
    parse_cpu_list,
    read_usable_cpus,
)
from futstrat.measure.machine.frequency import CpuFacts, read_cpu_facts
from futstrat.measure.machine.interpreter import InterpreterThreading, read_interpreter_threading


def tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (path under root: content) and return the root."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


# -- usable CPUs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cpus"),
    [("0-3", (0, 1, 2, 3)), ("0,2,4-5\n", (0, 2, 4, 5)), ("", ()), ("\n", ()), ("3-1", None), ("a", None)],
)
def test_the_kernel_s_cpu_lists_are_read(text, cpus):
    assert parse_cpu_list(text) == cpus


V2 = {"sys/fs/cgroup/cgroup.controllers": "cpu memory\n", "proc/self/cgroup": "0::/user.slice/app.scope\n"}


def test_a_cgroup_v2_quota_is_read_from_the_process_s_own_group(tmp_path):
    root = tree(tmp_path, {**V2, "sys/fs/cgroup/user.slice/app.scope/cpu.max": "150000 100000\n"})
    assert cgroup_quota(root) == CpuQuota(1.5, CGROUP_V2)


def test_a_cgroup_v2_parent_s_tighter_quota_wins(tmp_path):
    root = tree(
        tmp_path,
        {
            **V2,
            "sys/fs/cgroup/user.slice/app.scope/cpu.max": "max 100000\n",
            "sys/fs/cgroup/user.slice/cpu.max": "50000 100000\n",
            "sys/fs/cgroup/cpu.max": "300000 100000\n",
        },
    )
    assert cgroup_quota(root) == CpuQuota(0.5, CGROUP_V2)


def test_cgroup_v2_max_means_no_quota(tmp_path):
    root = tree(tmp_path, {**V2, "sys/fs/cgroup/user.slice/app.scope/cpu.max": "max 100000\n"})
    assert cgroup_quota(root) is None


def test_inside_a_container_the_mount_s_own_quota_counts(tmp_path):
    # The group's path names a directory the container cannot see; its own group is the mount's root.
    root = tree(
        tmp_path,
        {
            "sys/fs/cgroup/cgroup.controllers": "cpu\n",
            "proc/self/cgroup": "0::/docker/0123abcd\n",
            "sys/fs/cgroup/cpu.max": "200000 100000\n",
        },
    )
    assert cgroup_quota(root) == CpuQuota(2.0, CGROUP_V2)


V1 = {"proc/self/cgroup": "5:memory:/\n4:cpu,cpuacct:/batch\n"}


def test_a_cgroup_v1_quota_is_read(tmp_path):
    root = tree(
        tmp_path,
        {
            **V1,
            "sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_quota_us": "250000\n",
            "sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_period_us": "100000\n",
        },
    )
    assert cgroup_quota(root) == CpuQuota(2.5, CGROUP_V1)


def test_a_cgroup_v1_quota_of_minus_one_is_no_quota(tmp_path):
    root = tree(
        tmp_path,
        {
            **V1,
            "sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_quota_us": "-1\n",
            "sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_period_us": "100000\n",
        },
    )
    assert cgroup_quota(root) is None


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"proc/self/cgroup": "0::/\n"},
        {**V2, "sys/fs/cgroup/user.slice/app.scope/cpu.max": "garbage\n"},
        {**V1, "sys/fs/cgroup/cpu/cpu.cfs_quota_us": "50000\n"},  # no period: not a quota
    ],
    ids=["nothing", "no-mount", "unreadable-cpu-max", "v1-without-period"],
)
def test_no_readable_quota_is_no_quota(tmp_path, files):
    assert cgroup_quota(tree(tmp_path, files)) is None


@pytest.mark.parametrize(
    ("environ", "xoptions", "override"),
    [
        ({}, {}, None),
        ({"PYTHON_CPU_COUNT": "3"}, {}, (3, OVERRIDE_VARIABLE)),
        ({"PYTHON_CPU_COUNT": " 3 "}, {}, (3, OVERRIDE_VARIABLE)),
        ({"PYTHON_CPU_COUNT": "default"}, {}, None),
        ({"PYTHON_CPU_COUNT": "0"}, {}, None),
        ({"PYTHON_CPU_COUNT": "many"}, {}, None),
        ({"PYTHON_CPU_COUNT": "3"}, {"cpu_count": "5"}, (5, OVERRIDE_X_OPTION)),
        ({"PYTHON_CPU_COUNT": "3"}, {"cpu_count": "default"}, (3, OVERRIDE_VARIABLE)),
        ({}, {"cpu_count": True}, None),  # -X cpu_count with no value
    ],
)
def test_python_cpu_count_overrides_as_python_3_13_reads_it(environ, xoptions, override):
    assert cpu_count_override(environ, xoptions) == override


def test_the_tighter_of_affinity_and_quota_decides_and_a_quota_rounds_up():
    assert decide_usable_cpus(None, (8, AFFINITY), CpuQuota(1.5, CGROUP_V2), 16) == UsableCpus(
        2, CGROUP_V2, affinity=8, quota=1.5, online=16
    )
    assert decide_usable_cpus(None, (2, AFFINITY), CpuQuota(4.0, CGROUP_V1), 16).source == AFFINITY
    assert decide_usable_cpus(None, (4, AFFINITY), CpuQuota(0.2, CGROUP_V2), 4).count == 1
    assert decide_usable_cpus(None, (4, AFFINITY), None, 4) == UsableCpus(4, AFFINITY, 4, None, 4)


def test_an_override_decides_over_affinity_and_quota():
    decided = decide_usable_cpus((6, OVERRIDE_VARIABLE), (2, AFFINITY), CpuQuota(1.0, CGROUP_V2), 4)
    assert (decided.count, decided.source, decided.affinity, decided.quota) == (6, OVERRIDE_VARIABLE, 2, 1.0)


def test_without_an_affinity_the_online_count_decides():
    assert decide_usable_cpus(None, (None, CPU_COUNT), None, 3) == UsableCpus(3, CPU_COUNT, 3, None, 3)
    assert decide_usable_cpus(None, (None, CPU_COUNT), None, None).count == 1


def test_usable_cpus_are_read_from_the_tree_and_the_affinity(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    root = tree(tmp_path, {**V2, "sys/fs/cgroup/user.slice/app.scope/cpu.max": "150000 100000\n"})
    assert read_usable_cpus(root, environ={}, xoptions={}).to_dict() == {
        "usable": 2,
        "online": os.cpu_count(),
        "source": CGROUP_V2,
        "affinity": 4,
        "quota": 1.5,
    }
    assert read_usable_cpus(root, environ={"PYTHON_CPU_COUNT": "3"}, xoptions={}).count == 3


def test_the_default_worker_count_honours_python_cpu_count(monkeypatch):
    monkeypatch.setenv("PYTHON_CPU_COUNT", "7")
    assert runner.usable_cpus() == 7
    decided = runner.usable_cpus_and_source()
    assert (decided.count, decided.source) == (7, OVERRIDE_VARIABLE)
    monkeypatch.setenv("PYTHON_CPU_COUNT", "default")
    assert runner.usable_cpus_and_source().source != OVERRIDE_VARIABLE


# -- CPU model, speed and policy -----------------------------------------------------------------------

CPUINFO = """\
processor\t: 0
model name\t: Made-up CPU 9000 @ 2.40GHz
cpu MHz\t\t: 2400.125

processor\t: 1
model name\t: Made-up CPU 9000 @ 2.40GHz
cpu MHz\t\t: 1200.5
"""

CPUFREQ = {
    "proc/cpuinfo": CPUINFO,
    "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq": "3100000\n",
    "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq": "3500000\n",
    "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": "powersave\n",
    "sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq": "800000\n",
    "sys/devices/system/cpu/cpu1/cpufreq/cpuinfo_max_freq": "3500000\n",
    "sys/devices/system/cpu/cpu1/cpufreq/scaling_governor": "performance\n",
    "sys/devices/system/cpu/intel_pstate/no_turbo": "0\n",
    "sys/devices/system/cpu/isolated": "1\n",
}


def test_cpufreq_gives_speed_governor_turbo_and_isolated_cpus(tmp_path):
    facts = read_cpu_facts(tree(tmp_path, CPUFREQ))
    assert facts == CpuFacts(
        model="Made-up CPU 9000 @ 2.40GHz",
        current_mhz={0: 3100.0, 1: 800.0},
        max_mhz=3500.0,
        governors={0: "powersave", 1: "performance"},
        turbo=True,
        isolated=(1,),
    )
    assert facts.governor == "performance/powersave"
    assert facts.to_dict()["current_mhz"] == {"0": 3100.0, "1": 800.0}


def test_without_cpufreq_the_speed_comes_from_cpuinfo_and_the_rest_is_unknown(tmp_path):
    facts = read_cpu_facts(tree(tmp_path, {"proc/cpuinfo": CPUINFO, "sys/devices/system/cpu/cpu0/online": "1\n"}))
    assert facts == CpuFacts(model="Made-up CPU 9000 @ 2.40GHz", current_mhz={0: 2400.125, 1: 1200.5})
    assert (facts.governor, facts.turbo, facts.isolated, facts.max_mhz) == (None, None, None, None)


def test_an_empty_tree_is_all_unknown_and_no_error(tmp_path):
    assert read_cpu_facts(tmp_path) == CpuFacts()


@pytest.mark.parametrize(
    ("files", "turbo"),
    [
        ({"intel_pstate/no_turbo": "1\n"}, False),
        ({"intel_pstate/no_turbo": "1\n", "cpufreq/boost": "1\n"}, False),
        ({"cpufreq/boost": "1\n"}, True),
        ({"cpufreq/boost": "0\n"}, False),
        ({"cpufreq/boost": "?\n"}, None),
    ],
)
def test_turbo_is_read_from_intel_pstate_or_cpufreq_boost(tmp_path, files, turbo):
    root = tree(tmp_path, {f"sys/devices/system/cpu/{name}": text for name, text in files.items()})
    assert read_cpu_facts(root).turbo is turbo


def test_other_architectures_name_their_model_in_other_fields(tmp_path):
    root = tree(tmp_path, {"proc/cpuinfo": "processor\t: 0\nBogoMIPS\t: 50.00\n\nHardware\t: Made-up SoC\n"})
    assert read_cpu_facts(root).model == "Made-up SoC"


# -- free-threaded builds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "gil", "expected", "words"),
    [
        (1, lambda: False, InterpreterThreading(True, False), "free-threaded build, GIL off"),
        (1, lambda: True, InterpreterThreading(True, True), "with the GIL on (PYTHON_GIL=1"),
        (0, lambda: True, InterpreterThreading(False, True), "GIL build"),
        (None, None, InterpreterThreading(False, True), "GIL build"),
    ],
    ids=["3.13t", "3.13t-with-PYTHON_GIL=1", "3.13", "3.12"],
)
def test_a_free_threaded_build_is_told_apart_from_its_gil(monkeypatch, flag, gil, expected, words):
    if gil is None:  # before 3.13 there is no sys._is_gil_enabled
        monkeypatch.delattr("sys._is_gil_enabled", raising=False)
    threading = read_interpreter_threading({"Py_GIL_DISABLED": flag}.get, gil)
    assert threading == expected
    assert words in threading.describe()


def test_the_build_flag_and_the_gil_check_are_read_from_sysconfig_and_sys(monkeypatch):
    monkeypatch.setattr(sysconfig, "get_config_var", {"Py_GIL_DISABLED": 1}.get)
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: True, raising=False)
    assert read_interpreter_threading() == InterpreterThreading(free_threaded_build=True, gil_enabled=True)
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    assert read_interpreter_threading() == InterpreterThreading(free_threaded_build=True, gil_enabled=False)


def test_this_interpreter_is_read_without_patches():
    threading = read_interpreter_threading()
    assert isinstance(threading.free_threaded_build, bool)
    assert isinstance(threading.gil_enabled, bool)


# -- warnings before measuring -------------------------------------------------------------------------


def facts(governor: str | None = "performance", usable: int = 4) -> MachineFacts:
    governors = {} if governor is None else {0: governor}
    return MachineFacts(
        UsableCpus(usable, AFFINITY, usable, None, usable),
        CpuFacts(model="Made-up CPU", current_mhz={0: 2400.0}, max_mhz=3000.0, governors=governors, turbo=False),
        InterpreterThreading(False, True),
    )


def test_a_steady_idle_machine_gets_no_warning():
    assert machine_warnings(facts(), (0.1, 0.1, 0.1)) == []
    assert machine_warnings(facts(governor=None), None) == []


def test_a_governor_other_than_performance_is_warned_about():
    [line] = machine_warnings(facts(governor="powersave"), (0.0, 0.0, 0.0))
    assert line.startswith("the CPU frequency governor is powersave, not performance")


def test_a_busy_machine_is_warned_about_against_its_usable_cpus():
    [line] = machine_warnings(facts(usable=2), (1.5, 1.0, 1.0))
    assert line.startswith("the machine is busy: the load average is 1.50 with 2 usable CPUs")
    assert machine_warnings(facts(usable=8), (1.5, 1.0, 1.0)) == []


def test_the_header_names_the_machine():
    described = facts().describe()
    assert described == (
        "Made-up CPU, 4 of 4 CPUs usable (decided by os.sched_getaffinity), 2400 MHz (max 3000),"
        " governor performance, turbo off, GIL build"
    )
    assert read_machine().describe()  # the real machine reads without an error
