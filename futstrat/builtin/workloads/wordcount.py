"""Word counts gathered into one shared dict (a mapping slot), checked against a serial count."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.builtin.state_tasks import count_words_into_mapping, count_words_locally
from futstrat.engine.splitting import TASKS_PARAM, task_count
from futstrat.model import Check, Param, PlanContext, Task, Workload
from futstrat.shared_state import Mapping as MappingSlot
from futstrat.shared_state import SharedStateNeed, Slot

WORDS_PARAM = Param("words", int, 20_000, "words of generated text each task counts", minimum=1, maximum=100_000_000)


def merged(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in counts:
        for word, count in part.items():
            total[word] = total.get(word, 0) + count
    return total


def serial_count(tasks: int, words: int) -> dict[str, int]:
    """One thread counting every task's text by itself: the answer to check against."""
    return merged(count_words_locally(seed, words) for seed in range(tasks))


class WordCountWorkload(Workload):
    name = "wordcount"
    description = (
        "each task counts the words of generated text and adds them to a shared dict (a mapping slot);"
        " with sharing none, each task's counts come back as its result"
    )
    params = (WORDS_PARAM, TASKS_PARAM)
    shared_state = SharedStateNeed.OPTIONAL
    preferred_sharing: tuple[str, ...] = ("manager", "none")

    def shared_slots(self, params: Mapping[str, Any], plan: PlanContext) -> Mapping[str, Slot]:
        return {"counts": MappingSlot()}

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        fn = count_words_locally if plan.sharing == "none" else count_words_into_mapping
        return [Task(fn, (seed, params["words"])) for seed in range(task_count(params, plan))]

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: Any) -> dict[str, int]:
        if shared_value is None:
            return merged(results)
        for _ in results:  # each task's result is only its word count
            pass
        return dict(shared_value.counts)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        expected = serial_count(task_count, params["words"])
        words = sum(expected.values())
        wrong = sorted(word for word in expected.keys() | value.keys() if value.get(word, 0) != expected.get(word, 0))
        if wrong:
            first = wrong[0]
            detail = (
                f"{len(wrong)} of {len(expected)} words counted differently from the serial count"
                f" ({first!r}: {value.get(first, 0)} instead of {expected.get(first, 0)});"
                f" {sum(value.values())} of {words} words counted"
            )
        else:
            detail = f"{words} words, {len(expected)} different ones, every count as in the serial count"
        return Check(passed=not wrong, expected=expected, detail=detail)
