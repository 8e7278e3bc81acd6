"""What got faster or slower between two saved comparisons, and what else differed."""

from __future__ import annotations

import copy
import json
import os
import resource
import subprocess
import sys

import pytest

from futstrat.cli import main
from futstrat.measure import analyse
from futstrat.report.diff import diff_runs, render_diff
from futstrat.report.jsonfile import comparison_to_dict, write_json
from tests.cli_process import run_futstrat
from tests.test_measure_analysis import FIVE, fake_measurement

OLD = {**FIVE, "pool-imap": [1.2, 1.2, 1.21, 1.19, 1.2]}
NEW = {
    "serial": FIVE["serial"],  # unchanged
    "thread": [t * 1.5 for t in FIVE["thread"]],  # slower
    "process": [t * 0.7 for t in FIVE["process"]],  # faster
    "pool-map": [t * 1.02 for t in FIVE["pool-map"]],  # within 5%: no change
    "process-map": [1.0, 1.0, 1.0],  # new
}


def saved(times):
    return comparison_to_dict(analyse(fake_measurement(times)))


def test_each_combination_is_judged_by_the_significance_rule():
    diff = diff_runs(saved(OLD), saved(NEW))
    verdicts = {change.key[1]: change.verdict for change in diff.changes}
    assert verdicts == {
        "serial": "no significant change",
        "thread": "50% slower",
        "process": "30% faster",
        "pool-map": "no significant change",
        "pool-imap": "only in the old run",
        "process-map": "only in the new run",
    }
    assert [c.key[1] for c in diff.faster] == ["process"]
    assert [c.key[1] for c in diff.slower] == ["thread"]


def test_differences_in_the_setting_are_named():
    old, new = saved(FIVE), saved(FIVE)
    new = copy.deepcopy(new)
    new["metadata"]["python"]["version"] = "3.99.0"
    new["metadata"]["cpus"]["usable"] = 64
    new["partial"] = True
    notes = diff_runs(old, new).notes
    assert any(n.startswith("Python differ") and "3.99.0" in n for n in notes)
    assert any(n.startswith("usable CPUs differ") for n in notes)
    assert "the new run was interrupted: it holds only part of its planned samples" in notes


def test_the_rendered_diff_is_plain_text():
    text = render_diff(diff_runs(saved(OLD), saved(NEW), names=("before", "after")))
    assert "\x1b" not in text
    assert "median total time, after against before (a ratio below 1 is faster)" in text
    assert "1 faster, 1 slower, 2 without a significant change" in text


def test_the_diff_command(tmp_path, capsys):
    write_json(tmp_path / "old.json", saved(OLD))
    write_json(tmp_path / "new.json", saved(NEW))
    assert main(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--by", "compute"]) == 0
    out = capsys.readouterr().out
    assert "median compute time, new against old" in out
    assert "30% faster" in out


def test_the_diff_command_refuses_a_file_that_is_not_a_comparison(tmp_path, capsys):
    (tmp_path / "x.json").write_text("[]")
    assert main(["diff", str(tmp_path / "x.json"), str(tmp_path / "x.json")]) == 2
    assert "is not a saved comparison" in capsys.readouterr().err


@pytest.mark.parametrize("figure", ["startup", "total"])
def test_any_phase_can_be_compared(figure):
    assert diff_runs(saved(OLD), saved(NEW), figure).figure == figure


def _one_line_refusal(result):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("futstrat: error: ")
    assert result.stdout == ""
    return result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(combinations=[1, 2]), "combinations[0] should be an object, got an integer 1"),
        (lambda d: d.update(metadata=[]), "metadata should be an object, got a list"),
        (lambda d: d["combinations"][0].update(samples="abc"),
         "combinations[0].samples should be a list, got a string 'abc'"),
        (lambda d: d.update(combinations="[" * 100_000 + "]" * 100_000), "nest too deeply to read"),
    ],
)  # fmt: skip
def test_the_diff_command_names_a_damaged_field_in_one_line(tmp_path, change, message):
    good = tmp_path / "good.json"
    write_json(good, saved(FIVE))
    data = saved(FIVE)
    change(data)
    text = json.dumps(data)
    if isinstance(data["combinations"], str):  # the nesting goes in raw, not as a string
        text = text.replace(json.dumps(data["combinations"]), data["combinations"])
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    for files in ([bad, good], [good, bad]):
        err = _one_line_refusal(run_futstrat("diff", *map(str, files), timeout=60))
        assert f"{bad}" in err
        assert message in err


#: Were /dev/zero read, the test must end in a MemoryError, not take the machine's memory with it.
MEMORY_CAP = 2 * 1024**3


def run_futstrat_capped(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``run_futstrat`` with the address space capped: for inputs that could be read without end."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run(
        [sys.executable, "-m", "futstrat", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap,
        check=False,
    )


def test_the_diff_command_reads_no_device_and_waits_on_no_fifo(tmp_path):
    good = tmp_path / "good.json"
    write_json(good, saved(FIVE))
    err = _one_line_refusal(run_futstrat_capped("diff", "/dev/zero", str(good)))
    assert "cannot read /dev/zero: it is a character device, not a file" in err
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer for ever
    err = _one_line_refusal(run_futstrat_capped("diff", str(good), str(fifo)))
    assert "it is a FIFO" in err
