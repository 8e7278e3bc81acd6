"""The shared-state workloads: histogram, histogram-race, lookup and wordcount.

Their checks are tested with right and wrong answers made up here; small real runs go through every
backend that accepts them, in threads and in worker processes.
"""

from __future__ import annotations

import pickle

import pytest

import futstrat
from futstrat.builtin import state_tasks
from futstrat.builtin.workloads.histogram import HistogramRaceWorkload, HistogramWorkload, serial_histogram
from futstrat.builtin.workloads.lookup import LookupWorkload, expected_sum, first_entry
from futstrat.builtin.workloads.wordcount import WordCountWorkload, serial_count
from futstrat.errors import RefusedError
from futstrat.model import PlanContext, RunStatus

PLAN = PlanContext(workers=2, sharing="none", strategy="serial")
HISTOGRAM = {"samples": 300, "bins": 8, "tasks": None}
LOOKUP = {"mb": 1, "reads": 3000, "tasks": None}
WORDS = {"words": 500, "tasks": None}


# -- the pseudo-random stream ----------------------------------------------------------------------


def test_the_stream_is_the_same_everywhere():
    # Pinned values: integer arithmetic only, so any platform and Python version gives exactly these.
    assert state_tasks.random_numbers(0, 3) == [376796944, 1430272678, 1508001829]
    assert state_tasks.random_numbers(7, 2) == [1838712906, 1323471863]


def test_each_task_gets_its_own_stream():
    assert state_tasks.random_numbers(0, 5) != state_tasks.random_numbers(1, 5)


# -- histogram -------------------------------------------------------------------------------------


def test_histogram_check_passes_the_serial_histogram():
    expected = serial_histogram(4, 300, 8)
    assert sum(expected) == 1200
    check = HistogramWorkload().check(expected, HISTOGRAM, PLAN, 4)
    assert check.passed, check.detail
    assert "every bin as in the serial histogram" in check.detail


def test_histogram_check_fails_a_wrong_bin():
    wrong = serial_histogram(4, 300, 8)
    wrong[3] -= 1
    check = HistogramWorkload().check(wrong, HISTOGRAM, PLAN, 4)
    assert not check.passed
    assert "1 of 8 bins differ" in check.detail
    assert "1199 of 1200 samples" in check.detail


def test_histogram_check_fails_a_wrong_number_of_bins():
    check = HistogramWorkload().check([1200], HISTOGRAM, PLAN, 4)
    assert not check.passed
    assert "1 bins where 8 were asked for" in check.detail


def test_histogram_race_check_reports_lost_updates():
    lost = serial_histogram(4, 300, 8)
    lost[0] -= 5
    lost[6] -= 1
    check = HistogramRaceWorkload().check(lost, HISTOGRAM, PLAN, 4)
    assert check.passed
    assert "6 of 1200 updates lost (0.5%) in 2 of 8 bins without the lock" in check.detail


def test_histogram_race_check_says_when_none_were_lost():
    check = HistogramRaceWorkload().check(serial_histogram(4, 300, 8), HISTOGRAM, PLAN, 4)
    assert check.passed
    assert "no updates lost this time" in check.detail


def test_histogram_race_check_fails_a_bin_that_gained():
    # A lost update only ever loses: a bin above its serial count is a bug, whatever the total says.
    wrong = serial_histogram(4, 300, 8)
    wrong[2] += 1
    wrong[5] -= 3
    check = HistogramRaceWorkload().check(wrong, HISTOGRAM, PLAN, 4)
    assert not check.passed
    assert "hold more than the samples" in check.detail


def test_histogram_race_check_fails_when_everything_was_lost():
    check = HistogramRaceWorkload().check([0] * 8, HISTOGRAM, PLAN, 4)
    assert not check.passed


# -- lookup ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("reads", [1, 250, 251, 252, 1000, 5021])
def test_lookup_closed_form_matches_reading_the_table(reads):
    table = state_tasks.make_table(1)
    length = len(table)
    assert length % state_tasks.TABLE_PERIOD == 0
    for task in range(3):
        first = first_entry(task, 3, length)
        assert state_tasks.read_entries(table, first, reads) == expected_sum(first, reads)


def test_lookup_check_passes_the_closed_form_and_fails_anything_else():
    table = state_tasks.make_table(1)
    tasks = 4
    answer = sum(
        state_tasks.read_entries(table, first_entry(task, tasks, len(table)), LOOKUP["reads"]) for task in range(tasks)
    )
    workload = LookupWorkload()
    assert workload.check(answer, LOOKUP, PLAN, tasks).passed
    wrong = workload.check(answer + 1, LOOKUP, PLAN, tasks)
    assert not wrong.passed
    assert f"closed form {answer}" in wrong.detail


def test_lookup_table_travels_with_each_task_when_nothing_is_shared():
    workload = LookupWorkload()
    tasks = list(workload.tasks(LOOKUP, PlanContext(workers=2, sharing="none", strategy="process")))
    assert len(tasks) == 16
    # Each task on its own pickles the whole table: that is what sharing none costs a process pool.
    assert all(len(pickle.dumps(task.args)) > 2**20 - 1000 for task in tasks[:2])
    shared = list(workload.tasks(LOOKUP, PlanContext(workers=2, sharing="shm", strategy="process")))
    assert all(len(pickle.dumps(task.args)) < 100 for task in shared)


# -- wordcount -------------------------------------------------------------------------------------


def test_wordcount_check_passes_the_serial_count_and_names_a_wrong_word():
    workload = WordCountWorkload()
    expected = serial_count(3, 500)
    assert sum(expected.values()) == 1500
    assert workload.check(dict(expected), WORDS, PLAN, 3).passed
    wrong = dict(expected)
    word = sorted(wrong)[0]
    wrong[word] += 2
    check = workload.check(wrong, WORDS, PLAN, 3)
    assert not check.passed
    assert f"{word!r}: {expected[word] + 2} instead of {expected[word]}" in check.detail


def test_wordcount_check_fails_a_missing_or_extra_word():
    workload = WordCountWorkload()
    expected = serial_count(3, 500)
    missing = dict(expected)
    missing.pop(sorted(missing)[-1])
    assert not workload.check(missing, WORDS, PLAN, 3).passed
    assert not workload.check({**expected, "extra": 1}, WORDS, PLAN, 3).passed


# -- small real runs -------------------------------------------------------------------------------

#: Which backends each workload accepts, written out here rather than read from the vetting code.
ACCEPTED = {
    "histogram": ("none", "value", "manager", "shm"),
    "histogram-race": ("value", "manager", "shm"),
    "lookup": ("none", "value", "manager", "shm"),
    "wordcount": ("none", "manager"),
}
REFUSED = {
    "histogram-race": {"none": "needs shared state"},
    "wordcount": {"value": "has no dict", "shm": "mapping"},
}
SMALL = {
    "histogram": {"samples": 400, "bins": 8},
    "histogram-race": {"samples": 400, "bins": 8},
    "lookup": {"mb": 1, "reads": 2000},
    "wordcount": {"words": 400},
}
RUNS = [
    pytest.param(workload, strategy, sharing, id=f"{workload}-{strategy}-{sharing}")
    for workload, backends in ACCEPTED.items()
    for strategy in ("thread", "process")
    for sharing in backends
]


@pytest.mark.parametrize(("workload", "strategy", "sharing"), RUNS)
def test_small_run_checks_out(workload, strategy, sharing):
    report = futstrat.run(workload, strategy, sharing=sharing, workers=2, params=SMALL[workload], timeout=120)
    assert report.status is RunStatus.PASSED, (report.error, report.traceback, report.check)
    assert report.sharing == sharing


@pytest.mark.parametrize(
    ("workload", "sharing", "words"),
    [(w, s, words) for w, refusals in REFUSED.items() for s, words in refusals.items()],
)
def test_backend_that_cannot_serve_the_slots_refuses_with_the_reason(workload, sharing, words):
    with pytest.raises(RefusedError) as refused:
        futstrat.run(workload, "process", sharing=sharing, workers=2, params=SMALL[workload], timeout=60)
    assert any(words in reason for reason in refused.value.reasons), refused.value.reasons


def test_lookup_under_process_with_sharing_none_ships_the_table_and_checks_out():
    report = futstrat.run("lookup", "process", sharing="none", workers=2, params={"mb": 2, "reads": 500}, timeout=120)
    assert report.status is RunStatus.PASSED, report.error
    assert report.check is not None
    assert "2,097,105-byte table" in report.check.detail


def test_histogram_race_loses_updates_across_processes_and_says_so():
    report = futstrat.run(
        "histogram-race", "process", sharing="value", workers=2, params={"samples": 100_000, "bins": 2}, timeout=120
    )
    assert report.ok, report.error
    assert report.check is not None
    assert "updates lost" in report.check.detail or "no updates lost" in report.check.detail
