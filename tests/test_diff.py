"""What got faster or slower between two saved comparisons, and what else differed."""

from __future__ import annotations

import copy

import pytest

from futstrat.cli import main
from futstrat.measure import analyse
from futstrat.report.diff import diff_runs, render_diff
from futstrat.report.jsonfile import comparison_to_dict, write_json
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
