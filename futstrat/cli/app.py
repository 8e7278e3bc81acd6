"""The ``futstrat`` command's parser and error handling: one module per subcommand, wired together here.

A command imports only what it needs: the parser is built with the options of the one command the
command line names (the others are bare names it never reaches), so ``futstrat run`` does not import
what ``compare`` and ``claims`` measure and report with, and ``futstrat --version`` imports none of it.
Whenever the command cannot be told from the command line at a glance (``--help``, a mistake), the
whole parser is built, so help texts and error messages are those of the whole command.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import sys
import threading
import time
import traceback
from collections.abc import Collection, Sequence
from typing import Any

from futstrat import __version__
from futstrat.cli.output import fail, warn

#: Each subcommand and its module, whose ``add_parser(subparsers)`` registers its options and handler.
COMMANDS = {
    "run": "futstrat.cli.run_command",
    "compare": "futstrat.cli.compare_command",
    "diff": "futstrat.cli.diff_command",
    "claims": "futstrat.cli.claims_command",
    "list": "futstrat.cli.list_command",
    "plugins": "futstrat.cli.plugins_command",
}

#: The options of ``futstrat`` itself that take no value and may come before the command.
FLAGS_BEFORE_COMMAND = frozenset({"--debug", "--strict"})

#: The same as futstrat.plugins.STRICT_ENV, which this module does not import before it must.
STRICT_ENV = "FUTSTRAT_STRICT"

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that says what is wrong in one line with a hint, without the usage block or a traceback,
    and exits with the usage code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        fail(f"{' '.join(message.split())} (see '{self.prog} --help')")
        raise SystemExit(EXIT_USAGE)

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        # argparse drops a value of '--' (--timeout=--) and hands the option an empty list instead.
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            self.error(f"argument {'/'.join(action.option_strings)}: expected a value, got '--'")
        return super()._get_values(action, arg_strings)


def commands_to_load(argv: Sequence[str]) -> tuple[str, ...]:
    """The commands whose modules parsing ``argv`` needs: the one it names when only futstrat's own
    flags come before it, none for ``--version`` (which prints and ends the parsing before a command
    is read), and every one otherwise (``--help`` lists them all; a mistake is told as by the whole
    parser)."""
    for arg in argv:
        if arg in FLAGS_BEFORE_COMMAND:
            continue
        if arg == "--version":
            return ()
        return (arg,) if arg in COMMANDS else tuple(COMMANDS)
    return tuple(COMMANDS)


def build_parser(load: Collection[str] = tuple(COMMANDS)) -> argparse.ArgumentParser:
    """The command's parser, with the options of the commands in ``load`` (by default all of them); any
    other command is there by name only, for a command line that never reaches it."""
    parser = _Parser(
        prog="futstrat",
        description="Run a workload under a concurrency strategy, check the answer and measure the cost.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--strict", action="store_true", help=f"make any plugin problem fatal (as {STRICT_ENV}=1 does)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name, module in COMMANDS.items():
        if name in load:
            importlib.import_module(module).add_parser(subparsers)
        else:
            subparsers.add_parser(name)
    return parser


#: How long the process may take to exit once the command is done (libraries' clean-up at exit, a
#: pool's manager thread ending its workers) before it ends itself without waiting any longer.
EXIT_GRACE_SECONDS = 5.0


def main(argv: Sequence[str] | None = None) -> int:
    """The console script. A run whose threads could not be stopped must not keep the process alive:
    when such threads remain, the process ends itself once its output is written."""
    code = _main(argv)
    from futstrat.builtin.thread_executor import WORKER_THREAD_PREFIX

    # Only the thread strategy's own workers at once: other threads (loky's pool manager, say) are
    # theirs to end at exit, and ending the process under them would skip their clean-up.
    stuck = [t for t in threading.enumerate() if t.name.startswith(WORKER_THREAD_PREFIX) and t.is_alive()]
    if stuck and argv is None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if argv is None:
        _end_process_if_exit_hangs(code)
    return code


def _end_process_if_exit_hangs(code: int) -> None:
    """Watch the process's exit: a thread a task started and left running, or a join at exit that never
    returns, must not keep it alive. After the grace the process ends itself, naming those threads."""

    def end_now() -> None:
        time.sleep(EXIT_GRACE_SECONDS)
        left = [t.name for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()]
        warn(f"ending the process without waiting for thread(s) still running: {', '.join(left) or 'none'}")
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)

    threading.Thread(target=end_now, name="futstrat-exit-watch", daemon=True).start()


def _main(argv: Sequence[str] | None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(commands_to_load(arguments)).parse_args(arguments)
    from futstrat.cli.output import warn_about_plugin_problems
    from futstrat.cli.termination import EXIT_TERMINATED, sigterm_as_interrupt
    from futstrat.errors import FutstratError, UsageError
    from futstrat.interrupts import TerminatedBySignal, ctrl_c_raises_user_interrupt

    if args.strict:
        os.environ[STRICT_ENV] = "1"
    try:
        with ctrl_c_raises_user_interrupt():
            if args.command != "plugins":
                warn_about_plugin_problems(debug=args.debug)
            with sigterm_as_interrupt():
                code: int = args.handler(args)
            sys.stdout.flush()  # a closed pipe shows here, where it is handled, not at interpreter exit
        return code
    except FutstratError as exc:
        if args.debug:  # the traceback as well, never another exit code
            traceback.print_exc()
        fail(str(exc))
        return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_FAILED
    except KeyboardInterrupt as exc:
        if isinstance(exc, TerminatedBySignal):
            fail("terminated")
            return EXIT_TERMINATED
        fail("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (futstrat ... | head): nothing more can be said to it, and Python's own
        # flush at exit must not fail on the closed pipe either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except (OSError, ValueError) as exc:
        if not _stdout_lost(exc):
            raise
        # Code run in this process (a task under the serial strategy, say) closed standard output.
        if not sys.stdout.closed:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        fail("standard output was closed while the command ran, so its output could not be written")
        return EXIT_FAILED


def _stdout_lost(error: BaseException) -> bool:
    """Whether ``error`` is Python's complaint about a standard output that was closed under it."""
    if sys.stdout.closed:
        return isinstance(error, ValueError)
    return isinstance(error, OSError) and error.errno == errno.EBADF and not _fd_open(sys.stdout.fileno())


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
