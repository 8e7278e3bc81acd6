"""The READMEs and the plugin guide, run as a reader would run them: a command they show that fails is a bug.

Run by ``tox -e docs-commands`` (the name keeps it out of the suites that run on every Python version:
it runs futstrat's longest commands, ``futstrat claims`` among them, as shown). What it holds the
documents to:

- every ``$ futstrat ...`` line exits as its shown output says (2 for ``futstrat: error: ...``, else 0),
  and prints the shown first line, or the start of it, digits aside (timings and counts differ from
  machine to machine); it runs in an empty folder, or, after a ``$ cd FOLDER`` line of its block, in
  that folder of the repository (where a worked example keeps its module);
- the README's Python examples, in order, run as one script;
- every option that a usage line (``futstrat run ... [--json]``) or a benchmark command shows is one
  that the command's ``--help`` lists, and every benchmark script named exists.

Install commands, ``tox`` and ``pytest`` lines, and the benchmarks themselves (minutes of timing) are
not run here.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = (
    "README.md",
    "docs/plugin-guide.md",
    "plugins/futstrat-dask/README.md",
    "plugins/futstrat-example/README.md",
    "plugins/futstrat-interpreters/README.md",
    "plugins/futstrat-loky/README.md",
)
FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
OPTION = re.compile(r"--[a-z][a-z-]*")
#: Generous: ``futstrat claims`` takes about a minute on two CPUs.
COMMAND_TIMEOUT = 900


def fenced_blocks(document: str) -> list[tuple[str, str]]:
    return FENCE.findall((ROOT / document).read_text(encoding="utf-8"))


def shown_sessions() -> list[tuple[str, str, list[str], str]]:
    """``(document, command, shown output lines, folder)`` for each ``$ futstrat`` line of a console
    block; the folder is the repository's one a ``$ cd`` line of the block went to, else ``""``."""
    sessions = []
    for document in DOCUMENTS:
        for language, body in fenced_blocks(document):
            if language:
                continue
            current: list[str] | None = None
            folder = ""
            for line in body.splitlines():
                if line.startswith("$ "):
                    current = None
                    command = line[2:].split("#", 1)[0].strip()
                    if command.startswith("cd "):
                        folder = command[3:].strip()
                    if command.startswith("futstrat "):
                        current = []
                        sessions.append((document, command, current, folder))
                elif current is not None:
                    current.append(line)
    return sessions


def usage_lines() -> list[tuple[str, str]]:
    """``(document, line)`` for each synopsis of a command: ``futstrat SUB ...`` or ``python benchmarks/...``
    outside a console session, continuation lines joined to the line they continue."""
    found: list[tuple[str, str]] = []
    for document in DOCUMENTS:
        for language, body in fenced_blocks(document):
            if language or "$ " in body:
                continue
            continued = False
            for line in body.splitlines():
                if line.startswith(("futstrat ", "python benchmarks/")):
                    found.append((document, line.split("#", 1)[0].strip()))
                    continued = line.startswith("futstrat ")
                elif continued and line.startswith(" "):
                    found[-1] = (document, f"{found[-1][1]} {line.strip()}")
                else:
                    continued = False
    return found


def python_examples() -> str:
    """The README's Python blocks, in order; examples of pytest tests are for pytest, not for python."""
    blocks = [body for language, body in fenced_blocks("README.md") if language == "python"]
    return "\n".join(body for body in blocks if "def test_" not in body and "class Test" not in body)


def masked(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "0", text)).strip()


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        argv, cwd=cwd, env=environment, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )


def futstrat_argv(command: str) -> list[str]:
    words = shlex.split(command)
    assert words[0] == "futstrat"
    return [sys.executable, "-m", "futstrat", *words[1:]]


def test_the_documents_show_commands_to_run() -> None:
    """If the parsing below stopped finding anything, every other test here would pass on nothing."""
    commands = [command for _, command, _, _ in shown_sessions()]
    assert "futstrat run pi --strategy pool-map" in commands
    assert any(line.startswith("futstrat compare") for _, line in usage_lines())
    assert any(line.startswith("python benchmarks/") for _, line in usage_lines())
    assert "futstrat.run(" in python_examples()


@pytest.mark.parametrize(
    ("document", "command", "shown", "folder"), shown_sessions(), ids=lambda value: str(value)[:60]
)
def test_each_shown_command_runs_as_shown(
    document: str, command: str, shown: list[str], folder: str, tmp_path: Path
) -> None:
    result = run(futstrat_argv(command), ROOT / folder if folder else tmp_path)
    expected = next((line for line in shown if line.strip()), None)
    refused = expected is not None and expected.startswith("futstrat: error:")
    assert result.returncode == (2 if refused else 0), (
        f"{document}: `{command}` exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    if expected is None:
        return
    printed = (result.stderr if refused else result.stdout).splitlines()
    first = masked(printed[0]) if printed else ""
    # A document may cut a long line short, with "..." or by wrapping it: what it shows must begin the line.
    shown_start = masked(expected.removesuffix("..."))
    assert first.startswith(shown_start), f"{document}: `{command}` printed {printed[:1]}, not {expected!r}"


def test_the_readme_python_examples_run(tmp_path: Path) -> None:
    script = tmp_path / "readme_examples.py"
    script.write_text(python_examples(), encoding="utf-8")
    result = run([sys.executable, str(script)], tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("document", "line"), usage_lines(), ids=lambda value: str(value)[:60])
def test_each_option_shown_is_one_the_command_takes(document: str, line: str, tmp_path: Path) -> None:
    words = line.split()
    if words[0] == "python":
        script = ROOT / words[1]
        assert script.is_file(), f"{document} names {words[1]}, which does not exist"
        argv = [sys.executable, str(script), "--help"]
    else:
        argv = [sys.executable, "-m", "futstrat", words[1], "--help"]
    result = run(argv, tmp_path)
    assert result.returncode == 0, result.stderr
    unknown = sorted(set(OPTION.findall(line)) - set(OPTION.findall(result.stdout)))
    assert not unknown, (
        f"{document}: `{line}` shows options that `{' '.join(words[:2])} --help` does not list: {unknown}"
    )
