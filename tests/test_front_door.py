"""The command's parser is built with the options of the one command a command line names: it must
parse and explain that command exactly as the whole parser does."""

from __future__ import annotations

import contextlib
import io

import pytest

from futstrat.cli import app
from futstrat.plugins import STRICT_ENV

COMMANDS = tuple(app.COMMANDS)


def printed_by(parser_load: tuple[str, ...], argv: list[str]) -> tuple[str, str, object]:
    """What parsing ``argv`` with a parser of the commands ``parser_load`` prints, and how it ends."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            ended: object = vars(app.build_parser(parser_load).parse_args(argv))
        except SystemExit as exit:
            ended = exit.code
    return out.getvalue(), err.getvalue(), ended


@pytest.mark.parametrize(
    ("argv", "load"),
    [
        (["run", "pi"], ("run",)),
        (["--debug", "--strict", "compare", "pi"], ("compare",)),
        (["--version"], ()),
        (["--debug", "--version", "run"], ()),
        (["--help"], COMMANDS),
        (["-h", "run"], COMMANDS),
        (["--debug=1", "run"], COMMANDS),
        (["--deb", "run"], COMMANDS),  # argparse reads it as --debug; only the whole parser says so
        (["rn"], COMMANDS),
        ([], COMMANDS),
    ],
)
def test_the_commands_to_load_are_those_the_command_line_can_reach(argv, load):
    assert app.commands_to_load(argv) == load


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("tail", [["--help"], ["--no-such-option"], []], ids=["help", "mistake", "bare"])
def test_a_command_s_own_parser_says_what_the_whole_parser_says(command, tail):
    argv = [command, *tail]
    whole = printed_by(tuple(COMMANDS), argv)
    own = printed_by(app.commands_to_load(argv), argv)
    assert own[:2] == whole[:2]
    if isinstance(whole[2], dict):  # parsed: the same values, and the handler of the same module
        assert {k: v for k, v in own[2].items() if k != "handler"} == {  # type: ignore[union-attr]
            k: v for k, v in whole[2].items() if k != "handler"
        }
        assert own[2]["handler"] is whole[2]["handler"]  # type: ignore[index]
    else:
        assert own[2] == whole[2]


def test_the_version_needs_no_command():
    assert printed_by((), ["--version"]) == printed_by(tuple(COMMANDS), ["--version"])


def test_the_strict_variable_is_named_as_the_plugins_read_it():
    assert app.STRICT_ENV == STRICT_ENV
