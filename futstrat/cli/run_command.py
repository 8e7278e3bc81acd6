"""``futstrat run``: one workload under one strategy, checked and timed."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from futstrat.cli.arguments import chunk_size, positive_int, positive_seconds
from futstrat.cli.output import print_json
from futstrat.errors import UsageError
from futstrat.model import Check, RunReport, RunStatus
from futstrat.options import RunOptions
from futstrat.params import parse_assignments
from futstrat.report.answer import answer_lines
from futstrat.runner import DEFAULT_TIMEOUT_SECONDS, execute, plan_run


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by the commands that run workloads."""
    parser.add_argument("--sharing", metavar="BACKEND", help="how shared state reaches the tasks (default: chosen)")
    parser.add_argument("--workers", type=positive_int, metavar="N", help="workers (default: usable CPUs)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a workload parameter, e.g. n=1000000 (repeatable)",
    )
    parser.add_argument("--start-method", choices=("fork", "spawn", "forkserver"), help="for process strategies")
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"the watchdog's bound on the run (default: {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument(
        "--chunksize",
        type=chunk_size,
        default=None,
        metavar="auto|N",
        help="tasks sent to a worker together (default: auto, chosen by timing a pilot)",
    )
    parser.add_argument(
        "--task-timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help="process strategies: kill the worker of a task that runs longer than this",
    )
    add_strategy_option(parser)


def add_strategy_option(parser: argparse.ArgumentParser) -> None:
    """``--option name=value``: a strategy's own option, declared in its ``params`` (see futstrat list)."""
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a strategy option, e.g. address=tcp://host:8786 (repeatable; 'futstrat list' shows each strategy's)",
    )


def strategy_options_of(args: argparse.Namespace) -> dict[str, str]:
    """The ``--option`` assignments by name, as given."""
    return parse_assignments(args.option, flag="--option", noun="option", example="maxtasksperchild=100")


def run_options_of(args: argparse.Namespace) -> RunOptions:
    """The run options the command line gives, checked in one place."""
    return RunOptions(
        workers=args.workers,
        start_method=args.start_method,
        timeout=args.timeout,
        task_timeout=args.task_timeout,
        chunksize=args.chunksize,
        strategy_options=strategy_options_of(args),
    )


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run one workload under one strategy",
        description="Run a workload under a strategy, check its answer and time its phases.",
    )
    parser.add_argument("workload", nargs="?", help="a registered workload, or package.module:name")
    parser.add_argument("--workload", dest="workload_path", metavar="PATH", help="a workload by package.module:name")
    parser.add_argument("--strategy", default="serial", help="how the tasks run (default: serial)")
    add_run_options(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    workload = args.workload_path or args.workload
    if not workload:
        raise UsageError("name a workload: futstrat run pi --strategy process (see 'futstrat list')")
    plan = plan_run(
        workload,
        args.strategy,
        sharing=args.sharing,
        params=parse_assignments(args.param),
        options=run_options_of(args),
    )
    if sys.stderr.isatty() and not args.json:
        print(f"running {plan.label} on {_workers(plan.running_workers)} ...", file=sys.stderr)
    report = execute(plan)
    if args.json:
        print_json(report.to_dict())
    else:
        print(format_report(report, debug=getattr(args, "debug", False)))
    return 0 if report.ok else 1


_ANSWERED = (RunStatus.PASSED, RunStatus.UNCHECKED, RunStatus.CHECK_FAILED)


def format_report(report: RunReport, *, debug: bool = False) -> str:
    """The report in a few lines; ``debug`` adds the traceback of the workload's own code that raised
    in this process (a task's traceback from its worker is always shown)."""
    method = f", start method {report.start_method}" if report.start_method else ""
    lines = [
        f"{report.workload} with {report.strategy} (sharing {report.sharing}, {_workers(report.workers)}{method},"
        f" {report.tasks} tasks{_chunks(report)})",
    ]
    if report.status in _ANSWERED and report.check is not None:
        verdict = _verdict(report.check)
        answer = answer_lines(report.value)
        lines.append(f"  answer  {answer[0]}")
        lines += ["          " + line for line in answer[1:]]
        lines.append(f"  check   {verdict}: {report.check.detail}")
    else:
        lines.append(f"  {report.status.value.upper()}: {report.error}")
        if report.traceback and report.failed_in is None:
            lines.append("  traceback from the worker:")
            lines += ["    " + line for line in report.traceback.splitlines()]
        elif report.traceback and debug:
            lines.append(f"  traceback of {report.failed_in}:")
            lines += ["    " + line for line in report.traceback.splitlines()]
    t = report.timings
    lines.append(
        f"  time    start-up {t.startup:.3f} s, compute {t.compute:.3f} s, shutdown {t.shutdown:.3f} s,"
        f" total {t.total:.3f} s"
    )
    return "\n".join(lines)


def _workers(count: int) -> str:
    return "1 worker" if count == 1 else f"{count} workers"


def _verdict(check: Check) -> str:
    if not check.checked:
        return "unchecked"
    return "passed" if check.passed else "FAILED"


def _chunks(report: RunReport) -> str:
    return f" in chunks of {report.chunksize}" if report.chunksize and report.chunksize > 1 else ""
