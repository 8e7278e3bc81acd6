"""The plugin's strategy in futstrat's pytest matrix, beside the built-in ones, as a library author sees it."""

from __future__ import annotations

import pytest


def square(x: int) -> int:
    return x * x


def test_squares_under_every_strategy(futstrat_executor):
    assert list(futstrat_executor.map(square, range(10))) == [x * x for x in range(10)]


@pytest.mark.futstrat(workload="primes", sharing="none")
def test_primes_checks_out_under_every_strategy(futstrat_combination):
    report = futstrat_combination.run(params={"n": 5_000})
    assert report.ok, report.error or report.check
