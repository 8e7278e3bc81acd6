"""Generated bad values for every option and parameter of ``run``, ``compare`` and ``diff``.

Whatever the value, a mistake on the command line gets exit code 2, exactly one line on stderr, no
traceback, nothing on stdout, and no file created or changed. Most cases run in this process through
``futstrat.cli.main`` (fast); a few run as real processes.

What counts as a good value is written here from the README's rules, independently of the code: whole
numbers and numbers in ASCII digits (``_`` only between digits), within each option's bounds.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from futstrat.cli import main
from futstrat.plugins import get_host

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_DIGITS = r"[0-9]+(?:_[0-9]+)*"
WHOLE = re.compile(rf"[+-]?{_DIGITS}")
REAL = re.compile(rf"[+-]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?")
YEAR = 365 * 24 * 3600
MAX_WORKERS = 1024
PI_BOUNDS = {"n": (1, 10**10), "tasks": (1, 10_000_000)}
FIGURES = ("startup", "compute", "shutdown", "total")


# -- what a good value is -------------------------------------------------------------------------


def whole_value(text: str) -> int | None:
    try:
        return int(text.strip()) if WHOLE.fullmatch(text.strip()) else None
    except ValueError:  # more digits than Python converts
        return None


def real_value(text: str) -> float | None:
    return float(text.strip()) if REAL.fullmatch(text.strip()) else None


def good_whole(minimum: int, maximum: float = math.inf):
    def check(text: str) -> bool:
        value = whole_value(text)
        return value is not None and minimum <= value <= maximum

    return check


def good_seconds(text: str) -> bool:
    value = real_value(text)
    return value is not None and 0 < value <= YEAR


def good_chunksize(text: str) -> bool:
    return text.strip().lower() == "auto" or good_whole(1)(text)


def good_int_param(name: str, text: str) -> bool:
    low, high = PI_BOUNDS[name]
    value: float | None = whole_value(text)
    if value is None:
        number = real_value(text)
        if number is None or not math.isfinite(number) or number != int(number):
            return False
        value = int(number)
    return low <= value <= high


# -- bad values -----------------------------------------------------------------------------------

#: Digits other than ASCII ones (Arabic-Indic, fullwidth, Devanagari ...), which int() reads.
other_digits = st.characters(categories=["Nd"]).filter(lambda c: not c.isascii())
numberish = st.one_of(
    st.text(),
    st.text(alphabet="0123456789_.eE+- ", max_size=8),
    st.text(alphabet=other_digits, min_size=1, max_size=6),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.floats().map(repr),
    st.sampled_from(["nan", "inf", "-inf", "infinity", "NaN", "1e10", "1e400", "0x10", "1__0", "_1", "1_", "٣"]),
)


def bad(check) -> st.SearchStrategy[str]:
    return numberish.filter(lambda text: not check(text))


def names_not_in(known: set[str]) -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=20).filter(lambda text: text not in known and ":" not in text)


# -- running the command in this process ----------------------------------------------------------


def snapshot(folder: pathlib.Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture(scope="module", autouse=True)
def one_parser() -> Iterator[None]:
    """Building the parser costs more than the rest of a refusal: build it once for these tests."""
    from futstrat.cli import app

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app, "build_parser", functools.cache(app.build_parser))
        yield


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pathlib.Path]:
    """A folder of its own as the current directory, with one file in it that must stay as it is."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "old.json").write_text("{}")
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(before)


def assert_refused(argv: list[str], folder: pathlib.Path) -> None:
    before = snapshot(folder)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exited:
            code = exited.code
    lines = err.getvalue().splitlines()
    assert code == 2, (argv, code, err.getvalue())
    assert len(lines) == 1, (argv, err.getvalue())
    assert lines[0].startswith("futstrat: error: "), (argv, lines)
    assert "Traceback" not in err.getvalue()
    assert out.getvalue() == "", argv
    assert snapshot(folder) == before, argv


RUN = ["run", "pi"]
COMPARE = ["compare", "pi", "--strategies", "serial", "--repeat", "1", "--warmup", "0"]
COMMANDS = pytest.mark.parametrize("command", [RUN, COMPARE], ids=["run", "compare"])


# -- options both commands share -------------------------------------------------------------------


@COMMANDS
@FUZZ
@given(value=bad(good_whole(1, MAX_WORKERS)))
def test_workers(workdir, command, value):
    assert_refused([*command, f"--workers={value}"], workdir)


@COMMANDS
@FUZZ
@given(option=st.sampled_from(["--timeout", "--task-timeout"]), value=bad(good_seconds))
def test_timeouts(workdir, command, option, value):
    assert_refused([*command, f"{option}={value}"], workdir)


@COMMANDS
@FUZZ
@given(value=bad(good_chunksize))
def test_chunksize(workdir, command, value):
    assert_refused([*command, f"--chunksize={value}"], workdir)


@COMMANDS
@FUZZ
@given(value=st.text().filter(lambda text: text not in ("fork", "spawn", "forkserver")))
def test_start_method(workdir, command, value):
    assert_refused([*command, f"--start-method={value}"], workdir)


@COMMANDS
@FUZZ
@given(name=st.sampled_from(sorted(PI_BOUNDS)), data=st.data())
def test_param_values(workdir, command, name, data):
    value = data.draw(numberish.filter(lambda text: not good_int_param(name, text)))
    assert_refused([*command, f"--param={name}={value}"], workdir)


@COMMANDS
@FUZZ
@given(
    item=st.one_of(
        st.text().filter(lambda text: "=" not in text),  # no value
        st.tuples(st.text().filter(lambda t: "=" not in t and t.strip() not in PI_BOUNDS), st.text()).map(
            "=".join
        ),  # no such parameter
    )
)
def test_param_names(workdir, command, item):
    assert_refused([*command, f"--param={item}"], workdir)


@COMMANDS
@FUZZ
@given(name=st.sampled_from(sorted(PI_BOUNDS)), first=st.text(), second=st.text())
def test_a_repeated_param(workdir, command, name, first, second):
    assert_refused([*command, f"--param={name}={first}", f"--param={name}={second}"], workdir)


@COMMANDS
@FUZZ
@given(data=st.data())
def test_sharing(workdir, command, data):
    value = data.draw(names_not_in({*get_host().registry.sharing.names(), "all"}).filter(lambda t: "," not in t))
    assert_refused([*command, f"--sharing={value}"], workdir)


@FUZZ
@given(data=st.data())
def test_workload_names(workdir, data):
    value = data.draw(names_not_in(set(get_host().registry.workloads.names())).filter(lambda t: t[0] != "-"))
    assert_refused(["run", value], workdir)
    assert_refused(["compare", value, *COMPARE[2:]], workdir)


# -- options of one command -----------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_run_strategy(workdir, data):
    value = data.draw(names_not_in(set(get_host().registry.strategies.names())))
    assert_refused([*RUN, f"--strategy={value}"], workdir)


@FUZZ
@given(data=st.data())
def test_compare_strategies(workdir, data):
    known = {*get_host().registry.strategies.names(), "all"}
    value = data.draw(names_not_in(known).filter(lambda t: "," not in t or not t.replace(",", "").strip()))
    assert_refused(["compare", "pi", f"--strategies={value}", "--repeat", "1"], workdir)


@FUZZ
@given(option=st.sampled_from(["--repeat", "--warmup"]), data=st.data())
def test_compare_counts(workdir, option, data):
    value = data.draw(bad(good_whole(1 if option == "--repeat" else 0)))
    assert_refused(["compare", "pi", "--strategies", "serial", f"{option}={value}"], workdir)


@FUZZ
@given(option=st.sampled_from(["--json", "--csv", "--plot", "--baseline"]), value=st.text(alphabet=" \t\n\r"))
def test_compare_empty_file_names(workdir, option, value):
    assert_refused([*COMPARE, f"{option}={value}"], workdir)


@pytest.mark.parametrize("command", [COMPARE, ["diff", "old.json", "old.json"]], ids=["compare", "diff"])
@FUZZ
@given(value=st.text().filter(lambda text: text not in FIGURES))
def test_by(workdir, command, value):
    assert_refused([*command, f"--by={value}"], workdir)


@FUZZ
# A name that starts with "-" is an option, as for every command-line tool ("-h" rightly prints the help).
@given(
    name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=20).filter(
        lambda text: not text.startswith("-")
    )
)
def test_diff_files_that_are_not_there(workdir, name):
    if (workdir / name).exists():
        name = f"missing-{name}"
    assert_refused(["diff", "old.json", name], workdir)
    assert_refused(["diff", name, "old.json"], workdir)


# -- a few as real processes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["run", "pi", "--workers", "\u0661\u0662"],
        ["run", "pi", "--timeout", "nan"],
        ["run", "pi", "--param", "n=1__0"],
        ["compare", "pi", "--json", ""],
        ["compare", "pi", "--strategies", "serial", "--warmup", "-1"],
        ["diff", "old.json", "old.json", "--by", "speed"],
    ],
)
def test_in_a_real_process(args, tmp_path):
    (tmp_path / "old.json").write_text("{}")
    before = snapshot(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "futstrat", *args], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False
    )
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("futstrat: error: ")
    assert result.stdout == ""
    assert snapshot(tmp_path) == before


# -- the regression gate's options ----------------------------------------------------------------


def good_share(text: str) -> bool:
    """A percentage of 0 or more (``5%``), or a fraction from 0 to under 1 (``0.05``), in ASCII digits."""
    stripped = text.strip()
    number = real_value(stripped[:-1]) if stripped.endswith("%") else real_value(stripped)
    if number is None or not math.isfinite(number) or number < 0:
        return False
    return stripped.endswith("%") or number < 1


@pytest.mark.parametrize(
    "command", [[*COMPARE, "--baseline", "old.json"], ["diff", "old.json", "old.json"]], ids=["compare", "diff"]
)
@FUZZ
@given(data=st.data())
def test_fail_if_slower(workdir, command, data):
    value = data.draw(st.one_of(bad(good_share), bad(good_share).map(lambda text: f"{text}%")))
    assert_refused([*command, f"--fail-if-slower={value}"], workdir)


@FUZZ
@given(value=st.text(max_size=30).filter(lambda text: not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", text.strip())))
def test_save_names(workdir, value):
    assert_refused([*COMPARE, f"--save={value}"], workdir)
