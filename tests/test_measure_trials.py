"""The measuring loop on real, tiny runs: warm-ups, round-robin order, the trial hook, Ctrl-C, timeouts."""

from __future__ import annotations

import pytest

import futstrat
from futstrat.builtin.workloads.counter import CounterRaceWorkload
from futstrat.errors import RefusedError, UnknownNameError, UsageError
from futstrat.measure import Contender, Trial, compare, measure, plan_contenders
from futstrat.measure.trials import schedule
from futstrat.plugins import get_host
from futstrat.runner import plan_run

TINY_PI = {"n": 2000}
#: The runner's watchdog bounds every run, so a hang fails the test instead of blocking the suite.
BOUND = 30.0


def test_schedule_runs_warmups_first_and_rotates_each_round():
    order = schedule(3, repeat=2, warmup=1)
    assert order == [
        (1, True, 0), (1, True, 1), (1, True, 2),
        (2, False, 1), (2, False, 2), (2, False, 0),
        (3, False, 2), (3, False, 0), (3, False, 1),
    ]  # fmt: skip


def test_schedule_runs_each_combination_once_per_round():
    order = schedule(4, repeat=5, warmup=2)
    for number in range(1, 8):
        assert sorted(index for r, _, index in order if r == number) == [0, 1, 2, 3]


class TrialRecorder:
    """A plugin that records the trial hook's calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool, int, int]] = []

    @futstrat.hookimpl
    def futstrat_trial_finished(self, trial: Trial, done: int, total: int) -> None:
        self.calls.append((trial.contender.strategy, trial.warmup, done, total))


@pytest.fixture
def recorder():
    manager = get_host().manager
    plugin = TrialRecorder()
    manager.register(plugin, name="test-trial-recorder")
    yield plugin
    manager.unregister(plugin)


def test_every_trial_is_measured_checked_and_announced(recorder):
    contenders = plan_contenders("pi", ["serial", "thread"], workers=2, params=TINY_PI, timeout=BOUND)
    measurement = measure(contenders, repeat=2, warmup=1)
    assert not measurement.partial
    assert [(t.round, t.warmup, t.contender.strategy) for t in measurement.trials] == [
        (1, True, "serial"),
        (1, True, "thread"),
        (2, False, "thread"),
        (2, False, "serial"),
        (3, False, "serial"),
        (3, False, "thread"),
    ]
    assert all(t.ok and t.report.check is not None and t.report.check.passed for t in measurement.trials)
    assert all(t.cpu.wall > 0 for t in measurement.trials)
    assert recorder.calls == [
        (t.contender.strategy, t.warmup, done, 6) for done, t in enumerate(measurement.trials, start=1)
    ]


def test_the_sample_plugin_hears_about_trials():
    sample = pytest.importorskip("futstrat_sample_plugin", reason="tests/sample_plugin is installed by tox")
    sample.EVENTS.clear()
    compare("pi", ["serial"], workers=1, params=TINY_PI, timeout=BOUND, repeat=1, warmup=1)
    trials = [event for kind, event in sample.EVENTS if kind == "trial"]
    assert trials == ["serial warm-up passed 1/2", "serial sample passed 2/2"]


def test_refused_combinations_are_not_run(recorder):
    contenders = plan_contenders("pi", ["serial"], ["none", "value"], workers=1, params=TINY_PI, timeout=BOUND)
    assert [c.refused for c in contenders] == [False, True]
    assert "shares no state" in contenders[1].reasons[0]
    measurement = measure(contenders, repeat=1, warmup=0)
    assert [t.contender.sharing for t in measurement.trials] == ["none"]


def test_ctrl_c_keeps_the_trials_gathered_so_far():
    class InterruptOnThird:
        def trial_starting(self, contender: Contender, warmup: bool, done: int, total: int) -> None:
            if done == 2:
                raise KeyboardInterrupt

        def trial_finished(self, trial: Trial, done: int, total: int) -> None:
            pass

    contenders = plan_contenders("pi", ["serial", "thread"], workers=2, params=TINY_PI, timeout=BOUND)
    measurement = measure(contenders, repeat=3, warmup=0, observer=InterruptOnThird())
    assert measurement.partial
    assert len(measurement.trials) == 2
    assert measurement.planned == 6
    assert measurement.finished_at is not None


def test_a_combination_that_times_out_is_not_run_again():
    contenders = plan_contenders("sleep", ["thread"], workers=1, params={"tasks": 1, "seconds": 1.0}, timeout=0.2)
    measurement = measure(contenders, repeat=3, warmup=0)
    assert len(measurement.trials) == 1
    assert measurement.trials[0].report.status is futstrat.RunStatus.TIMEOUT
    assert "timeout" in measurement.stopped[contenders[0].label]


def test_names_and_counts_are_checked_before_anything_runs():
    with pytest.raises(UnknownNameError, match="did you mean 'process'"):
        plan_contenders("pi", ["proces"])
    with pytest.raises(UsageError, match="repeat"):
        measure([], repeat=0)
    with pytest.raises(UsageError, match="warmup"):
        measure([], warmup=-1)


def test_all_expands_to_every_registered_strategy():
    contenders = plan_contenders("pi", ["all"], workers=2, params=TINY_PI, timeout=BOUND)
    assert [c.strategy for c in contenders] == get_host().registry.strategies.names()


def test_a_refusal_carries_its_combination_as_fields_and_a_dotted_workload_keeps_its_registered_name():
    with pytest.raises(RefusedError) as caught:
        plan_run("tests.user_workloads.squares:square", "serial", sharing="value")
    refusal = caught.value
    assert (refusal.strategy, refusal.sharing) == ("serial", "value")
    assert refusal.combination == f"{refusal.workload} x serial x value"
    assert str(refusal).startswith(f"{refusal.combination} is refused: ")
    [contender] = plan_contenders("tests.user_workloads.squares:square", ["serial"], ["value"], workers=1)
    assert contender.workload == refusal.workload
    assert contender.reasons == tuple(refusal.reasons)


def test_a_refusal_with_no_backend_to_choose_from_names_no_sharing():
    class RaceWithNothingToShare(CounterRaceWorkload):
        preferred_sharing = ("none",)

    with pytest.raises(RefusedError) as caught:
        plan_run(RaceWithNothingToShare(), "serial")
    assert caught.value.sharing is None
    assert caught.value.combination == "counter-race x serial"
    assert caught.value.reasons[0].startswith("with sharing none: ")
