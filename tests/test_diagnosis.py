"""The diagnosis under compare's verdict: its rules on made-up figures, and where it shows up.

The rules are tested on figures made up after the workloads whose reason is known (pi on threads holds
the GIL, sleep waits, a large argument is costly to pickle, tiny tasks are dispatch-bound), since the
measured figures of a real run depend on how busy the machine is. The end-to-end runs check only that
the diagnosis is there, names its figures and is saved, and the figures that do not depend on timing.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from multiprocessing.reduction import ForkingPickler

import attrs
import pytest

from futstrat.cli import main
from futstrat.measure import Contender, Measurement, Trial, analyse, compare
from futstrat.measure import diagnosis as rules
from futstrat.measure import profile as profiling
from futstrat.measure.diagnosis import StrategyFigures, diagnose, figures_of, sentence
from futstrat.measure.load import CpuUse
from futstrat.measure.profile import ComputeProfiler, PickledSample, RunProfile, pickle_sample
from futstrat.model import Check, RunReport, RunStatus, Timings
from futstrat.report.comparison_view import render_comparison
from futstrat.runner import execute, plan_run
from tests.user_workloads.shipping import length_of

MIB = 1024 * 1024
LARGE_ARGUMENT = "tests.user_workloads.shipping:LargeArgument"


def figures(**changes: object) -> StrategyFigures:
    """A thread pool of 2 on 2 CPUs that ran 8 long tasks, busy all the time: change what a test needs."""
    base = StrategyFigures(
        strategy="thread",
        sharing="none",
        workers=2,
        cpus=2,
        concurrent=True,
        crosses_processes=False,
        runs=5,
        tasks=8,
        startup=0.003,
        shutdown=0.001,
        total=0.5,
        compute_seconds=5 * 0.496,
        cpu_per_wall=1.0,
        outside_cpus=0.0,
        chunks=40,
        seconds_in_chunks=2 * 5 * 0.49,
    )
    return attrs.evolve(base, **changes)


def kinds(found: list[rules.Finding]) -> list[str]:
    return [f.kind for f in found]


# -- the rules, one known reason each ---------------------------------------------------------------


def test_a_thread_pool_near_one_cpu_holds_the_gil():
    [finding] = diagnose(figures(cpu_per_wall=1.02))
    assert finding.kind == "gil-bound"
    assert "1.02 CPU-seconds per second of compute with 2 threads" in finding.text
    assert "GIL" in finding.text
    assert finding.figures == {"cpu_per_wall": 1.02, "workers": 2}


def test_a_thread_pool_near_its_worker_count_releases_the_gil():
    [finding] = diagnose(figures(cpu_per_wall=1.93))
    assert finding.kind == "releases-gil"
    assert "1.93 CPU-seconds" in finding.text


@pytest.mark.parametrize(("strategy", "concurrent", "workers"), [("thread", True, 8), ("serial", False, 1)])
def test_tasks_that_use_little_cpu_wait(strategy, concurrent, workers):
    """sleep: threads use almost no CPU, yet are fast, because the waits overlap."""
    busy = workers * 5 * 0.49
    found = diagnose(
        figures(strategy=strategy, concurrent=concurrent, workers=workers, cpu_per_wall=0.04, seconds_in_chunks=busy)
    )
    [finding] = found
    assert finding.kind == "waits"
    assert finding.text.startswith("0.04 CPU-seconds per second of compute: its tasks mostly wait")
    assert ("8 threads wait at the same time" in finding.text) is concurrent


@pytest.mark.parametrize(("cpu", "kind"), [(0.98, "cpu-bound"), (0.5, "partly-waits")])
def test_serial_near_one_cpu_is_cpu_bound_and_below_it_partly_waits(cpu, kind):
    [finding] = diagnose(figures(strategy="serial", concurrent=False, workers=1, cpu_per_wall=cpu))
    assert finding.kind == kind
    assert f"{cpu:.2f} CPU-seconds" in finding.text


def test_process_workers_that_keep_their_cpus_busy_compute_in_parallel():
    [finding] = diagnose(figures(strategy="process", crosses_processes=True, cpu_per_wall=1.9))
    assert finding.kind == "parallel"
    assert "1.90 CPU-seconds per second of compute of the 2 CPUs its 2 workers could use" in finding.text


def test_workers_beyond_the_cpus_are_not_expected_to_add_cpu():
    """8 workers on 2 CPUs can keep only 2 busy: 1.8 of 2 is parallel."""
    busy = 8 * 5 * 0.49
    [finding] = diagnose(
        figures(strategy="process", crosses_processes=True, workers=8, cpu_per_wall=1.8, seconds_in_chunks=busy)
    )
    assert finding.kind == "parallel"
    assert finding.figures["usable_cpus"] == 2


def test_processes_that_wait_outside_tasks_are_not_said_to_run_waiting_tasks():
    """A 1 MiB argument per task: the processes wait on the pipe, not in the tasks, and the CPU is low."""
    found = diagnose(
        figures(strategy="process", crosses_processes=True, cpu_per_wall=0.1, seconds_in_chunks=0.002,
                sampled_tasks=3, argument_bytes_per_task=MIB)
    )  # fmt: skip
    assert kinds(found) == ["pickling-bound"]


def test_large_arguments_make_a_process_pool_pickling_bound():
    found = diagnose(
        figures(
            strategy="process",
            crosses_processes=True,
            cpu_per_wall=0.6,
            seconds_in_chunks=0.002,
            sampled_tasks=15,
            argument_bytes_per_task=5 * MIB,
            result_bytes_per_task=8.0,
            pickle_seconds_per_task=0.004,
        )
    )
    assert kinds(found) == ["pickling-bound"]  # the CPU figure says less than the reason, so it goes
    text = found[0].text
    assert "each task ships 5 MiB of arguments and 8 bytes of results (pickled sample of 15 tasks)" in text
    assert "4 ms per task to pickle and unpickle" in text
    assert "its workers are inside tasks for under 1% of the compute phase" in text
    assert found[0].figures["bytes_per_task"] == 5 * MIB + 8


def test_tiny_tasks_make_a_pool_dispatch_bound():
    found = diagnose(
        figures(
            strategy="process",
            crosses_processes=True,
            cpu_per_wall=None,
            tasks=100_000,
            runs=1,
            compute_seconds=0.2,
            chunks=25,
            seconds_in_chunks=0.04,
            sampled_tasks=20,
            argument_bytes_per_task=30.0,
            result_bytes_per_task=5.0,
        )
    )
    assert kinds(found) == ["dispatch-bound"]
    text = found[0].text
    assert "its workers are inside tasks for only 10% of the compute phase" in text
    assert "per chunk of 4,000 tasks, 1.6 ms of work against 14.4 ms of sending, receiving and waiting" in text
    assert "(35 bytes pickled per task, sampled)" in text


def test_workers_busy_inside_tasks_are_not_dispatch_bound():
    assert kinds(diagnose(figures(cpu_per_wall=None))) == []


def test_a_large_table_sent_with_every_task_is_copy_bound_even_when_the_workers_keep_busy():
    """lookup with sharing none: each task gets 64 MiB, and its workers are busy reading it."""
    found = diagnose(
        figures(
            strategy="process",
            crosses_processes=True,
            cpu_per_wall=None,
            tasks=16,
            total=2.0,
            sampled_tasks=3,
            argument_bytes_per_task=64 * MIB,
            result_bytes_per_task=20.0,
            pickle_seconds_per_task=0.06,
        )
    )
    assert kinds(found) == ["copy-bound"]
    text = found[0].text
    assert "each task is sent 64 MiB pickled (sample of 3 tasks)" in text
    assert "60 ms per task, 48% of its total time: copying the data to every task decides" in text
    assert found[0].figures["copy_share"] == pytest.approx(0.48)


def test_data_the_processes_write_to_each_other_while_tasks_run_is_named_too():
    """lookup with a Manager: each task fetches the 64 MiB table through the Manager's socket, which no
    sample of the pickled tasks can see."""
    found = diagnose(
        figures(
            strategy="process",
            sharing="manager",
            crosses_processes=True,
            cpu_per_wall=None,
            sampled_tasks=3,
            argument_bytes_per_task=390.0,
            pickle_seconds_per_task=1e-5,
            written_bytes_per_task=64 * MIB + 500,
        )
    )
    assert kinds(found) == ["copy-bound"]
    assert found[0].text == (
        "its processes wrote 64 MiB per task to each other while the tasks ran (pipes and sockets, against"
        " 390 bytes pickled with each task): data is copied to every task while it runs"
    )
    assert found[0].figures == {"written_bytes_per_task": 64 * MIB + 500}


def test_writes_that_are_only_the_pickled_tasks_or_small_say_nothing_more():
    shipped = {"strategy": "process", "crosses_processes": True, "cpu_per_wall": None, "sampled_tasks": 3}
    small = figures(**shipped, argument_bytes_per_task=300.0, written_bytes_per_task=2000.0)
    assert kinds(diagnose(small)) == []
    # 100 KiB arguments, about what was written: the pickled sample already says it all.
    sent = figures(**shipped, argument_bytes_per_task=100e3, pickle_seconds_per_task=1e-5, written_bytes_per_task=110e3)
    assert kinds(diagnose(sent)) == []


def test_small_arguments_or_cheap_copies_are_not_copy_bound():
    shipped = {"strategy": "process", "crosses_processes": True, "cpu_per_wall": None, "sampled_tasks": 3}
    assert kinds(diagnose(figures(**shipped, argument_bytes_per_task=200.0, pickle_seconds_per_task=0.06))) == []
    assert kinds(diagnose(figures(**shipped, argument_bytes_per_task=64 * MIB, pickle_seconds_per_task=1e-4))) == []
    # Threads copy nothing, whatever the arguments weigh.
    threads = figures(cpu_per_wall=None, argument_bytes_per_task=64 * MIB, pickle_seconds_per_task=0.06)
    assert kinds(diagnose(threads)) == []


def test_start_up_and_shutdown_that_dominate_are_named_with_their_share():
    found = diagnose(figures(cpu_per_wall=None, startup=0.09, shutdown=0.03, total=0.2))
    assert kinds(found) == ["start-up-bound"]
    assert "start-up and shutdown take 60% of its total time (120 ms of 200 ms)" in found[0].text


def test_serial_has_no_pool_to_start():
    found = diagnose(
        figures(strategy="serial", concurrent=False, workers=1, cpu_per_wall=None, total=0.1, startup=0.09)
    )
    assert found == []


def test_no_cpu_figure_means_no_cpu_finding():
    assert diagnose(figures(cpu_per_wall=None)) == []


def test_other_programs_busy_meanwhile_are_said_beside_the_cpu_figure():
    [finding] = diagnose(figures(cpu_per_wall=0.9, outside_cpus=0.5))
    assert finding.kind == "gil-bound"
    assert "(other programs used 0.50 CPUs meanwhile, which lowers this figure)" in finding.text


@pytest.mark.parametrize(
    ("changes", "cpu"),
    [
        ({}, 0.04),  # sleeping threads, or threads kept off the CPUs?
        ({}, 0.9),  # the GIL, or a parallel pool that got one CPU of two?
        ({"strategy": "serial", "concurrent": False, "workers": 1}, 0.3),
        ({"strategy": "process", "crosses_processes": True}, 0.5),
    ],
)
def test_a_low_cpu_figure_on_a_full_machine_is_not_read_as_a_reason(changes, cpu):
    [finding] = diagnose(figures(cpu_per_wall=cpu, outside_cpus=1.95, **changes))
    assert finding.kind == "machine-busy"
    assert f"{cpu:.2f} CPU-seconds per second of compute, while other programs kept 1.95 of the 2 CPUs" in finding.text
    assert finding.figures == {"cpu_per_wall": cpu, "outside_cpus": 1.95}


def test_a_high_cpu_figure_on_a_full_machine_still_counts():
    """Other programs can only lower the figure: 1.6 CPUs used is parallel however full the machine was."""
    [finding] = diagnose(figures(strategy="process", crosses_processes=True, cpu_per_wall=1.6, outside_cpus=0.4))
    assert finding.kind == "parallel"


def test_a_combinations_findings_read_as_one_line():
    found = diagnose(figures(cpu_per_wall=1.0, startup=0.2, total=0.4))
    assert sentence(found).startswith("thread: 1.00 CPU-seconds")
    assert "; start-up and shutdown take 50%" in sentence(found)
    assert sentence([attrs.evolve(found[0], sharing="value")]).startswith("thread (sharing value): ")


# -- summing the runs' profiles ---------------------------------------------------------------------


def made_up_trial(profile: RunProfile | None, compute: float = 0.2, ok: bool = True) -> Trial:
    plan = plan_run("pi", "thread", workers=2, params={"n": 1000})
    contender = Contender("pi", "thread", "none", plan)
    report = RunReport(
        workload="pi",
        strategy="thread",
        sharing="none",
        workers=2,
        start_method=None,
        params=dict(plan.params),
        status=RunStatus.PASSED if ok else RunStatus.ERROR,
        value=math.pi,
        check=Check(ok, math.pi, "made up"),
        timings=Timings(0.01, compute, 0.005),
        tasks=8,
    )
    return Trial(contender, 1, False, report, CpuUse(0.3, 0.3, 0.0), profile)


def summed(trials: list[Trial]) -> StrategyFigures | None:
    return figures_of(
        trials,
        strategy="thread",
        sharing="none",
        workers=2,
        cpus=2,
        concurrent=True,
        crosses_processes=False,
        startup=0.01,
        shutdown=0.005,
        total=0.215,
        outside_cpus=None,
    )


def test_cpu_per_wall_is_the_ratio_of_the_sums_and_failed_runs_do_not_count():
    trials = [
        made_up_trial(RunProfile(wall=0.2, cpu=0.2, chunks=8, seconds_in_chunks=0.4, pickled=None)),
        made_up_trial(RunProfile(wall=0.3, cpu=0.4, chunks=8, seconds_in_chunks=0.3, pickled=None)),
        made_up_trial(RunProfile(wall=9.0, cpu=0.0, chunks=1, seconds_in_chunks=0.0, pickled=None), ok=False),
        made_up_trial(None),
    ]
    result = summed(trials)
    assert result is not None
    assert result.runs == 2
    assert result.cpu_per_wall == pytest.approx(0.6 / 0.5)
    assert result.chunks == 16
    assert result.busy_share == pytest.approx(0.7 / (2 * 0.4))
    assert result.tasks_per_chunk == 1.0


def test_too_short_a_compute_phase_or_an_unseen_cpu_gives_no_cpu_figure():
    short = [made_up_trial(RunProfile(wall=0.02, cpu=0.02, chunks=8, seconds_in_chunks=0.01, pickled=None))]
    unseen = [made_up_trial(RunProfile(wall=1.0, cpu=None, chunks=8, seconds_in_chunks=0.01, pickled=None))]
    assert summed(short).cpu_per_wall is None  # type: ignore[union-attr]
    assert summed(unseen).cpu_per_wall is None  # type: ignore[union-attr]
    assert summed([made_up_trial(None)]) is None


def test_the_pickled_samples_of_the_runs_are_summed_per_task():
    sample = PickledSample(tasks=3, argument_bytes=3000, results=2, result_bytes=20, seconds=0.003)
    result = summed([made_up_trial(RunProfile(0.2, 0.2, 8, 0.4, sample)) for _ in range(2)])
    assert result is not None
    assert (result.sampled_tasks, result.argument_bytes_per_task, result.result_bytes_per_task) == (6, 1000, 10)
    assert result.pickle_seconds_per_task == pytest.approx(0.001)


def test_the_shared_argument_counts_with_the_arguments_of_every_task():
    sample = PickledSample(tasks=3, argument_bytes=3000, results=2, result_bytes=20, seconds=0.003, shared_bytes=300)
    result = summed([made_up_trial(RunProfile(0.2, 0.2, 8, 0.4, sample)) for _ in range(2)])
    assert result is not None
    assert (result.argument_bytes_per_task, result.shared_bytes_per_task) == (1100, 100)


# -- measuring ----------------------------------------------------------------------------------------


def test_a_sample_is_pickled_as_it_travels_and_what_cannot_be_pickled_is_left_out():
    sample = pickle_sample([[length_of, bytes(MIB)], [lambda: 0]], [[1, 2, 3]])
    assert sample.tasks == 2  # the first chunk; the lambda's cannot be pickled
    assert sample.argument_bytes > MIB
    assert sample.results == 3
    assert 0 < sample.result_bytes < 100
    assert sample.shared_bytes == 0


def test_the_shared_argument_is_pickled_once_for_each_sampled_chunk():
    token = ("a shared state token", 1)
    sample = pickle_sample([[length_of, b"x"], [length_of, b"y"]], [], shared=token)
    assert sample.shared_bytes == 2 * len(ForkingPickler.dumps(token))
    unpicklable = pickle_sample([[length_of, b"x"]], [], shared=lambda: 0)
    assert unpicklable.shared_bytes == 0


@pytest.mark.skipif(not profiling.workers_cpu_visible(), reason="needs Linux's /proc")
def test_bytes_written_count_this_process_and_processes_started_meanwhile():
    before = profiling.bytes_written_by_tree()
    assert before is not None
    reader, writer = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdout.buffer.write(bytes(1 << 20)); input()"],
            stdout=writer,
            stdin=subprocess.PIPE,
        )
        os.close(writer)
        received = 0
        while received < 1 << 20:
            received += len(os.read(reader, 1 << 20))
        with open(os.devnull, "wb") as sink:
            sink.write(bytes(1 << 19))
        after = profiling.bytes_written_by_tree()  # the child is alive: it waits on its stdin
        child.communicate(b"\n", timeout=30)
    finally:
        os.close(reader)
    written = profiling.written_between(before, after)
    assert written is not None
    assert written >= (1 << 20) + (1 << 19)
    assert profiling.written_between(None, after) is None


def test_a_manager_s_replies_are_counted_as_bytes_written():
    plan = plan_run("lookup", "process", sharing="manager", workers=2, params={"mb": 1, "reads": 10, "tasks": 4})
    profiler = ComputeProfiler(crosses_processes=True)
    assert execute(plan, observer=profiler).ok
    profile = profiler.profile()
    assert profile is not None
    if not profiling.workers_cpu_visible():
        pytest.skip("needs Linux's /proc")
    assert profile.bytes_written is not None
    assert profile.bytes_written >= 4 * 1_000_000  # each task fetched the whole table


def test_worker_cpu_that_cannot_be_seen_is_not_reported(monkeypatch):
    monkeypatch.setattr(profiling, "workers_cpu_visible", lambda: False)
    plan = plan_run("tiny", "process", workers=2, params={"n": 2000}, timeout=60)
    profiler = ComputeProfiler(crosses_processes=True)
    report = execute(plan, observer=profiler)
    assert report.ok, report.error
    profile = profiler.profile()
    assert profile is not None
    assert profile.cpu is None
    assert profile.chunks >= 1
    assert profile.pickled is not None
    assert profile.pickled.tasks >= 1


def test_a_run_in_one_process_reads_its_cpu_without_walking_the_process_tree(monkeypatch):
    def walk() -> float:
        raise AssertionError("walked /proc for a run that has no other process")

    monkeypatch.setattr(profiling, "own_cpu_seconds", walk)
    plan = plan_run("pi", "thread", workers=2, params={"n": 200_000}, timeout=60)
    profiler = ComputeProfiler(crosses_processes=False)
    assert execute(plan, observer=profiler).ok
    profile = profiler.profile()
    assert profile is not None
    assert profile.cpu is not None


class SlowObserver(ComputeProfiler):
    def compute_starting(self) -> None:
        time.sleep(0.5)
        super().compute_starting()


def test_the_observers_own_time_belongs_to_no_phase():
    """Were the half second counted, the compute phase of 100 tiny tasks would take more than it."""
    plan = plan_run("tiny", "serial", params={"n": 100}, timeout=60)
    report = execute(plan, observer=SlowObserver(crosses_processes=False))
    assert report.ok
    assert report.timings.compute < 0.5
    assert report.timings.startup < 0.5


def test_the_dispatcher_counts_every_chunk_and_its_seconds_in_the_worker():
    plan = plan_run("tiny", "thread", workers=2, params={"n": 5000}, chunksize=100, timeout=60)
    profiler = ComputeProfiler(crosses_processes=False)
    assert execute(plan, observer=profiler).ok
    profile = profiler.profile()
    assert profile is not None
    assert profile.chunks == 50
    assert profile.seconds_in_chunks > 0
    assert profile.pickled is None  # threads pickle nothing, so nothing is sampled


def test_a_run_that_fails_has_no_profile():
    plan = plan_run("tests.user_workloads.squares:failing", "thread", workers=2, params={"n": 4}, timeout=60)
    profiler = ComputeProfiler(crosses_processes=False)
    assert not execute(plan, observer=profiler).ok
    assert profiler.profile() is None


# -- end to end ---------------------------------------------------------------------------------------


def test_compare_explains_a_pickling_bound_process_pool_with_its_figures(tmp_path, capsys):
    path = tmp_path / "run.json"
    code = main(["compare", LARGE_ARGUMENT, "--strategies", "serial,process", "--workers", "2",
                 "--param", "tasks=6", "--param", "kib=1024", "--repeat", "1", "--warmup", "0",
                 "--timeout", "60", "--json", str(path)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "why, from what the runs measured:" in out
    why = out.split("why, from what the runs measured:\n", 1)[1]
    process_line = next(line for line in why.splitlines() if line.startswith("  process: "))
    assert "each task ships 1 MiB of arguments" in process_line
    assert "(pickled sample of 3 tasks)" in process_line
    data = json.loads(path.read_text())
    found = {f["kind"]: f for f in data["diagnosis"] if f["strategy"] == "process"}
    assert "pickling-bound" in found  # each task does len() on 1 MiB: nothing else costs
    process = found["pickling-bound"]
    assert process["text"] in process_line
    assert process["figures"]["bytes_per_task"] >= 1024 * 1024
    combination = next(c for c in data["combinations"] if c["strategy"] == "process")
    assert combination["figures"]["argument_bytes_per_task"] >= 1024 * 1024
    assert combination["figures"]["sampled_tasks"] == 3
    assert combination["samples"][0]["profile"]["chunks"] == 6


def test_every_finding_names_its_figures_in_the_json_and_the_table(capsys):
    comparison = compare("pi", ["serial", "thread", "process"], params={"n": 300_000}, workers=2, repeat=2, warmup=0)
    assert comparison.diagnosis, "a comparison of pi on threads and processes says something about the CPU"
    text = render_comparison(comparison)
    for finding in comparison.diagnosis:
        assert finding.text in text
        assert finding.figures
        if "cpu_per_wall" in finding.figures:
            assert f"{finding.figures['cpu_per_wall']:.2f} CPU-seconds" in finding.text
        if "busy_share" in finding.figures:
            assert "inside tasks for" in finding.text


def test_a_comparison_without_profiles_has_no_diagnosis():
    """Saved or made-up trials without profiles (as from a plugin's own runner) give no block at all."""
    trial = made_up_trial(None)
    measurement = Measurement([trial.contender], repeat=1, warmup=0, trials=[trial])
    comparison = analyse(measurement)
    assert comparison.diagnosis == ()
    assert "why, from" not in render_comparison(comparison)


def test_the_known_reasons_of_tiny_and_sleep_are_found_with_wide_margins():
    """tiny's tasks take a tenth of a microsecond, so process workers are inside them for a few percent
    of the compute phase (the rule's line is half); sleeping threads use almost no CPU (the line is 0.25
    CPU-seconds per second), whatever else the machine is doing."""
    tiny = compare("tiny", ["process"], params={"n": 50_000}, workers=2, repeat=1, warmup=0)
    assert "dispatch-bound" in [f.kind for f in tiny.diagnosis]
    figures_of_tiny = tiny.ranked[0].figures
    assert figures_of_tiny is not None
    assert figures_of_tiny.tasks_per_chunk is not None
    assert figures_of_tiny.tasks_per_chunk > 1
    sleep = compare("sleep", ["thread"], params={"tasks": 40, "seconds": 0.02}, workers=8, repeat=2, warmup=0)
    first = sleep.diagnosis[0]
    if first.kind == "machine-busy":  # other programs filled the machine: the figure cannot say it waits
        cpus = sleep.ranked[0].figures.cpus  # type: ignore[union-attr]
        assert first.figures["outside_cpus"] + first.figures["cpu_per_wall"] >= rules.FULL_MACHINE * cpus
    else:
        assert first.kind == "waits"


def test_the_plots_caption_is_the_diagnosis():
    from futstrat.report.comparison_view import diagnosis_lines
    from futstrat.report.plot import caption

    comparison = compare("sleep", ["serial", "thread"], params={"tasks": 8, "seconds": 0.02}, workers=4, repeat=1,
                         warmup=0)  # fmt: skip
    lines = diagnosis_lines(comparison)
    assert lines
    text = caption(comparison)
    assert text.startswith("why, from what the runs measured:\n")
    assert " ".join(text.split()).endswith(" ".join(lines[-1].split()))


def test_a_run_that_makes_its_own_context_switches_waits_however_full_the_machine_is():
    """Sleeping threads give up the CPU themselves; pi kept off the CPUs by other programs does not."""
    [waits] = diagnose(figures(cpu_per_wall=0.04, outside_cpus=1.95, voluntary_switches=90, involuntary_switches=110))
    assert waits.kind == "waits"
    assert "45% of its 200 context switches were its own, to wait" in waits.text
    assert waits.figures["own_switch_share"] == pytest.approx(0.45)
    [kept_off] = diagnose(
        figures(cpu_per_wall=0.9, outside_cpus=1.8, voluntary_switches=3, involuntary_switches=20_000)
    )
    assert kept_off.kind == "machine-busy"
    [too_few] = diagnose(figures(cpu_per_wall=0.04, outside_cpus=1.95, voluntary_switches=5, involuntary_switches=5))
    assert too_few.kind == "machine-busy"


def test_a_run_in_one_process_counts_its_context_switches():
    plan = plan_run("sleep", "thread", workers=4, params={"tasks": 8, "seconds": 0.01}, timeout=60)
    profiler = ComputeProfiler(crosses_processes=False)
    assert execute(plan, observer=profiler).ok
    profile = profiler.profile()
    assert profile is not None
    assert profile.voluntary_switches is not None
    assert profile.voluntary_switches >= 8  # each sleep gives up the CPU
    assert profile.involuntary_switches is not None
