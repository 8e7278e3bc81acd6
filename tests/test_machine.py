"""The machine read honestly: CPU quotas, CPU speed and policy, free-threaded builds, steady cores.

Every reader takes the root it reads from, so these tests build small fixture trees of ``/proc`` and
``/sys`` files (no root, no real control group), patch the interpreter's flags, and give the steadiness
figures by hand: nothing here depends on how fast this machine runs.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

import pytest

from futstrat import runner
from futstrat.cli import main
from futstrat.machine.cpus import (
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
from futstrat.machine.facts import MachineFacts, machine_warnings, read_machine
from futstrat.machine.frequency import CpuFacts, read_cpu_facts
from futstrat.machine.interpreter import InterpreterThreading, read_interpreter_threading
from futstrat.machine.steadiness import CoreSteadiness, CoreTimings, probe_cores
from futstrat.measure import Contender, Trial, compare, measure, plan_contenders
from futstrat.measure.analysis import analyse
from futstrat.measure.diagnosis import unsteady_cores
from futstrat.report.comparison_shape import shape_problem
from futstrat.report.comparison_view import render_comparison, verdict
from futstrat.report.jsonfile import comparison_to_dict, load_json
from tests.test_measure_analysis import FIVE, fake_measurement
from tests.test_measure_trials import BOUND, TINY_PI


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


# -- steady cores --------------------------------------------------------------------------------------

PROBES = (
    CoreTimings(0, {0: 0.0010, 1: 0.0011}),
    CoreTimings(1, {0: 0.0014, 1: 0.0010}),
    CoreTimings(2, {0: 0.0012, 1: 0.0010}),
)


def test_the_spread_is_the_slowest_probe_over_the_fastest():
    steadiness = CoreSteadiness(PROBES)
    assert steadiness.spread == pytest.approx(0.4)
    data = steadiness.to_dict()
    assert data["spread"] == pytest.approx(0.4)
    assert data["cpus"]["0"] == {"fastest": 0.0010, "median": 0.0012, "slowest": 0.0014, "spread": 0.4}
    assert data["cpus"]["1"]["spread"] == pytest.approx(0.1)
    assert [p["round"] for p in data["probes"]] == [0, 1, 2]
    assert CoreSteadiness((CoreTimings(0, {0: 0.001}),)).spread is None


def test_the_verdict_clause_only_when_the_cores_moved_more_than_the_difference_judged():
    assert unsteady_cores(0.4, [0.12, 0.9]) == (
        "this machine's cores changed speed by up to 40% during the run, more than the 12% difference"
        " judged here: the host may have decided it"
    )
    assert unsteady_cores(0.05, [0.12]) is None
    assert unsteady_cores(0.3, []) == (
        "this machine's cores changed speed by up to 30% during the run, which can hide a difference as well as"
        " make one"
    )
    assert unsteady_cores(0.05, []) is None
    assert unsteady_cores(None, [0.12]) is None


def with_probes(probes: tuple[CoreTimings, ...], machine: MachineFacts | None = None):
    measurement = fake_measurement(FIVE)
    measurement.core_timings = list(probes)
    measurement.machine = machine
    return analyse(measurement)


def test_the_verdict_says_when_the_cores_changed_speed_more_than_the_ranking_s_differences():
    comparison = with_probes(PROBES)
    # process is 1.90x serial and thread 2.00x process: both differences are larger than 40%.
    assert "cores changed speed" not in verdict(comparison)
    unsteady = (CoreTimings(0, {0: 0.0010, 1: 0.0010}), CoreTimings(1, {0: 0.0025, 1: 0.0010}))
    assert verdict(with_probes(unsteady)).endswith(
        "; this machine's cores changed speed by up to 150% during the run, more than the 90% difference"
        " judged here: the host may have decided it"
    )
    assert "cores changed speed" not in verdict(analyse(fake_measurement(FIVE)))  # not probed


def test_the_report_header_and_the_json_carry_the_machine_and_the_cores(tmp_path):
    comparison = with_probes(PROBES, facts())
    lines = render_comparison(comparison).splitlines()
    assert lines[1] == f"machine: {facts().describe()}; the cores' speed varied by up to 40% between rounds"
    data = comparison_to_dict(comparison)
    assert data["core_speeds"]["spread"] == pytest.approx(0.4)
    assert data["metadata"]["cpus"]["source"] == AFFINITY
    assert data["metadata"]["cpu"]["model"] == "Made-up CPU"
    assert data["metadata"]["python"]["free_threaded_build"] is False
    assert shape_problem(data) is None


def test_files_from_before_the_machine_figures_are_still_accepted_and_a_wrong_one_is_named():
    data = comparison_to_dict(analyse(fake_measurement(FIVE)))
    assert data["core_speeds"] is None
    del data["core_speeds"]
    data["metadata"]["cpus"] = {"usable": 2, "online": 2}
    del data["metadata"]["cpu"]
    assert shape_problem(data) is None
    data["core_speeds"] = [1, 2]
    assert shape_problem(data) == "core_speeds should be an object or null, got a list"


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="pinning a thread needs Linux")
def test_the_probe_times_the_loop_on_each_cpu_and_leaves_the_affinity_alone():
    before = os.sched_getaffinity(0)
    seen: list[set[int]] = []

    def loop() -> float:
        seen.append(os.sched_getaffinity(0))
        return 0.001

    timings = probe_cores(3, loop=loop, repeats=2)
    assert timings == CoreTimings(3, dict.fromkeys(sorted(before), 0.001))
    assert seen == [{cpu} for cpu in sorted(before) for _ in range(2)]
    assert os.sched_getaffinity(0) == before


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="pinning a thread needs Linux")
def test_a_cpu_that_cannot_be_used_is_left_out():
    timings = probe_cores(0, cpus=[max(os.sched_getaffinity(0)) + 4096], loop=lambda: 0.001)
    assert timings is None


# -- probing between rounds ----------------------------------------------------------------------------


class Events:
    """The order of runs and probes."""

    def __init__(self) -> None:
        self.order: list[tuple[str, int]] = []

    def probe(self, finished_round: int) -> CoreTimings:
        self.order.append(("probe", finished_round))
        return CoreTimings(finished_round, {0: 0.001})

    def trial_starting(self, contender: Contender, warmup: bool, done: int, total: int) -> None:
        pass

    def trial_finished(self, trial: Trial, done: int, total: int) -> None:
        self.order.append((trial.contender.strategy, trial.round))


def test_the_cores_are_probed_before_the_first_round_and_between_rounds_never_inside_one():
    contenders = plan_contenders("pi", ["serial", "thread"], workers=2, params=TINY_PI, timeout=BOUND)
    events = Events()
    measurement = measure(contenders, repeat=2, warmup=1, observer=events, core_probe=events.probe)
    assert events.order == [
        ("probe", 0),
        ("serial", 1),
        ("thread", 1),
        ("probe", 1),
        ("thread", 2),
        ("serial", 2),
        ("probe", 2),
        ("serial", 3),
        ("thread", 3),
        ("probe", 3),
    ]
    assert [t.round for t in measurement.core_timings] == [0, 1, 2, 3]
    assert measurement.machine is not None


def test_the_probe_can_be_skipped():
    contenders = plan_contenders("pi", ["serial"], workers=1, params=TINY_PI, timeout=BOUND)
    assert measure(contenders, repeat=1, warmup=0, core_probe=None).core_timings == []
    assert compare("pi", ["serial"], workers=1, params=TINY_PI, timeout=BOUND, repeat=1, warmup=0,
                   probe_cores=False).core_steadiness is None  # fmt: skip


@pytest.mark.parametrize("skip", [False, True], ids=["probed", "--no-core-probe"])
def test_compare_records_the_cores_unless_told_not_to(tmp_path, capsys, skip):
    path = tmp_path / "run.json"
    args = ["compare", "pi", "--strategies", "serial", "--param", "n=2000", "--repeat", "1", "--warmup", "0"]
    code = main([*args, "--json", str(path), *(["--no-core-probe"] if skip else [])])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "\nmachine: " in out
    data = load_json(path)
    assert data["settings"]["core_probe"] is not skip
    if skip or not hasattr(os, "sched_setaffinity"):
        assert data["core_speeds"] is None
    else:
        assert [p["round"] for p in data["core_speeds"]["probes"]] == [0, 1]
        assert set(data["core_speeds"]["cpus"]) == {str(cpu) for cpu in os.sched_getaffinity(0)}
