"""The start-up phase ends when every worker has answered, so pool start-up is not billed to compute."""

from __future__ import annotations

import time
from concurrent.futures import wait as wait_futures

from futstrat.engine.executor_adapter import AdaptedExecutor, adapt_executor
from futstrat.engine.workers import worker_identity
from futstrat.errors import RunTimedOutError, TaskFailedError
from futstrat.executor_protocol import StrategyExecutor

#: How long the start-up phase waits for every worker to answer before it gives up waiting.
READY_PATIENCE_SECONDS = 10.0
#: ... or once no new worker has answered for this long.
STAGNANT_SECONDS = 1.0


def wait_until_ready(executor: StrategyExecutor | AdaptedExecutor, workers: int, deadline: float) -> None:
    """Start-up ends when every worker has answered, so its cost is not billed to the compute phase
    (``ProcessPoolExecutor`` starts its processes lazily, on the first submits).

    An executor with fewer workers than asked for (a plugin's fixed-size pool) is detected by its
    ``max_workers``, or else by no new worker answering for a while.
    """
    executor = adapt_executor(executor)
    expected = min(workers, executor.max_workers or workers)
    seen: set[tuple[str, int, int]] = set()
    now = time.monotonic()
    give_up = min(deadline, now + READY_PATIENCE_SECONDS)
    last_news = now
    while len(seen) < expected:
        now = time.monotonic()
        if now >= deadline:
            raise RunTimedOutError("the workers did not start before the timeout")
        if now >= give_up or (seen and now - last_news > STAGNANT_SECONDS):
            return  # the rest are slow to answer or do not exist; any start-up left is billed to compute
        probes = [executor.submit(worker_identity, 0.002) for _ in range(expected)]
        done, _ = wait_futures(probes, timeout=give_up - now)
        for probe in done:
            error = probe.exception()
            if error is not None:
                raise TaskFailedError(None, None, error) from error
            if probe.result() not in seen:
                seen.add(probe.result())
                last_news = time.monotonic()
