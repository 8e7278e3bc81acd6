"""The options that gate a pull request, shared by ``compare`` and ``diff``: ``--fail-if-slower``,
``--markdown`` and (``compare`` only) ``--save``, with the checks they need before anything is measured."""

from __future__ import annotations

import argparse
import os

from futstrat.cli.arguments import file_name
from futstrat.cli.output import fail
from futstrat.errors import UsageError
from futstrat.report.diff import RunDiff
from futstrat.report.files import check_writable
from futstrat.report.gate import GateResult, Threshold, failure_summary, judge, parse_threshold, render_gate
from futstrat.report.jsonfile import SCHEMA
from futstrat.report.saved_runs import SAVED_RUNS_FOLDER, check_name, make_folder_for, saved_run_path

EXIT_GATE_FAILED = 1
#: A saved comparison names its schema in its first line or two; this many bytes are enough to see it.
SCHEMA_PEEK_BYTES = 4096


def threshold(text: str) -> Threshold:
    """The argparse type of ``--fail-if-slower``: ``5%`` or ``0.05``."""
    try:
        return parse_threshold(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def saved_name(text: str) -> str:
    """The argparse type of ``--save``."""
    try:
        return check_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_gate_option(parser: argparse.ArgumentParser, against: str) -> None:
    parser.add_argument(
        "--fail-if-slower",
        type=threshold,
        metavar="SHARE",
        help=(
            f"exit 1 when a combination is significantly slower than {against} by more than SHARE (5%% or 0.05),"
            " missing from the new run or failing in it"
        ),
    )


def add_markdown_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--markdown",
        metavar="FILE.md",
        type=file_name,
        help="also write the tables as GitHub-flavoured Markdown, to paste into a pull request",
    )


def add_save_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--save",
        metavar="NAME",
        type=saved_name,
        help=(
            f"keep the result as {SAVED_RUNS_FOLDER}/<machine id>/NAME.json in the current folder,"
            " for a later --baseline NAME or --baseline latest"
        ),
    )


def check_markdown_target(path: str) -> None:
    """Refuse before any work a Markdown file that cannot be written or that would replace a saved comparison."""
    check_writable(path)
    try:
        with open(path, "rb") as stream:
            start = stream.read(SCHEMA_PEEK_BYTES)
    except OSError:
        return
    if start.lstrip().startswith(b"{") and f'"{SCHEMA}"'.encode() in start:
        raise UsageError(f"--markdown {path} would replace a saved comparison: give the Markdown a file of its own")


def save_target(args: argparse.Namespace) -> str | None:
    """The file ``--save NAME`` writes, or None without ``--save``."""
    return None if args.save is None else os.fspath(saved_run_path(args.save))


def check_output(kind: str, path: str) -> None:
    """The check before measuring for one of compare's files; ``--save`` makes this machine's folder."""
    if kind == "markdown":
        check_markdown_target(path)
        return
    if kind == "save":
        make_folder_for(path)
    check_writable(path)


def check_gate_needs_baseline(args: argparse.Namespace) -> None:
    if args.fail_if_slower is not None and not args.baseline:
        raise UsageError(
            "--fail-if-slower needs a baseline to be slower than: add --baseline OLD.json, --baseline NAME"
            " or --baseline latest"
        )


def gate_of(diff: RunDiff | None, args: argparse.Namespace) -> GateResult | None:
    threshold_given: Threshold | None = args.fail_if_slower
    return None if diff is None or threshold_given is None else judge(diff, threshold_given)


def print_gate(gate: GateResult | None) -> None:
    if gate is not None:
        print()
        print(render_gate(gate))


def gate_exit_code(gate: GateResult | None) -> int:
    """1, with one line on stderr, when the gate failed; 0 otherwise (or without a gate)."""
    if gate is None or gate.passed:
        return 0
    fail(failure_summary(gate))
    return EXIT_GATE_FAILED
