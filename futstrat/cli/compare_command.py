"""``futstrat compare``: every strategy on one workload, measured fairly and ranked."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from futstrat.cli.arguments import file_name, positive_int, whole_number_at_least
from futstrat.cli.gates import (
    add_gate_option,
    add_markdown_option,
    add_save_option,
    check_gate_needs_baseline,
    check_output,
    gate_exit_code,
    gate_of,
    print_gate,
    save_target,
)
from futstrat.cli.output import fail, inform, keep_elsewhere_and_say, warn
from futstrat.cli.run_command import add_run_options, run_options_of, strategy_options_of
from futstrat.cli.sweep_command import add_sweep_options, plan_sweep_of, sweep_of, take_worker_counts
from futstrat.cli.termination import EXIT_TERMINATED, sigterm_received
from futstrat.errors import UsageError
from futstrat.machine.facts import machine_warnings, read_machine
from futstrat.machine.steadiness import probe_cores
from futstrat.measure import DEFAULT_REPEAT, DEFAULT_WARMUP, FIGURES, Comparison, analyse, measure, plan_contenders
from futstrat.measure.contenders import split_names
from futstrat.measure.load import load_average
from futstrat.measure.sweep import Sweep
from futstrat.params import parse_assignments
from futstrat.report.comparison_view import render_comparison, render_details, title
from futstrat.report.csvfile import write_csv
from futstrat.report.diff import diff_runs, render_diff
from futstrat.report.files import beside, write_atomically
from futstrat.report.jsonfile import comparison_to_dict, holds_partial_comparison, json_text, load_json, write_json
from futstrat.report.markdown import compare_markdown
from futstrat.report.saved_runs import baseline_path
from futstrat.report.sweep_view import render_sweep
from futstrat.report.terminal import ProgressBar, Styler, is_terminal, terminal_width

EXIT_INTERRUPTED = 130


whole_number = whole_number_at_least(0)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="measure a workload under several strategies and rank them",
        description=(
            "Run a workload under each strategy (and sharing backend), interleaved round-robin after"
            " warm-ups, check every answer, and rank the combinations by median time with confidence"
            " intervals. Refused combinations are listed with their reasons."
        ),
    )
    parser.add_argument("workload", help="a registered workload, or package.module:name")
    parser.add_argument(
        "--strategies", default="all", metavar="A,B,...", help="strategies to compare, or 'all' (default: all)"
    )
    add_run_options(parser)
    add_sweep_options(parser)
    parser.set_defaults(sharing=None)
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=DEFAULT_REPEAT,
        metavar="N",
        help=f"measured runs per combination (default: {DEFAULT_REPEAT})",
    )
    parser.add_argument(
        "--warmup",
        type=whole_number,
        default=DEFAULT_WARMUP,
        metavar="N",
        help=f"discarded runs per combination before the measured ones (default: {DEFAULT_WARMUP})",
    )
    parser.add_argument(
        "--by",
        choices=FIGURES,
        default="total",
        help="the time that ranks the combinations (default: total, start-up and shutdown included)",
    )
    parser.add_argument(
        "--details", action="store_true", help="also show median, IQR, min and max of every phase of every combination"
    )
    parser.add_argument(
        "--json", metavar="FILE", type=file_name, help="save every sample, the statistics and the setting"
    )
    parser.add_argument("--csv", metavar="FILE", type=file_name, help="save one row per run")
    parser.add_argument(
        "--plot", metavar="FILE.png", type=file_name, help="draw the phases per combination (needs futstrat[plot])"
    )
    parser.add_argument(
        "--baseline",
        metavar="OLD.json|NAME|latest",
        type=file_name,
        help="also show what changed since a saved comparison: a file, a run kept by --save NAME, or the latest one",
    )
    parser.add_argument(
        "--no-core-probe",
        dest="core_probe",
        action="store_false",
        help="do not time a short loop on each CPU between rounds to see how steady the cores' speed is",
    )
    add_gates_to_compare(parser)
    parser.set_defaults(handler=handle)
    # --sharing from add_run_options takes one backend; here it may list several, or 'all'.
    for action in parser._actions:
        if action.dest == "sharing":
            action.metavar = "A,B,..."
            action.help = "sharing backends to compare, or 'all' (default: each strategy's own choice)"


def add_gates_to_compare(parser: argparse.ArgumentParser) -> None:
    """--fail-if-slower, --markdown and --save (futstrat.cli.gates)."""
    add_gate_option(parser, "in the baseline")
    add_markdown_option(parser)
    add_save_option(parser)


def output_files(args: argparse.Namespace) -> tuple[tuple[str, str | None], ...]:
    """Each file option with its path: the kinds ``write_outputs`` knows, for the checks and the writing."""
    return (
        ("json", args.json),
        ("csv", args.csv),
        ("plot", args.plot),
        ("markdown", args.markdown),
        ("save", save_target(args)),
    )


def check_outputs(args: argparse.Namespace) -> dict[str, Any] | None:
    """Everything that can fail after the measuring is tried before it; returns the loaded baseline."""
    check_gate_needs_baseline(args)
    baseline = load_json(baseline_path(args.baseline)) if args.baseline else None
    seen: dict[str, str] = {}
    for kind, path in output_files(args):
        option = f"--{kind}"
        if path:
            check_output(kind, path)
            same = seen.setdefault(os.path.realpath(path), option)
            if same != option:
                raise UsageError(f"{same} and {option} name the same file, {path}: give each its own")
    if args.plot:
        from futstrat.report.plot import check_plot_path

        check_plot_path(args.plot)
    return baseline


def handle(args: argparse.Namespace) -> int:
    baseline = check_outputs(args)
    counts = take_worker_counts(args)
    planning: dict[str, Any] = {
        "strategies": split_names(args.strategies),
        "sharing": split_names(args.sharing),
        "params": parse_assignments(args.param),
        "options": run_options_of(args),
    }
    if counts is None:
        contenders = plan_contenders(args.workload, **planning)
    else:
        contenders = plan_sweep_of(args, counts, **planning)
    runnable = [c for c in contenders if not c.refused]
    if not runnable:
        reasons = "; ".join(f"{c.label}: {', '.join(c.reasons)}" for c in contenders)
        raise UsageError(f"every combination is refused, so there is nothing to measure ({reasons})")
    machine = read_machine()
    for warning in machine_warnings(machine, load_average()):
        warn(warning)
    progress = ProgressBar(sys.stderr) if is_terminal(sys.stderr) else None
    try:
        measurement = measure(
            contenders,
            repeat=args.repeat,
            warmup=args.warmup,
            observer=progress,
            machine=machine,
            core_probe=probe_cores if args.core_probe else None,
        )
    finally:
        if progress is not None:
            progress.close()
    comparison = analyse(measurement, args.by)
    data = comparison_to_dict(comparison, settings=settings_of(args))
    sweep = sweep_of(args, comparison, counts, data) if counts is not None else None
    diff = diff_runs(baseline, data, names=("baseline", "now")) if baseline is not None else None
    gate = gate_of(diff, args)
    markdown = compare_markdown(comparison, diff, gate) if args.markdown else ""
    saved, notes = write_outputs(args, comparison, data, markdown, sweep)
    styler = Styler.for_stream(sys.stdout) if is_terminal(sys.stdout) else None
    print(render_comparison(comparison, styler, terminal_width(sys.stdout)))
    if sweep is not None:
        print()
        print(render_sweep(sweep, styler, terminal_width(sys.stdout)))
    if args.details:
        print()
        print(render_details(comparison, styler, terminal_width(sys.stdout)))
    if diff is not None:
        print()
        print(render_diff(diff, styler, terminal_width(sys.stdout)))
        print_gate(gate)
    try:
        sys.stdout.flush()  # the notes on stderr come after the table
    finally:
        for say, message in notes:
            say(message)
    if comparison.partial:
        ended = "terminated" if sigterm_received() else "interrupted"
        warn(f"{ended} after {len(measurement.trials)} of {measurement.planned} runs")
        return EXIT_TERMINATED if sigterm_received() else EXIT_INTERRUPTED
    gate_failed = gate_exit_code(gate)  # its one line comes after the notes
    return 1 if comparison.failed or not saved or gate_failed else 0


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "strategies": args.strategies,
        "sharing": args.sharing,
        "workers": args.workers,
        "params": dict(parse_assignments(args.param)),
        "start_method": args.start_method,
        "timeout": args.timeout,
        "task_timeout": args.task_timeout,
        "chunksize": "auto" if args.chunksize is None else args.chunksize,
        "options": strategy_options_of(args),
        "repeat": args.repeat,
        "warmup": args.warmup,
        "by": args.by,
        "core_probe": args.core_probe,
    }


Note = tuple[Callable[[str], None], str]


def write_outputs(
    args: argparse.Namespace,
    comparison: Comparison,
    data: dict[str, Any],
    markdown: str = "",
    sweep: Sweep | None = None,
) -> tuple[bool, list[Note]]:
    """Write the files asked for; False when one could not be written, and what to say about them.

    The files are written before the table is printed (a reader that goes away must not cost them),
    and what happened is said after it, where it is seen. An interrupted comparison never replaces a
    file that may hold a complete one: its files then go beside them (``run.partial.json``). When a
    write fails after all the measuring, the JSON, which holds every sample, is kept under a fresh
    name elsewhere, so the measurement is not lost.
    """
    asked = {kind: path for kind, path in output_files(args) if path}
    targets = dict(asked)
    if comparison.partial and any(_would_replace_a_complete_result(kind, path) for kind, path in asked.items()):
        targets = {kind: str(beside(path, "partial")) for kind, path in asked.items()}
    written: dict[str, str] = {}
    notes: list[Note] = []
    failures = []
    for kind, path in targets.items():
        try:
            if kind in ("json", "save"):
                write_json(path, data)
            elif kind == "csv":
                write_csv(path, data)
            elif kind == "markdown":
                write_atomically(path, markdown)
            elif not draw_plot(comparison, sweep, path):
                notes.append((warn, f"nothing to plot: no combination has a correct sample, so {path} was not written"))
                continue
        except UsageError as exc:
            failures.append(str(exc))
            continue
        except OSError as exc:
            failures.append(f"cannot write {path}: {exc.strerror or exc}")
            continue
        written[kind] = path
    if written and targets != asked:
        kept = [asked[kind] for kind in written if os.path.lexists(asked[kind])]
        kept_note = f"; {', '.join(kept)} {'is' if len(kept) == 1 else 'are'} kept as before" if kept else ""
        notes.append((warn, f"interrupted: wrote the partial result to {', '.join(written.values())}{kept_note}"))
    elif written:
        notes.append((inform, f"wrote {', '.join(written.values())}"))
    notes += [(fail, failure) for failure in failures]
    if failures and "json" not in written:
        notes.append(keep_elsewhere_and_say(json_text(data), "futstrat-compare"))
    return not failures, notes


def draw_plot(comparison: Comparison, sweep: Sweep | None, path: str) -> bool:
    """Draw the sweep's speed-ups, or else the phases of each combination; False when there is nothing to draw."""
    if sweep is not None and sweep.points:
        from futstrat.report.plot import plot_sweep

        plot_sweep(sweep, title(comparison), path)
        return True
    if comparison.results and any(r.summaries for r in comparison.results):
        from futstrat.report.plot import plot_comparison

        plot_comparison(comparison, path)
        return True
    return False


def _would_replace_a_complete_result(kind: str, path: str) -> bool:
    """Whether writing a partial result to ``path`` could destroy a complete one (only a saved JSON can tell)."""
    if not os.path.lexists(path):
        return False
    return not (kind in ("json", "save") and holds_partial_comparison(path))
