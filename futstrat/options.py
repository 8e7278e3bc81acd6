"""The options of a run, as one frozen value checked in one place.

The command line builds one :class:`RunOptions`, and ``run``, ``plan_run``, ``compare`` and the claims
hand it on unchanged, so that an option cannot be forgotten on the way (``compare`` once had no task
timeout) and a bad value is refused with the same words wherever it was given.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping
from typing import Any

import attrs
from attrs import field, frozen

from futstrat.errors import UsageError

#: The watchdog's bound on one run when the caller gives none.
DEFAULT_TIMEOUT_SECONDS = 300.0
#: A longer timeout is a typo, and past about 292 years the clocks a deadline is set on overflow.
MAX_TIMEOUT_SECONDS = 365 * 24 * 3600.0
#: More workers than this is a typo, not a plan.
MAX_WORKERS = 1024


def _check_workers(_options: object, _attribute: object, workers: int | None) -> None:
    if workers is None:
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers must be a whole number of at least 1, got {workers!r}")
    if workers > MAX_WORKERS:
        raise UsageError(f"workers must be at most {MAX_WORKERS}, got {workers}")


def _check_start_method(_options: object, _attribute: object, method: str | None) -> None:
    offered = multiprocessing.get_all_start_methods()
    if method is not None and method not in offered:
        raise UsageError(f"unknown start method {method!r} (this platform offers: {', '.join(offered)})")


def _check_seconds(what: str) -> Any:
    def check(_options: object, _attribute: object, seconds: float | None) -> None:
        if seconds is None:
            return
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
            raise UsageError(f"{what} must be a positive number of seconds, got {seconds!r}")
        if seconds > MAX_TIMEOUT_SECONDS:
            raise UsageError(f"a timeout must be at most {MAX_TIMEOUT_SECONDS:,.0f} seconds (a year)")

    return check


def _check_chunksize(_options: object, _attribute: object, chunksize: int | None) -> None:
    if chunksize is not None and (isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1):
        raise UsageError(f"the chunk size must be a whole number of at least 1 (or auto), got {chunksize!r}")


def _check_option_names(_options: object, _attribute: object, given: Mapping[str, Any]) -> None:
    for name in given:
        if not isinstance(name, str) or not name:
            raise UsageError(f"a strategy option is named by text, like address, not {name!r}")


def _seconds(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _as_dict(given: Mapping[str, Any]) -> dict[str, Any]:
    return dict(given)


def _timeout(value: Any) -> Any:
    return DEFAULT_TIMEOUT_SECONDS if value is None else _seconds(value)


@frozen
class RunOptions:
    """How to run, whatever is run: workers, start method, timeouts, chunk size, strategy options.

    Every value is checked when the object is made (a bad one raises ``UsageError``); what depends on
    the strategy (the default start method, which options it declares) is settled by ``plan_run``.
    """

    #: Workers to start; None for the CPUs this process may use.
    workers: int | None = field(default=None, validator=_check_workers)
    #: The start method asked for; None for the default (or the strategy's first when it declares others).
    start_method: str | None = field(default=None, validator=_check_start_method)
    #: The watchdog's bound on the whole run, in seconds.
    timeout: float = field(default=DEFAULT_TIMEOUT_SECONDS, converter=_timeout, validator=_check_seconds("timeout"))
    #: Seconds one task may run before its worker process is killed; None for no such limit.
    task_timeout: float | None = field(default=None, converter=_seconds, validator=_check_seconds("the task timeout"))
    #: Tasks sent to a worker together; None for "auto" (a pilot chooses).
    chunksize: int | None = field(default=None, validator=_check_chunksize)
    #: Strategy options by name (``--option name=value``), as given: each strategy converts and bounds
    #: the ones it declares in ``StrategySpec.params``.
    strategy_options: Mapping[str, Any] = field(factory=dict, converter=_as_dict, validator=_check_option_names)

    def replace(self, **changes: Any) -> RunOptions:
        """A copy with ``changes``, checked like the original."""
        return attrs.evolve(self, **changes)


#: The keyword arguments of ``run``, ``plan_run`` and ``compare`` that a ``RunOptions`` replaces.
OPTION_KEYWORDS = ("workers", "start_method", "timeout", "task_timeout", "chunksize", "strategy_options")


def options_from(options: RunOptions | None, **keywords: Any) -> RunOptions:
    """``options``, or one made from the loose keyword arguments the public functions still accept.

    Giving both is refused: it would leave unclear which of two values counts.
    """
    given = {name: value for name, value in keywords.items() if value is not None}
    unknown = set(given) - set(OPTION_KEYWORDS)
    if unknown:
        raise TypeError(f"unexpected run options: {', '.join(sorted(unknown))}")
    if options is None:
        return RunOptions(**given)
    if not isinstance(options, RunOptions):
        raise TypeError(f"options must be a futstrat.RunOptions, not {type(options).__name__}")
    if given:
        raise TypeError(f"give {', '.join(sorted(given))} inside options=RunOptions(...), not beside it")
    return options


__all__ = ["DEFAULT_TIMEOUT_SECONDS", "MAX_TIMEOUT_SECONDS", "MAX_WORKERS", "RunOptions", "options_from"]
