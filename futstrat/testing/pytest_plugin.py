"""futstrat's pytest plugin: run a test once per registered strategy.

``def test_mine(futstrat_executor): ...`` runs once for every strategy (the built-in ones and those of
installed plugins), each time with that strategy's executor started for the test and shut down after
it. ``futstrat_combination`` gives tests that call the runner a strategy and sharing backend instead.

pytest loads this module through the ``pytest11`` entry point in every run of an environment where
futstrat is installed, so it does nothing at import and loads no futstrat plugin until a collected test
asks for one of its fixtures: runs that do not use it pay nothing for it. ``-p no:futstrat`` turns it off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from futstrat.testing.case import StrategyCase

# The contracts' assertions get pytest's explanations, as a test module's would.
pytest.register_assert_rewrite(
    "futstrat.testing.counting",
    "futstrat.testing.executor_contract",
    "futstrat.testing.sharing_contract",
    "futstrat.testing.workload_contract",
)

_FIXTURES = ("futstrat_executor", "futstrat_combination")
_OPTIONS = ("futstrat_strategies", "futstrat_sharing", "futstrat_start_method")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("futstrat", "futstrat strategy matrix")
    group.addoption(
        "--futstrat-strategies",
        action="append",
        metavar="NAMES",
        help="run the futstrat fixtures only under these strategies (comma-separated; may be repeated)",
    )
    group.addoption(
        "--futstrat-sharing",
        action="append",
        metavar="NAMES",
        help="run futstrat_combination only with these sharing backends (comma-separated; may be repeated)",
    )
    group.addoption(
        "--futstrat-start-method",
        action="append",
        metavar="METHODS",
        help="start worker processes with these methods: fork, spawn, forkserver (comma-separated;"
        " several make one cell each; default: the platform's)",
    )
    parser.addini(
        "futstrat_shutdown_timeout",
        "seconds futstrat_executor may take to shut down after a test before it is stopped and the test errs",
        default="30",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "futstrat(*strategies, strategies=, exclude=, sharing=, exclude_sharing=, workload=, workers=2):"
        " narrow the futstrat strategy matrix for this test; with workload=, refused cells are skipped"
        " with the reason",
    )
    from futstrat.testing.settings import shutdown_patience

    shutdown_patience(config)
    if any(config.getoption(option) for option in _OPTIONS):
        # Asked for by name: check the names now, so a typo is a usage error and not a silent skip.
        from futstrat.errors import UsageError
        from futstrat.testing import matrix

        try:
            matrix.selection(config)
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    wanted = [name for name in _FIXTURES if name in metafunc.fixturenames]
    if wanted:
        from futstrat.testing import matrix

        matrix.parametrize(metafunc, wanted)


def pytest_report_collectionfinish(config: pytest.Config, start_path: Path, items: list[pytest.Item]) -> list[str]:
    """Name the matrix under the "collected" line, once a test has used it (and only then)."""
    import sys

    if "futstrat.testing.matrix" not in sys.modules:
        return []
    from futstrat.testing import matrix

    chosen = matrix.selection_if_built(config)
    return [] if chosen is None else chosen.header_lines()


@pytest.fixture
def futstrat_executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    """A started ``concurrent.futures.Executor`` of one strategy; the test runs once per strategy."""
    from futstrat.testing import matrix

    yield from matrix.started_executor(request)


@pytest.fixture
def futstrat_combination(request: pytest.FixtureRequest) -> StrategyCase:
    """A :class:`futstrat.testing.StrategyCase`: one strategy x sharing backend, for tests that run a
    workload with ``futstrat_combination.run(...)``; the test runs once per combination."""
    from futstrat.testing import matrix

    return matrix.combination(request)
