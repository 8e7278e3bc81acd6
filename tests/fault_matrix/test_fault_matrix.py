"""The fault matrix: every way a task can misbehave, and every signal a run can get, on every strategy.

Every strategy registered where the suite runs is covered (the built-ins, and loky, dask and
interpreter when their plugins are installed, as in tox's ``faults`` environment). Each case is a real
``futstrat run`` of ``misbehaving.py`` in a session of its own with a hard limit, and asserts what
``expectations.py`` promises: the exit code, the one report line naming the right task and cause, the
time to end, and that no process of the run's session is left afterwards.

Kinds that end or copy the task's whole process run only on strategies whose workers are processes of
their own (``crosses_processes``). The interpreter strategy pickles its tasks across an interpreter
boundary (``pickles_tasks``) but its workers are threads of futstrat's own process, so those kinds are
left out there too.

Time: every case is a real run and several wait out a timeout, so a plugin's strategies get a
representative subset of the kinds (``PLUGIN_KINDS``: one of each way to fail: an exception, a
BaseException, an exit, a death, a hang, something left running) while the built-in strategies get every
kind; ``FUTSTRAT_FAULT_MATRIX_ALL=1`` gives the plugins every kind too. The signal tests run on every
strategy.

A combination that futstrat refuses (exit 2 with the reason, e.g. the interpreter strategy before
Python 3.13) is skipped with that reason.
"""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import time

import pytest

from futstrat.model import StrategySpec
from futstrat.plugins import get_host
from futstrat.testing.isolated import (
    SETTLE_SECONDS,
    IsolatedRun,
    describe_process,
    end_session,
    futstrat_command,
    wait_until_empty,
)
from tests.fault_matrix.expectations import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXPECTED,
    EXPECTED_IN_PROCESS,
    INTERRUPTED_LINE,
    SIGNAL_LIMIT,
    TERMINATED_LINE,
    Outcome,
    names_task,
    report_lines,
)
from tests.fault_matrix.misbehaving import ENDS_ITS_PROCESS, KINDS
from tests.sessions import ROOT

pytestmark = pytest.mark.fault_matrix

WORKLOAD = "tests.fault_matrix.misbehaving:misbehaving"
AT = 2  # the workload's default: the third of four tasks
WORKERS = 2

#: How far past its promised end a run may go before the harness ends it and fails the test: enough to
#: tell "late" from "hung" in the failure message.
LIMIT_SLACK = 15.0

#: How long a run may take to reach the misbehaving task before a signal test gives up on it.
READY_LIMIT = 60.0

#: The ``--timeout`` of a run that a signal test ends: far beyond the test's own limits.
SIGNALLED_TIMEOUT = 120

#: The kinds every plugin strategy gets unless ``FUTSTRAT_FAULT_MATRIX_ALL=1``; left out are those whose
#: path through futstrat another kind already takes (SystemExit(3), another BaseException, os._exit(3),
#: a huge result).
PLUGIN_KINDS = frozenset(KINDS) - {"system-exit-3", "base-exception", "os-exit-3", "huge-result"}
ALL_KINDS_ENV = "FUTSTRAT_FAULT_MATRIX_ALL"

_CATALOGUE = get_host().registry.strategies
STRATEGIES: list[StrategySpec] = _CATALOGUE.items()


def is_builtin(spec: StrategySpec) -> bool:
    return _CATALOGUE.plugin_of(spec.name).startswith("futstrat.builtin.")


def has_worker_processes(spec: StrategySpec) -> bool:
    # The interpreter strategy pickles its tasks, yet its workers live inside futstrat's own process.
    return spec.crosses_processes and not spec.workers_in_this_process


def fault_cases() -> list[object]:
    return [
        pytest.param(spec, kind, id=f"{spec.name}-{kind}")
        for spec in STRATEGIES
        for kind in KINDS
        if kind not in ENDS_ITS_PROCESS or has_worker_processes(spec)
        if kind in PLUGIN_KINDS or is_builtin(spec) or os.environ.get(ALL_KINDS_ENV) == "1"
    ]


def strategy_cases() -> list[object]:
    return [pytest.param(spec, id=spec.name) for spec in STRATEGIES]


def run_args(strategy: str, kind: str, timeout: float, *extra: str) -> list[str]:
    return [
        "run", WORKLOAD, "--strategy", strategy, "--workers", str(WORKERS),
        "--param", f"kind={kind}", "--param", f"at={AT}", "--timeout", f"{timeout:g}", *extra,
    ]  # fmt: skip


def skip_if_refused(result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode == 2 and "refused" in result.stderr:
        pytest.skip(result.stderr.strip().splitlines()[-1])


def survivors_problem(session: int) -> str | None:
    """Wait for ``session`` to empty; what is still there, as a problem, ended by this call."""
    survivors = wait_until_empty(session)
    if not survivors:
        return None
    listed = "; ".join(describe_process(pid) for pid in survivors)
    end_session(session)
    return f"{len(survivors)} processes were left behind {SETTLE_SECONDS:g} s after the run ended: {listed}"


def outcome_problems(result: subprocess.CompletedProcess[str], elapsed: float, outcome: Outcome) -> list[str]:
    """How ``result`` breaks the promise of ``outcome``: one plain sentence each."""
    problems = []
    if outcome.exit_code is not None and result.returncode != outcome.exit_code:
        problems.append(f"exit code {result.returncode}, expected {outcome.exit_code}")
    if elapsed > outcome.ends_within:
        problems.append(f"ended after {elapsed:.1f} s, promised within {outcome.ends_within:g} s")
    lines = report_lines(result.stdout + "\n" + result.stderr)
    if outcome.report is not None:
        if len(lines) != 1:
            problems.append(f"{len(lines)} report lines, expected one: {lines}")
        elif not re.search(outcome.report, lines[0]):
            problems.append(f"the report {lines[0]!r} does not match {outcome.report!r}")
        elif outcome.names_task and not names_task(lines[0], AT):
            problems.append(f"the report {lines[0]!r} does not name task {AT}")
    elif outcome.exit_code == 0 and lines:
        problems.append(f"a run that should succeed reported {lines}")
    if "Traceback (most recent call last)" in result.stderr:
        problems.append("a traceback on stderr")
    if "leaked" in result.stderr:
        problems.append("resources were reported leaked")
    return problems


def fail_with(problems: list[str], result: subprocess.CompletedProcess[str]) -> None:
    if problems:
        pytest.fail(
            "; ".join(problems) + f"\n--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
        )


@pytest.mark.parametrize(("spec", "kind"), fault_cases())
def test_a_misbehaving_task_ends_the_run_as_promised(spec: StrategySpec, kind: str) -> None:
    outcome = (EXPECTED if spec.pickles_tasks else EXPECTED_IN_PROCESS)[kind]
    args = run_args(spec.name, kind, outcome.timeout)
    run = IsolatedRun(futstrat_command(*args), cwd=ROOT)
    result, elapsed = run.finish_within(outcome.ends_within + LIMIT_SLACK, f"futstrat {' '.join(args)}")
    survivors = survivors_problem(run.session)
    skip_if_refused(result)
    problems = outcome_problems(result, elapsed, outcome)
    if survivors:
        problems.append(survivors)
    fail_with(problems, result)


def start_hanging_run(spec: StrategySpec, mark: pathlib.Path) -> IsolatedRun:
    """A run whose task ``AT`` hangs, returned once that task is running (so its worker exists)."""
    args = run_args(spec.name, "hang", SIGNALLED_TIMEOUT, "--param", f"mark={mark}")
    run = IsolatedRun(futstrat_command(*args), cwd=ROOT)
    give_up = time.monotonic() + READY_LIMIT
    while not mark.exists():
        if run.process.poll() is not None:
            result, _ = run.finish_within(SIGNAL_LIMIT, "futstrat")
            skip_if_refused(result)
            fail_with([f"the run ended (exit {result.returncode}) before its task {AT} started"], result)
        if time.monotonic() > give_up:
            end_session(run.session)
            run.finish_within(SIGNAL_LIMIT, "futstrat")
            pytest.fail(f"task {AT} did not start within {READY_LIMIT:g} s")
        time.sleep(0.05)
    return run


def signal_problems(result: subprocess.CompletedProcess[str], exit_code: int, line: str, session: int) -> list[str]:
    problems = []
    if result.returncode != exit_code:
        problems.append(f"exit code {result.returncode}, expected {exit_code}")
    if line not in [each.strip() for each in result.stderr.splitlines()]:
        problems.append(f"no line {line!r} on stderr")
    if "Traceback (most recent call last)" in result.stderr + result.stdout:
        problems.append("a traceback")
    if survivors := survivors_problem(session):
        problems.append(survivors)
    return problems


@pytest.mark.parametrize("spec", strategy_cases())
def test_sigterm_ends_the_run_and_every_process_it_started(spec: StrategySpec, tmp_path: pathlib.Path) -> None:
    run = start_hanging_run(spec, tmp_path / "started")
    os.kill(run.process.pid, signal.SIGTERM)  # what kill, timeout, systemd and a cancelled CI job send
    result, _ = run.finish_within(SIGNAL_LIMIT, "futstrat after SIGTERM")
    fail_with(signal_problems(result, EXIT_TERMINATED, TERMINATED_LINE, run.session), result)


@pytest.mark.parametrize("spec", strategy_cases())
def test_ctrl_c_ends_the_run_and_every_process_it_started(spec: StrategySpec, tmp_path: pathlib.Path) -> None:
    run = start_hanging_run(spec, tmp_path / "started")
    os.killpg(run.process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: to the whole foreground group
    result, _ = run.finish_within(SIGNAL_LIMIT, "futstrat after Ctrl-C")
    fail_with(signal_problems(result, EXIT_INTERRUPTED, INTERRUPTED_LINE, run.session), result)


@pytest.mark.parametrize("spec", strategy_cases())
def test_workers_end_on_their_own_when_futstrat_is_killed(spec: StrategySpec, tmp_path: pathlib.Path) -> None:
    run = start_hanging_run(spec, tmp_path / "started")
    os.kill(run.process.pid, signal.SIGKILL)  # futstrat cleans nothing up: its workers must notice alone
    run.finish_within(SIGNAL_LIMIT, "futstrat after SIGKILL")
    if survivors := survivors_problem(run.session):
        pytest.fail(survivors)
