"""Every strategy hands out a concurrent.futures executor for code of one's own."""

from __future__ import annotations

import concurrent.futures as cf
import operator

import pytest

import futstrat
from futstrat.builtin.strategies import BUILTIN_STRATEGIES


@pytest.mark.parametrize("strategy", [spec.name for spec in BUILTIN_STRATEGIES])
def test_open_executor_gives_a_working_executor(strategy):
    with futstrat.open_executor(strategy, workers=2) as executor:
        assert isinstance(executor, cf.Executor)
        assert executor.submit(operator.add, 2, 3).result(timeout=30) == 5
        assert list(executor.map(abs, [-1, -2, -3], timeout=30)) == [1, 2, 3]
        done, _ = cf.wait([executor.submit(pow, 2, i) for i in range(5)], timeout=30)
        assert sorted(f.result() for f in done) == [1, 2, 4, 8, 16]
    with pytest.raises(RuntimeError):
        executor.submit(abs, -1)


def test_an_error_in_the_block_ends_the_workers():
    with pytest.raises(KeyError), futstrat.open_executor("pool-async", workers=2) as executor:
        raise KeyError("the caller's own error")
    with pytest.raises(Exception):  # noqa: B017, PT011 - the pool is gone, whatever it says about it
        executor.submit(abs, -1).result(timeout=5)


def test_an_unknown_strategy_is_named():
    with pytest.raises(futstrat.UsageError, match="did you mean 'thread'"), futstrat.open_executor("thraed"):
        pass


@pytest.mark.parametrize("workers", [0, -1, 2.5, "2", True])
def test_a_count_of_workers_that_is_not_a_positive_whole_number_is_refused(workers):
    with pytest.raises(ValueError, match="workers must be a whole number of at least 1"):  # noqa: SIM117
        with futstrat.open_executor("thread", workers=workers):
            pytest.fail("the executor opened")


class RebuildsWithTwoArguments:
    """Pickles, but cannot be rebuilt in the parent: its pickle calls the constructor with arguments."""

    def __reduce__(self):
        return (RebuildsWithTwoArguments, (1, 2))


def make_unrebuildable():
    return RebuildsWithTwoArguments()


@pytest.mark.parametrize("strategy", ["pool-map", "pool-async"])
def test_a_result_that_cannot_be_rebuilt_fails_the_future_instead_of_hanging(strategy, capfd):
    from futstrat.builtin.pool_executor import ResultLostError

    with futstrat.open_executor(strategy, workers=2) as executor:
        future = executor.submit(make_unrebuildable)
        error = future.exception(timeout=10)
        assert isinstance(error, ResultLostError)
        assert "RebuildsWithTwoArguments" in str(error)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("strategy", ["pool-map", "pool-imap"])
def test_letting_go_of_a_pool_map_before_its_first_result_withdraws_what_has_not_started(strategy, tmp_path):
    from futstrat.testing import tasks
    from futstrat.testing.tasks import Gate

    gate, traces = Gate(tmp_path), tmp_path / "traces"
    traces.mkdir()
    with futstrat.open_executor(strategy, workers=2) as executor:
        results = executor.map(tasks.wait_at_gate_then_trace, [gate.key] * 20, [30] * 20, [str(traces)] * 20, range(20))
        del results
        gate.open()
    assert len(list(traces.glob("ran-*"))) <= 3  # the two running and the one handed out ahead
