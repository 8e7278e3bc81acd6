"""What a run must do when task ``at`` misbehaves: the promises of the README's "When things go wrong".

One row per kind of misbehaviour (``misbehaving.KINDS``): the exit code, a regular expression that the
one report line (the line that starts with ``ERROR:`` or ``TIMEOUT:``) must match, whether that line
must name task ``at``, the ``--timeout`` the run gets and the time within which it must have ended.
Every row also promises that no process of the run's session is left afterwards.

The regular expressions are written in futstrat's own words as the README shows them; each is one
constant here so that a change of wording is one change of this table.
"""

from __future__ import annotations

import re

from attrs import frozen

#: The grace the README grants past ``--timeout`` for cleanup (stopping workers, killing their trees).
TIMEOUT_GRACE = 10.0

#: The ``--timeout`` of a run that must end by itself well before it. A dead worker or a failing task
#: must be noticed as it happens: noticed at the watchdog's timeout, the report would be a TIMEOUT line,
#: which the row's pattern does not match. Long, because a dask cluster alone can take 20 s to start on
#: a busy two-core machine.
UNHURRIED_TIMEOUT = 45.0

#: The ``--timeout`` for a task that hangs, and for one that leaves something running in its worker.
HANG_TIMEOUT = 5.0
LINGER_TIMEOUT = 10.0

#: What ``futstrat`` prints on stderr, alone on its line, when it is sent SIGTERM (then exit 143).
TERMINATED_LINE = "futstrat: error: terminated"
#: ... and on Ctrl-C (then exit 130).
INTERRUPTED_LINE = "futstrat: error: interrupted"
EXIT_TERMINATED = 143
EXIT_INTERRUPTED = 130

#: How long after a signal the run must have ended (the README promises 2 s for Ctrl-C; this is a hard
#: limit that catches a hang, not a timing target).
SIGNAL_LIMIT = 10.0


@frozen
class Outcome:
    """What one run must end with."""

    #: The exit code, or None where any status is acceptable as long as the run ends in time.
    exit_code: int | None
    #: A pattern the report line must match (``re.search``), or None where no report line is required;
    #: with ``exit_code == 0`` a None also means the run must print no ``ERROR:`` or ``TIMEOUT:`` line.
    report: str | None
    #: The report line names task ``at``: "task 2" or, for a worker that died inside a chunk of tasks,
    #: "tasks 1 to 3" (a range that holds it).
    names_task: bool
    #: The ``--timeout`` the run is given.
    timeout: float
    #: The run must have ended within this many seconds of its start.
    ends_within: float


def _failed(report: str) -> Outcome:
    """A task failure or a dead worker: exit 1 with the report, as soon as it happens."""
    return Outcome(1, report, names_task=True, timeout=UNHURRIED_TIMEOUT, ends_within=UNHURRIED_TIMEOUT + TIMEOUT_GRACE)


def _succeeded() -> Outcome:
    return Outcome(0, None, names_task=False, timeout=UNHURRIED_TIMEOUT, ends_within=UNHURRIED_TIMEOUT + TIMEOUT_GRACE)


def _ends_after_lingering() -> Outcome:
    """Whatever the status, the run ends within the timeout and its grace, and kills what lingers."""
    return Outcome(None, None, names_task=False, timeout=LINGER_TIMEOUT, ends_within=LINGER_TIMEOUT + TIMEOUT_GRACE)


# A task failure: "ERROR: task 2 (task(2, 'raise', 2, '')) raised ValueError: failed on purpose".
# SystemExit, KeyboardInterrupt and other BaseExceptions raised by a task are failures of that task: exit
# 1 and the same line, never futstrat's own exit (0, 3 or 130).
RAISED = r"^ERROR: .*\braised {name}\b"
# A dead worker: "ERROR: worker process 4242 killed by SIGKILL while running task 2 (...) (strategy 'S')".
DIED = r"^ERROR: worker process \d+ {how}\b"
# "ERROR: the result of task 2 could not be pickled to come back from its worker process: TypeError: ..."
RESULT_NOT_PICKLED = r"^ERROR: .*\bresult of task \d+ (?:could not|cannot) be pickled\b"
# "TIMEOUT: the run reached its timeout with 2 tasks done (5 s)"
TIMED_OUT = r"^TIMEOUT: "

EXPECTED: dict[str, Outcome] = {
    "none": _succeeded(),
    "raise": _failed(RAISED.format(name="ValueError") + r": failed on purpose"),
    "system-exit-0": _failed(RAISED.format(name="SystemExit")),
    "system-exit-3": _failed(RAISED.format(name="SystemExit")),
    "keyboard-interrupt": _failed(RAISED.format(name="KeyboardInterrupt")),
    "base-exception": _failed(RAISED.format(name="TaskAbandoned")),
    # The class may come wrapped ("raised TaskError: NeedsTwoArguments: ..."), as long as it is named.
    "unrebuildable-exception": _failed(r"^ERROR: .*\braised\b.*\bNeedsTwoArguments\b"),
    "unpicklable-result": _failed(RESULT_NOT_PICKLED),
    "os-exit-0": _failed(DIED.format(how="exited with code 0")),
    "os-exit-3": _failed(DIED.format(how="exited with code 3")),
    "sigkill": _failed(DIED.format(how="killed by SIGKILL")),
    "segfault": _failed(DIED.format(how="killed by SIGSEGV")),
    "hang": Outcome(1, TIMED_OUT, names_task=False, timeout=HANG_TIMEOUT, ends_within=HANG_TIMEOUT + TIMEOUT_GRACE),
    "lingering-thread": _ends_after_lingering(),
    "fork": _ends_after_lingering(),
    # The task returns normally, so the run succeeds; its child must not outlive the run.
    "popen-child": _succeeded(),
    # 200 MB through a pipe (or two copies of it in one process) on a busy machine.
    "huge-result": _succeeded(),
}

#: Where tasks run in futstrat's own process and nothing is pickled (``pickles_tasks`` false), a
#: result that cannot be pickled is simply a result.
EXPECTED_IN_PROCESS: dict[str, Outcome] = {**EXPECTED, "unpicklable-result": _succeeded()}

_ONE_TASK = re.compile(r"\btask (\d+)\b")
_TASK_RANGE = re.compile(r"\btasks (\d+) to (\d+)\b")


def names_task(line: str, at: int) -> bool:
    """``line`` names task ``at``, alone or inside the range of a chunk that a dead worker was running."""
    if any(int(number) == at for number in _ONE_TASK.findall(line)):
        return True
    return any(int(first) <= at <= int(last) for first, last in _TASK_RANGE.findall(line))


def report_lines(output: str) -> list[str]:
    """The report lines of a run's output: those that start with ``ERROR:`` or ``TIMEOUT:``."""
    return [line.strip() for line in output.splitlines() if line.strip().startswith(("ERROR:", "TIMEOUT:"))]
