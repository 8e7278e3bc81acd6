"""A histogram filled by every task at once: shared bins (an array slot), under their lock or racing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.builtin.state_tasks import bin_locally, bin_racing, bin_under_lock
from futstrat.engine.splitting import TASKS_PARAM, task_count
from futstrat.model import Check, Param, PlanContext, Task, Workload
from futstrat.shared_state import Array, Counter, SharedStateNeed, Slot

SAMPLES_PARAM = Param("samples", int, 10_000, "pseudo-random numbers each task bins", minimum=1, maximum=100_000_000)
BINS_PARAM = Param("bins", int, 16, "how many bins the histogram has", minimum=1, maximum=1_000_000)
#: Counts of up to 2**63 - 1 in each bin, whatever the backend keeps them in.
BIN_TYPECODE = "q"


def serial_histogram(tasks: int, samples: int, bins: int) -> list[int]:
    """The histogram one thread fills by itself from the same streams: the answer to check against."""
    total = [0] * bins
    for seed in range(tasks):
        for index, count in enumerate(bin_locally(seed, samples, bins)):
            total[index] += count
    return total


def summed(results: Iterable[list[int]], bins: int) -> list[int]:
    total = [0] * bins
    for counts in results:
        for index, count in enumerate(counts):
            total[index] += count
    return total


class HistogramWorkload(Workload):
    name = "histogram"
    description = (
        "each task bins a pseudo-random stream into shared bins under their lock; with sharing none,"
        " each task's histogram comes back as its result"
    )
    params = (SAMPLES_PARAM, BINS_PARAM, TASKS_PARAM)
    shared_state = SharedStateNeed.OPTIONAL
    preferred_sharing: tuple[str, ...] = ("shm", "value", "manager", "none")

    def shared_slots(self, params: Mapping[str, Any], plan: PlanContext) -> Mapping[str, Slot]:
        return {"bins": Array(BIN_TYPECODE, params["bins"])}

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        fn = bin_locally if plan.sharing == "none" else bin_under_lock
        return [Task(fn, (seed, params["samples"], params["bins"])) for seed in range(task_count(params, plan))]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: Any) -> list[int]:
        if shared_value is None:
            return summed(results, params["bins"])
        for _ in results:  # each task's result is only its sample count
            pass
        return [int(count) for count in shared_value.bins]

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        expected = serial_histogram(task_count, params["samples"], params["bins"])
        samples = task_count * params["samples"]
        wrong = [index for index, (got, want) in enumerate(zip(value, expected)) if got != want]
        if len(value) != len(expected):
            detail = f"{len(value)} bins where {len(expected)} were asked for"
        elif wrong:
            first = wrong[0]
            detail = (
                f"{len(wrong)} of {len(expected)} bins differ from the serial histogram"
                f" (bin {first}: {value[first]} instead of {expected[first]});"
                f" {sum(value)} of {samples} samples counted"
            )
        else:
            detail = f"{samples} samples in {len(expected)} bins, every bin as in the serial histogram"
        return Check(passed=list(value) == expected, expected=expected, detail=detail)


class HistogramRaceWorkload(HistogramWorkload):
    name = "histogram-race"
    description = "the shared histogram without its lock: tasks start together and updates get lost"
    shared_state = SharedStateNeed.REQUIRED
    preferred_sharing = ("shm", "value", "manager")

    def shared_slots(self, params: Mapping[str, Any], plan: PlanContext) -> Mapping[str, Slot]:
        # The counter slot is used only for its start line, so that the tasks really race.
        return {"bins": Array(BIN_TYPECODE, params["bins"]), "start": Counter()}

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        return [Task(bin_racing, (seed, params["samples"], params["bins"])) for seed in range(task_count(params, plan))]

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        # A demonstration: it passes when it reports what happened, lost updates or none. A race can
        # only lose an update, so no bin may hold more than the serial histogram's count.
        expected = serial_histogram(task_count, params["samples"], params["bins"])
        samples = sum(expected)
        lost = samples - sum(value)
        over = [index for index, (got, want) in enumerate(zip(value, expected)) if got > want]
        short = sum(1 for got, want in zip(value, expected) if got < want)
        if len(value) != len(expected):
            detail = f"{len(value)} bins where {len(expected)} were asked for"
        elif over:
            detail = f"{len(over)} bins hold more than the samples that fell in them (bin {over[0]}): not a lost update"
        elif lost > 0:
            detail = (
                f"{lost} of {samples} updates lost ({lost / samples:.1%}) in {short} of {len(expected)} bins"
                " without the lock"
            )
        else:
            detail = f"no updates lost this time ({samples} of {samples}); the race is still there"
        passed = len(value) == len(expected) and not over and 0 <= lost < samples
        return Check(passed=passed, expected=expected, detail=detail)
