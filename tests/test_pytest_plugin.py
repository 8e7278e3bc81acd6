"""The pytest plugin, run as users run it: in a pytest of its own, found through its entry point."""

from __future__ import annotations

import importlib.metadata
import textwrap

import pytest

from futstrat.plugins import get_host

#: Bound on each inner pytest run: a hang fails the test instead of blocking the suite.
INNER_RUN_SECONDS = 120

SQUARES = """
    import pytest

    def square(x):
        return x * x
"""


def run_inner(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=textwrap.dedent(SQUARES) + textwrap.dedent(source))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", *args, timeout=INNER_RUN_SECONDS)


def test_the_plugin_is_registered_through_the_pytest11_entry_point():
    points = importlib.metadata.entry_points(group="pytest11")
    assert "futstrat.testing.pytest_plugin" in {point.value for point in points if point.name == "futstrat"}


def test_every_registered_strategy_gets_a_readable_test_id(pytester):
    strategies = get_host().registry.strategies.names()
    result = run_inner(
        pytester,
        """
        def test_x(futstrat_executor):
            pass
        """,
        "--collect-only",
        "-q",
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines([f"test_inner.py::test_x[[]{name}[]]" for name in strategies], consecutive=True)
    result.stdout.fnmatch_lines([f"futstrat matrix: strategies {', '.join(strategies)}; sharing *"])


def test_each_executor_runs_its_test_and_is_shut_down_after_it(pytester):
    result = run_inner(
        pytester,
        """
        from concurrent.futures import Executor

        seen = []

        def test_x(futstrat_executor):
            assert isinstance(futstrat_executor, Executor)
            assert list(futstrat_executor.map(square, range(5))) == [0, 1, 4, 9, 16]
            seen.append(futstrat_executor)

        def test_zz_every_executor_was_shut_down():
            assert len(seen) == 4
            for executor in seen:
                with pytest.raises(RuntimeError):
                    executor.submit(square, 2)
        """,
        "-v",
        "--futstrat-strategies=serial,thread",
        "--futstrat-strategies=process,pool-async",
    )
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "futstrat matrix: strategies serial, thread, process, pool-async; *",
            "*::test_x[[]serial[]] PASSED*",
            "*::test_x[[]thread[]] PASSED*",
            "*::test_x[[]process[]] PASSED*",
            "*::test_x[[]pool-async[]] PASSED*",
        ]
    )


def test_combinations_run_the_runner_and_refusals_are_skips_with_their_reason(pytester):
    result = run_inner(
        pytester,
        """
        @pytest.mark.futstrat(workload="pi")
        def test_vetted_at_collection(futstrat_combination):
            report = futstrat_combination.run(params={"n": 2000})
            assert report.ok
            assert (report.strategy, report.sharing) == (
                futstrat_combination.strategy.name, futstrat_combination.sharing.name
            )

        def test_refused_when_run(futstrat_combination):
            assert futstrat_combination.run("counter", params={"increments": 50}).ok
            futstrat_combination.run("pi", params={"n": 2000})
        """,
        "-v",
        "--futstrat-strategies=serial,process",
        "--futstrat-sharing=none,value",
    )
    result.assert_outcomes(passed=4, skipped=4)
    result.stdout.fnmatch_lines(
        [
            "*::test_vetted_at_collection[[]serial-none[]] PASSED*",
            "*::test_vetted_at_collection[[]serial-value[]] SKIPPED*",
            "*::test_vetted_at_collection[[]process-none[]] PASSED*",
            "*::test_vetted_at_collection[[]process-value[]] SKIPPED*",
            "*::test_refused_when_run[[]process-value[]] SKIPPED*",
        ]
    )
    result.stdout.fnmatch_lines(["SKIPPED * refused: 'pi' shares no state*use --sharing none"])


def test_start_methods_multiply_only_the_cells_that_start_processes(pytester):
    result = run_inner(
        pytester,
        """
        def test_x(futstrat_executor):
            assert futstrat_executor.submit(square, 3).result(timeout=60) == 9

        def test_y(futstrat_combination):
            pass
        """,
        "--collect-only",
        "-q",
        "--futstrat-strategies=thread,process",
        "--futstrat-sharing=none,manager",
        "--futstrat-start-method=fork,spawn",
    )
    result.stdout.fnmatch_lines(
        [
            "test_inner.py::test_x[[]thread[]]",
            "test_inner.py::test_x[[]process-fork[]]",
            "test_inner.py::test_x[[]process-spawn[]]",
            "test_inner.py::test_y[[]thread-none[]]",
            "test_inner.py::test_y[[]thread-manager-fork[]]",
            "test_inner.py::test_y[[]thread-manager-spawn[]]",
            "test_inner.py::test_y[[]process-none-fork[]]",
        ]
    )
    result.stdout.fnmatch_lines(["futstrat matrix: *; start method fork, spawn"])


def test_markers_narrow_and_exclude_per_test(pytester):
    result = run_inner(
        pytester,
        """
        pytestmark = pytest.mark.futstrat(exclude=["pool-map"])

        @pytest.mark.futstrat("thread", "process", "pool-map")
        def test_named(futstrat_executor):
            pass

        @pytest.mark.futstrat(strategies=["serial", "thread"], workers=3)
        class TestClass:
            @pytest.mark.futstrat(exclude="serial", sharing=["none", "value"], exclude_sharing="value")
            def test_nearest_marker_adds_to_the_class_one(self, futstrat_combination):
                assert futstrat_combination.workers == 3

        @pytest.mark.futstrat(strategies=["serial"], exclude=["serial"])
        def test_nothing_left(futstrat_executor):
            pass
        """,
        "-v",
    )
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*::test_named[[]thread[]] PASSED*",
            "*::test_named[[]process[]] PASSED*",
            "*::TestClass::test_nearest_marker_adds_to_the_class_one[[]thread-none[]] PASSED*",
            "*::test_nothing_left[[]no-strategy[]] SKIPPED*",
        ]
    )
    result.stdout.no_fnmatch_line("*pool-map*PASSED*")


def test_a_misspelt_option_is_a_usage_error_with_a_suggestion(pytester):
    result = run_inner(pytester, "def test_x(futstrat_executor):\n    pass\n", "--futstrat-strategies=proces")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--futstrat-strategies: unknown strategy 'proces'; did you mean 'process'*"])
    result = run_inner(pytester, "def test_x(futstrat_executor):\n    pass\n", "--futstrat-start-method=fork,spwn")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown start method 'spwn'*"])


def test_a_misspelt_marker_errs_only_its_own_test(pytester):
    result = run_inner(
        pytester,
        """
        @pytest.mark.futstrat(strategies=["threads"])
        def test_misspelt(futstrat_executor):
            pass

        @pytest.mark.futstrat(strategies="thread", worker=2)
        def test_unknown_keyword(futstrat_executor):
            pass

        @pytest.mark.futstrat("thread")
        def test_fine(futstrat_executor):
            pass
        """,
    )
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*unknown strategy 'threads'; did you mean 'thread'*",
            "*unknown keyword 'worker' (it takes strategies, exclude, sharing, exclude_sharing, workload, workers)*",
        ],
    )


def test_a_test_that_leaves_work_running_errs_at_teardown_within_the_shutdown_timeout(pytester):
    pytester.makeini("[pytest]\nfutstrat_shutdown_timeout = 0.5\n")
    result = run_inner(
        pytester,
        """
        import time

        @pytest.mark.futstrat("thread")
        def test_leaves_a_task_running(futstrat_executor):
            futstrat_executor.submit(time.sleep, 3)
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*futstrat_executor (thread): shutdown(wait=True) did not return within 0.5 s*"])


def test_a_run_that_does_not_use_the_fixtures_loads_nothing(pytester):
    result = run_inner(
        pytester,
        """
        import sys

        def test_nothing_was_loaded():
            import futstrat.plugins

            assert futstrat.plugins._host is None
            assert "futstrat.testing.matrix" not in sys.modules
            assert "futstrat.builtin.strategies" not in sys.modules
        """,
    )
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*futstrat matrix*")


def test_the_plugin_can_be_turned_off(pytester):
    result = run_inner(pytester, "def test_x(futstrat_executor):\n    pass\n", "-p", "no:futstrat")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'futstrat_executor' not found*"])


OTHER_METHOD_CONFTEST = """
    import multiprocessing

    import futstrat
    from futstrat import StrategySpec
    from futstrat.builtin.strategies import make_process_pool
    from futstrat.plugins import PluginCandidate, builtin_candidates, load_plugins, reset_host
    from futstrat.start_methods import start_method_or_default

    DEFAULT = start_method_or_default(None)
    OFFERED = multiprocessing.get_all_start_methods()
    OTHER = next(m for m in ("spawn", "forkserver", "fork") if m in OFFERED and m != DEFAULT)
    GIVEN = []

    def recording(config):
        GIVEN.append(config.start_method)
        return make_process_pool(config)

    class Plugin:
        @futstrat.hookimpl
        def futstrat_register_strategies(self, register):
            register(StrategySpec(name="other-only", description="one start method", factory=recording,
                                  crosses_processes=True, start_methods=(OTHER,)))

    reset_host(load_plugins([*builtin_candidates(), PluginCandidate("p", "p", "p", "1", False, Plugin)]))
"""


def test_the_header_names_the_start_method_each_cell_ran_under(pytester):
    pytester.makeconftest(textwrap.dedent(OTHER_METHOD_CONFTEST))
    result = run_inner(
        pytester,
        """
        from conftest import GIVEN, OTHER

        def test_x(futstrat_executor, request):
            assert futstrat_executor.submit(square, 3).result(timeout=60) == 9
            if "other-only" in request.node.name:
                assert GIVEN == [OTHER]
        """,
        "-v",
        "--futstrat-strategies=process,other-only",
    )
    result.assert_outcomes(passed=2)
    result.stdout.re_match_lines([r"futstrat matrix: .*; start method \w+ \(the default; \w+ for other-only\)"])


DEFAULT_METHOD_CONFTEST = """
    import futstrat
    from futstrat import StrategySpec
    from futstrat.builtin.strategies import make_process_pool
    from futstrat.plugins import PluginCandidate, builtin_candidates, load_plugins, reset_host

    GIVEN = []

    def recording(config):
        GIVEN.append(config.start_method)
        return make_process_pool(config)

    class Plugin:
        @futstrat.hookimpl
        def futstrat_register_strategies(self, register):
            register(StrategySpec(name="recording", description="any start method", factory=recording,
                                  crosses_processes=True, uses_start_method=True))

    reset_host(load_plugins([*builtin_candidates(), PluginCandidate("p", "p", "p", "1", False, Plugin)]))
"""


def test_a_cell_s_factory_is_given_the_default_method_the_header_names(pytester):
    pytester.makeconftest(textwrap.dedent(DEFAULT_METHOD_CONFTEST))
    result = run_inner(
        pytester,
        """
        from conftest import GIVEN

        def test_x(futstrat_executor):
            print("factory given", GIVEN)
            assert GIVEN[0] is not None, "the header names a method, the factory was given none"
        """,
        "-s",
        "--futstrat-strategies=recording",
    )
    result.assert_outcomes(passed=1)
    header = next(line for line in result.outlines if line.startswith("futstrat matrix:"))
    given = next(line for line in result.outlines if "factory given" in line)
    method = header.split("start method ")[1].split(" ")[0]
    assert f"factory given ['{method}']" in given
