"""The conformance kit catches broken plugins, and a plugin that hangs fails within the kit's bounds.

Deliberately broken executors, sharing backends and workloads are checked by the kit in a pytest of
their own; each defect must fail exactly the contract test written for it.
"""

from __future__ import annotations

import textwrap

INNER_RUN_SECONDS = 180

BROKEN_PLUGINS = """
    import threading
    from concurrent.futures import Future, ThreadPoolExecutor

    import pytest

    from futstrat import Check, StrategySpec, Param, SharedCounter, SharingSpec, Task, Workload
    from futstrat.testing import ExecutorContract, SharingContract, WorkloadContract


    class LosesErrorTypes(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            return super().submit(call_hiding_errors, fn, *args, **kwargs)


    def call_hiding_errors(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise RuntimeError(str(exc)) from None


    class MapsOutOfOrder(ThreadPoolExecutor):
        def map(self, fn, *iterables, timeout=None, chunksize=1):
            return reversed(list(super().map(fn, *iterables, timeout=timeout)))


    class NeverFinishes(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            return Future()

        def shutdown(self, wait=True, *, cancel_futures=False):
            if wait:
                threading.Event().wait()


    def thread_spec(name, executor_class):
        return StrategySpec(
            name=name, description="broken on purpose", factory=lambda config: executor_class(config.workers)
        )


    class TestLosesErrorTypes(ExecutorContract):
        @pytest.fixture
        def executor_spec(self):
            return thread_spec("loses-error-types", LosesErrorTypes)


    class TestMapsOutOfOrder(ExecutorContract):
        @pytest.fixture
        def executor_spec(self):
            return thread_spec("maps-out-of-order", MapsOutOfOrder)


    class TestNeverFinishes(ExecutorContract):
        time_limit = 3.0
        patience = 0.5

        @pytest.fixture
        def executor_spec(self):
            return thread_spec("never-finishes", NeverFinishes)

        def test_something_the_kit_did_not_foresee_blocks(self):
            threading.Event().wait()


    class PlainCell:
        value = 0


    class CopyableLock:
        "A real lock in one process; pickled, it becomes a new, unrelated lock."

        def __init__(self):
            self._lock = threading.Lock()

        def __enter__(self):
            self._lock.acquire()

        def __exit__(self, *exc):
            self._lock.release()

        def __reduce__(self):
            return (CopyableLock, ())


    class CopiedSession:
        "A counter that claims to cross processes but is only copied into them."

        def __init__(self, request):
            self.counter = SharedCounter(PlainCell(), CopyableLock())

        def worker_initializer(self):
            return None

        def task_argument(self, crosses_processes):
            return self.counter

        def final_value(self):
            return self.counter.value

        def close(self):
            pass


    class TestCopiedSharing(SharingContract):
        strategies = ("thread", "process")

        @pytest.fixture
        def sharing_spec(self):
            return SharingSpec(name="copied", description="copied, not shared", open=CopiedSession)


    def sum_range(first, last):
        return sum(range(first, last))


    class DropsTheLastResult(Workload):
        name = "drops-the-last-result"
        description = "the sum of 0..n-1 in one range per worker, losing a range when there are over two"
        params = (Param("n", int, 1000, "how many numbers", minimum=1),)

        def tasks(self, params, plan):
            bounds = [params["n"] * i // plan.workers for i in range(plan.workers + 1)]
            return [Task(sum_range, (a, b)) for a, b in zip(bounds, bounds[1:])]

        def combine(self, results, params, shared_value):
            results = list(results)
            return sum(results[:-1] if len(results) > 2 else results)

        def check(self, value, params, plan, task_count):
            expected = params["n"] * (params["n"] - 1) // 2
            return Check(value == expected, expected, f"{value} against {expected}")


    class TestDropsTheLastResult(WorkloadContract):
        @pytest.fixture
        def workload_params(self):
            return {"n": 100}

        @pytest.fixture
        def workload(self):
            return DropsTheLastResult()
"""

SELECTED = (
    "TestLosesErrorTypes and exception_reaches"
    " or TestMapsOutOfOrder and (input_order or test_submit_returns)"
    " or TestNeverFinishes and (submit_returns or not_foresee)"
    " or TestCopiedSharing and exact_or_refused"
    " or TestDropsTheLastResult and any_number"
)


def test_the_kit_fails_each_defect_and_bounds_every_hang(pytester, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # summary lines in full
    pytester.makepyfile(test_broken=textwrap.dedent(BROKEN_PLUGINS))
    inner = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", "-k", SELECTED, timeout=INNER_RUN_SECONDS)
    inner.stdout.fnmatch_lines_random(
        [
            "FAILED *TestLosesErrorTypes::test_exception_reaches_the_caller_with_its_type_and_arguments*",
            "FAILED *TestMapsOutOfOrder::test_map_keeps_the_input_order*",
            "PASSED *TestMapsOutOfOrder::test_submit_returns_the_result*",
            "FAILED *TestCopiedSharing::test_counter_is_exact_or_refused_with_a_reason[[]process[]]*",
            "PASSED *TestCopiedSharing::test_counter_is_exact_or_refused_with_a_reason[[]thread[]]*",
            "PASSED *TestDropsTheLastResult::test_answer_checks_out_from_any_number_of_workers[[]2-workers[]]*",
            "FAILED *TestDropsTheLastResult::test_answer_checks_out_from_any_number_of_workers[[]3-workers[]]*",
        ]
    )
    inner.stdout.fnmatch_lines_random(
        [
            "FAILED *TestNeverFinishes::test_submit_returns_the_result*TimeoutError*",
            "ERROR *TestNeverFinishes::test_submit_returns_the_result*never-finishes: shutdown(wait=True) did not"
            " return within 0.5 s*",
            "FAILED *TestNeverFinishes::test_something_the_kit_did_not_foresee_blocks*longer than its limit of 3 s*",
        ]
    )
