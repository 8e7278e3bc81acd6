"""Counting primes by trial division, checked against a sieve.

The tasks are module-level functions of plain integers: a worker process started by ``spawn`` or
``forkserver`` receives ``count_primes`` pickled by its module and name and imports this module to find
it again. The workload object itself never leaves the parent process.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from futstrat import Check, Param, PlanContext, Task, Workload


def is_prime(number: int) -> bool:
    if number < 2:
        return False
    if number % 2 == 0:
        return number == 2
    return all(number % divisor for divisor in range(3, math.isqrt(number) + 1, 2))


def count_primes(first: int, stop: int) -> int:
    """One task: the primes in ``first .. stop - 1``."""
    return sum(1 for number in range(first, stop) if is_prime(number))


def primes_below(limit: int) -> int:
    """The answer by a different method, the sieve of Eratosthenes, to check the tasks against."""
    if limit < 3:
        return 0
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for number in range(2, math.isqrt(limit - 1) + 1):
        if sieve[number]:
            sieve[number * number :: number] = bytes(len(range(number * number, limit, number)))
    return sum(sieve)


class PrimesWorkload(Workload):
    name = "primes"
    description = "the primes below n by trial division, in ranges; checked against a sieve (CPU-bound)"
    params = (
        Param("n", int, 300_000, "count the primes below n", minimum=2, maximum=10_000_000),
        Param("chunks", int, 4, "ranges per worker", minimum=1, maximum=10_000),
    )

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterator[Task]:
        limit, parts = params["n"], plan.workers * params["chunks"]
        bounds = sorted({limit * part // parts for part in range(parts + 1)})
        for first, stop in itertools.pairwise(bounds):
            yield Task(count_primes, (first, stop))

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> int:
        return sum(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        expected = primes_below(params["n"])
        detail = f"{value} primes counted below {params['n']}, the sieve finds {expected}"
        return Check(value == expected, expected, detail)
