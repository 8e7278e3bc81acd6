"""Any registered strategy as a plain ``concurrent.futures.Executor``, for code of one's own."""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from typing import Any

from futstrat.engine.executor_adapter import stop_executor_now
from futstrat.errors import UsageError
from futstrat.main_guard import refuse_inside_worker_bootstrap
from futstrat.model import ExecutorConfig, StrategySpec
from futstrat.params import resolve_options
from futstrat.plugins import get_host
from futstrat.runner import usable_cpus
from futstrat.start_methods import resolve_start_method


@contextlib.contextmanager
def open_executor(
    strategy: StrategySpec | str,
    *,
    workers: int | None = None,
    start_method: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> Iterator[Executor]:
    """Start the strategy's executor and shut it down when the block ends.

    ``workers`` defaults to the usable CPUs; zero, a negative number or a non-integer raise
    ``ValueError``, as ``concurrent.futures`` does. When the block raises, the workers are ended at
    once (``terminate()``, else ``shutdown(wait=False, cancel_futures=True)``) instead of being waited
    for, so an error or Ctrl-C does not hang on a stuck task. The start method is resolved as a run
    resolves it (the one given, else the default, else the strategy's first declared method);
    ``options`` are the strategy's options, checked as ``--option`` is::

        with futstrat.open_executor("pool-async", workers=4) as executor:
            print(list(executor.map(abs, [-1, -2])))
    """
    refuse_inside_worker_bootstrap("futstrat.open_executor")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        # As concurrent.futures does: a count of no workers is a mistake, not a request for the default.
        raise ValueError(f"workers must be a whole number of at least 1, got {workers!r}")
    spec = strategy if isinstance(strategy, StrategySpec) else get_host().registry.strategies.get(strategy)
    if start_method is not None and start_method not in multiprocessing.get_all_start_methods():
        raise UsageError(f"unknown start method {start_method!r}")
    method = None
    if spec.start_methods is not None:
        method = resolve_start_method(start_method, spec.start_methods)
        if method not in spec.start_methods:
            raise UsageError(f"{spec.name!r} supports the start methods {', '.join(spec.start_methods)}, not {method}")
    config = ExecutorConfig(workers or usable_cpus(), method, options=resolve_options(spec, options or {}))
    executor = spec.factory(config)
    try:
        yield executor
    except BaseException:
        stop_executor_now(executor)
        raise
    executor.shutdown(wait=True)
