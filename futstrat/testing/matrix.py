"""The strategy matrix of the pytest plugin: which cells a test runs in, and the fixtures' values.

The command-line options choose the matrix for the whole run; a ``futstrat`` marker narrows it for one
test (or class, or module). A marker that names a workload gets every cell vetted at collection, so a
combination that cannot work shows up as a skip carrying the refusal's reasons.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from typing import Any

import pytest
from attrs import frozen

from futstrat.errors import RefusedError, UnknownNameError, UsageError
from futstrat.model import ExecutorConfig, StrategySpec, Workload
from futstrat.plugins import PluginHost, get_host
from futstrat.registry import Catalogue
from futstrat.start_methods import resolve_start_method, start_method_or_default
from futstrat.testing.bounded import close_executor
from futstrat.testing.case import StrategyCase
from futstrat.testing.settings import shutdown_patience

EXECUTOR_FIXTURE = "futstrat_executor"
COMBINATION_FIXTURE = "futstrat_combination"
MARKER = "futstrat"
#: Workers each cell's executor gets unless a marker says otherwise: enough for tasks to overlap.
DEFAULT_WORKERS = 2
MARKER_KEYWORDS = ("strategies", "exclude", "sharing", "exclude_sharing", "workload", "workers")


@frozen
class Selection:
    """The matrix the command line asked for, checked against what is registered."""

    strategies: tuple[str, ...]
    sharing: tuple[str, ...]
    #: Start methods for the cells whose strategy or sharing backend starts processes; empty for the
    #: platform's default.
    start_methods: tuple[str, ...]
    #: Plugins that failed to load, so that a strategy missing from the matrix is explained.
    problems: tuple[str, ...]
    #: With no start method chosen: each chosen strategy whose own default (the first method it
    #: declares) is not the platform's, with the method its cells run under.
    own_defaults: tuple[tuple[str, str], ...] = ()

    def header_lines(self) -> list[str]:
        methods = ", ".join(self.start_methods)
        if not methods:
            methods = f"{start_method_or_default(None)} (the default)"
            if self.own_defaults:
                methods = methods[:-1] + "; " + ", ".join(f"{m} for {name}" for name, m in self.own_defaults) + ")"
        lines = [
            f"futstrat matrix: strategies {', '.join(self.strategies) or 'none'};"
            f" sharing {', '.join(self.sharing) or 'none'}; start method {methods}"
        ]
        return lines + [f"futstrat: {problem}" for problem in self.problems]


@frozen
class MarkerChoice:
    """What the ``futstrat`` markers on one test ask for."""

    strategies: frozenset[str] | None = None
    exclude: frozenset[str] = frozenset()
    sharing: frozenset[str] | None = None
    exclude_sharing: frozenset[str] = frozenset()
    workload: Workload | str | None = None
    workers: int = DEFAULT_WORKERS


@frozen
class Cell:
    """One parameter of a matrix fixture: names only, resolved again when the fixture is set up."""

    strategy: str
    sharing: str | None
    start_method: str | None
    workers: int
    workload: Workload | str | None


_selection_key = pytest.StashKey[Selection]()


def split_names(values: Iterable[str]) -> list[str]:
    """``["a,b", "c"]`` as given by repeated, comma-separated options: ``["a", "b", "c"]``."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _chosen(given: list[str], known: list[str], kind: str, source: str) -> tuple[str, ...]:
    unknown = [name for name in given if name not in known]
    if unknown:
        raise UsageError(f"{source}: {UnknownNameError(kind, unknown[0], known)}")
    return tuple(name for name in known if name in given) if given else tuple(known)


def build_selection(config: pytest.Config) -> Selection:
    """Read the command line; a name that is not registered is a usage error with a suggestion."""
    host = get_host()
    strategies = _chosen(
        split_names(config.getoption("futstrat_strategies") or []),
        host.registry.strategies.names(),
        "strategy",
        "--futstrat-strategies",
    )
    sharing = _chosen(
        split_names(config.getoption("futstrat_sharing") or []),
        host.registry.sharing.names(),
        "sharing backend",
        "--futstrat-sharing",
    )
    methods = split_names(config.getoption("futstrat_start_method") or [])
    available = multiprocessing.get_all_start_methods()
    for method in methods:
        if method not in available:
            offered = ", ".join(available)
            raise UsageError(f"--futstrat-start-method: unknown start method {method!r} (this platform has {offered})")
    problems = tuple(line for info in host.problems for line in info.problem_lines())
    own_defaults: list[tuple[str, str]] = []
    if not methods:
        for name in strategies:
            declared = host.registry.strategies.get(name).start_methods
            if declared is not None and resolve_start_method(None, declared) != start_method_or_default(None):
                own_defaults.append((name, resolve_start_method(None, declared)))
    return Selection(strategies, sharing, tuple(dict.fromkeys(methods)), problems, tuple(own_defaults))


def selection(config: pytest.Config) -> Selection:
    """The run's selection, built once."""
    chosen = config.stash.get(_selection_key, None)
    if chosen is None:
        chosen = build_selection(config)
        config.stash[_selection_key] = chosen
    return chosen


def selection_if_built(config: pytest.Config) -> Selection | None:
    return config.stash.get(_selection_key, None)


def _names(value: Any, keyword: str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(split_names([value]))
    try:
        return frozenset(split_names(value))
    except TypeError:
        raise UsageError(f"futstrat marker: {keyword}= takes names, not {value!r}") from None


def marker_choice(markers: Iterable[pytest.Mark]) -> MarkerChoice:
    """Combine the markers of a test, nearest first: narrowing intersects, excluding adds up, and the
    nearest ``workload`` and ``workers`` win."""
    strategies: frozenset[str] | None = None
    sharing: frozenset[str] | None = None
    exclude: set[str] = set()
    exclude_sharing: set[str] = set()
    workload: Workload | str | None = None
    workers: int | None = None
    for mark in markers:
        unknown = sorted(set(mark.kwargs) - set(MARKER_KEYWORDS))
        if unknown:
            raise UsageError(f"futstrat marker: unknown keyword {unknown[0]!r} (it takes {', '.join(MARKER_KEYWORDS)})")
        named = _names(mark.args, "strategies") | _names(mark.kwargs.get("strategies", ()), "strategies")
        if mark.args or "strategies" in mark.kwargs:
            strategies = named if strategies is None else strategies & named
        if "sharing" in mark.kwargs:
            chosen = _names(mark.kwargs["sharing"], "sharing")
            sharing = chosen if sharing is None else sharing & chosen
        exclude |= _names(mark.kwargs.get("exclude", ()), "exclude")
        exclude_sharing |= _names(mark.kwargs.get("exclude_sharing", ()), "exclude_sharing")
        if workload is None:
            workload = mark.kwargs.get("workload")
        if workers is None and "workers" in mark.kwargs:
            workers = mark.kwargs["workers"]
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise UsageError(f"futstrat marker: workers= must be a whole number of at least 1, not {workers!r}")
    return MarkerChoice(
        strategies=strategies,
        exclude=frozenset(exclude),
        sharing=sharing,
        exclude_sharing=frozenset(exclude_sharing),
        workload=workload,
        workers=DEFAULT_WORKERS if workers is None else workers,
    )


def _narrow(
    available: tuple[str, ...], keep: frozenset[str] | None, drop: frozenset[str], catalogue: Catalogue[Any]
) -> list[str]:
    """The names of ``available`` that the marker keeps; a name the marker gives must be registered."""
    known = catalogue.names()
    for name in sorted((keep or frozenset()) | drop):
        if name not in known:
            raise UsageError(f"futstrat marker: {catalogue.unknown(name)}")
    return [name for name in available if (keep is None or name in keep) and name not in drop]


def _methods_for(spec: StrategySpec, sharing_starts: bool, chosen: Selection) -> tuple[str | None, ...]:
    """The start methods of a strategy's cells, each resolved as a run resolves it (None: none used)."""
    if spec.start_methods is None and not sharing_starts:
        return (None,)
    if chosen.start_methods:
        return chosen.start_methods
    return (resolve_start_method(None, spec.start_methods),)


def _unsupported(spec: StrategySpec, method: str | None) -> str | None:
    if method is None or spec.start_methods is None or method in spec.start_methods:
        return None
    return f"{spec.name!r} supports the start methods {', '.join(spec.start_methods)}, not {method}"


def _vet(cell: Cell, host: PluginHost) -> str | None:
    """The refusal's reasons, if the marker's workload cannot run in this cell."""
    if cell.workload is None:
        return None
    from futstrat.runner import plan_run

    try:
        plan_run(
            cell.workload,
            host.registry.strategies.get(cell.strategy),
            sharing=cell.sharing,
            workers=cell.workers,
            start_method=cell.start_method,
            host=host,
        )
    except RefusedError as refusal:
        return "refused: " + "; ".join(refusal.reasons)
    return None


def _param(cell: Cell, cell_id: str, host: PluginHost) -> Any:
    reason = _unsupported(host.registry.strategies.get(cell.strategy), cell.start_method) or _vet(cell, host)
    marks = [pytest.mark.skip(reason=reason)] if reason else []
    return pytest.param(cell, id=cell_id, marks=marks)


def cells(fixture: str, chosen: Selection, choice: MarkerChoice) -> list[Any]:
    """The parameters of ``fixture`` for one test: one per strategy, x sharing backend for the
    combination fixture, x start method where processes start and several methods were chosen."""
    host = get_host()
    registry = host.registry
    several_methods = len(chosen.start_methods) > 1
    backends: list[str | None] = [None]
    if fixture == COMBINATION_FIXTURE:
        backends = [*_narrow(chosen.sharing, choice.sharing, choice.exclude_sharing, registry.sharing)]
    params = []
    for name in _narrow(chosen.strategies, choice.strategies, choice.exclude, registry.strategies):
        spec: StrategySpec = registry.strategies.get(name)
        for backend in backends:
            sharing_starts = backend is not None and registry.sharing.get(backend).uses_start_method
            for method in _methods_for(spec, sharing_starts, chosen):
                cell = Cell(name, backend, method, choice.workers, choice.workload)
                parts = [name, backend, method if several_methods else None]
                params.append(_param(cell, "-".join(part for part in parts if part), host))
    if not params:
        reason = "the futstrat marker and options leave no strategy (or sharing backend) to run under"
        params.append(pytest.param(None, id="no-strategy", marks=[pytest.mark.skip(reason=reason)]))
    return params


@frozen
class MarkerMistake:
    """Stands in for the cells of a test whose marker is wrong, so that only that test errs."""

    message: str


def parametrize(metafunc: pytest.Metafunc, fixtures: list[str]) -> None:
    """Parametrize the matrix fixtures one test asks for; a mistake in its marker errs that test alone."""
    chosen = selection(metafunc.config)
    for fixture in fixtures:
        try:
            params = cells(fixture, chosen, marker_choice(metafunc.definition.iter_markers(MARKER)))
        except UsageError as exc:
            params = [pytest.param(MarkerMistake(str(exc)), id="marker-mistake")]
        metafunc.parametrize(fixture, params, indirect=True)


def _cell(request: pytest.FixtureRequest) -> Cell:
    cell = getattr(request, "param", None)
    if isinstance(cell, MarkerMistake):
        pytest.fail(cell.message, pytrace=False)
    if not isinstance(cell, Cell):
        pytest.fail(
            f"{request.fixturename} is parametrized at collection: name it as an argument of the test or of"
            " a fixture, not through request.getfixturevalue()",
            pytrace=False,
        )
    return cell


def started_executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    """The cell's executor, started for the test and shut down after it within a bounded time."""
    cell = _cell(request)
    spec = get_host().registry.strategies.get(cell.strategy)
    executor = spec.factory(ExecutorConfig(cell.workers, cell.start_method))
    yield executor
    problem = close_executor(executor, shutdown_patience(request.config))
    if problem is not None:
        pytest.fail(f"{EXECUTOR_FIXTURE} ({spec.name}): {problem}", pytrace=False)


def combination(request: pytest.FixtureRequest) -> StrategyCase:
    cell = _cell(request)
    registry = get_host().registry
    assert cell.sharing is not None
    return StrategyCase(
        strategy=registry.strategies.get(cell.strategy),
        sharing=registry.sharing.get(cell.sharing),
        start_method=cell.start_method,
        workers=cell.workers,
        workload=cell.workload,
    )
