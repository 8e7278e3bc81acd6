"""``--fail-if-slower``, ``--markdown`` and ``--save`` on the command line: exit codes, files, lookups.

The gate's verdicts come from made-up samples; where ``compare`` measures for real, its baseline is
made up so far from any real time (a microsecond, a thousand seconds) that the verdict is certain.
"""

from __future__ import annotations

import json
import os

import pytest

from futstrat.cli import main
from futstrat.report.jsonfile import load_json, write_json
from futstrat.report.saved_runs import SAVED_RUNS_FOLDER, machine_id
from tests.cli_process import run_futstrat
from tests.test_compare_cli import TINY, _interrupt_on_the_fourth_run, _special_outputs, no_measuring  # noqa: F401
from tests.test_gate import STEADY, saved
from tests.test_measure_analysis import FIVE

SLOWER = {**FIVE, "thread": [t * 1.5 for t in STEADY]}


@pytest.fixture
def old_and_new(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    write_json(old, saved(FIVE))
    write_json(new, saved(SLOWER))
    return old, new


def test_diff_exits_1_when_the_gate_fails_and_says_which(old_and_new, capsys):
    old, new = old_and_new
    assert main(["diff", str(old), str(new), "--fail-if-slower", "5%"]) == 1
    out, err = capsys.readouterr()
    assert "gate failed (--fail-if-slower 5%): 1 of 4 combinations failed it" in out
    assert "  pi x thread x none: 50% slower, 1.50x [1.49-1.51], past the 5% allowed" in out
    assert err == (
        "futstrat: error: the regression gate failed (--fail-if-slower 5%):"
        " 1 combination significantly slower by more than 5%\n"
    )


def test_diff_exits_0_when_the_gate_passes(old_and_new, capsys):
    old, new = old_and_new
    assert main(["diff", str(old), str(new), "--fail-if-slower", "0.6"]) == 0
    out, err = capsys.readouterr()
    assert "gate passed (--fail-if-slower 60%)" in out
    assert "slower, but within 60%:\n  pi x thread x none: 50% slower" in out
    assert err == ""


def test_diff_without_a_gate_exits_0_whatever_changed(old_and_new, capsys):
    old, new = old_and_new
    assert main(["diff", str(old), str(new)]) == 0
    assert "gate" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "message"),
    [("5", "'5' is ambiguous"), ("five", "expected a share such as 5% or 0.05"), ("-1%", "a share of 0 or more")],
)
def test_a_bad_threshold_is_one_line_and_exit_2(old_and_new, value, message):
    old, new = old_and_new
    for command in (["diff", str(old), str(new)], ["compare", "pi", "--baseline", str(old)]):
        result = run_futstrat(*command, f"--fail-if-slower={value}", timeout=60)
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert result.stderr.startswith("futstrat: error: argument --fail-if-slower: ")
        assert message in result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_diff_writes_markdown_with_the_gate(old_and_new, tmp_path, capsys):
    old, new = old_and_new
    markdown = tmp_path / "pr.md"
    assert main(["diff", str(old), str(new), "--fail-if-slower", "5%", "--markdown", str(markdown)]) == 1
    assert f"wrote {markdown}" in capsys.readouterr().err
    lines = markdown.read_text().splitlines()
    assert "| workload | strategy | sharing | old median | new median | new/old | verdict |" in lines
    assert "| pi | thread | none | 2.100 s | 3.150 s | 1.50x [1.49-1.51] | 50% slower |" in lines
    assert "**gate failed (--fail-if-slower 5%): 1 of 4 combinations failed it**" in lines


def test_diff_markdown_never_replaces_a_saved_comparison_or_a_device(old_and_new, tmp_path, capsys):
    old, new = old_and_new
    before = new.read_bytes()
    assert main(["diff", str(old), str(new), "--markdown", str(new)]) == 2
    assert f"--markdown {new} would replace a saved comparison" in capsys.readouterr().err
    assert new.read_bytes() == before
    to_null = tmp_path / "to-null.md"
    to_null.symlink_to(os.devnull)
    assert main(["diff", str(old), str(new), "--markdown", str(to_null)]) == 2
    assert "it is a character device, not a regular file" in capsys.readouterr().err
    assert to_null.is_symlink()


@pytest.mark.usefixtures("no_measuring")
def test_compare_gate_needs_a_baseline(capsys):
    assert main(["compare", "pi", *TINY, "--fail-if-slower", "5%"]) == 2
    assert "--fail-if-slower needs a baseline to be slower than" in capsys.readouterr().err


@pytest.mark.usefixtures("no_measuring")
def test_compare_markdown_that_cannot_be_written_is_refused_before_measuring(tmp_path, capsys):
    for path, message in _special_outputs(tmp_path, ".md").items():
        assert main(["compare", "pi", "--strategies", "serial", *TINY, "--markdown", path]) == 2
        err = capsys.readouterr().err
        assert message in err
        assert len(err.splitlines()) == 1, err
    assert main(["compare", "pi", *TINY, "--json", str(tmp_path / "a.md"), "--markdown", str(tmp_path / "a.md")]) == 2
    assert "--json and --markdown name the same file" in capsys.readouterr().err


def made_up_baseline(tmp_path, seconds):
    """A saved comparison of pi on serial whose every run took ``seconds`` (each phase scaled to fit)."""
    data = saved({"serial": [1.0] * 5})
    for sample in data["combinations"][0]["samples"]:
        for phase in ("startup", "compute", "shutdown", "total", "wall"):
            sample[phase] *= seconds
    path = tmp_path / f"baseline-{seconds}.json"
    write_json(path, data)
    return path


def test_compare_fails_the_gate_against_a_far_faster_baseline(tmp_path, capsys):
    baseline = made_up_baseline(tmp_path, 1e-6)
    markdown = tmp_path / "pr.md"
    args = ["compare", "pi", "--strategies", "serial", *TINY, "--baseline", str(baseline), "--fail-if-slower", "5%"]
    assert main([*args, "--markdown", str(markdown)]) == 1
    out, err = capsys.readouterr()
    assert "median total time, now against baseline" in out
    assert "gate failed (--fail-if-slower 5%): 1 of 1 combination failed it" in out
    assert err.splitlines()[-1] == (
        "futstrat: error: the regression gate failed (--fail-if-slower 5%):"
        " 1 combination significantly slower by more than 5%"
    )
    text = markdown.read_text()
    assert text.startswith("**pi (n=2000), 2 workers")
    assert "| # | strategy | sharing |" in text
    assert "| workload | strategy | sharing | baseline median | now median | now/baseline | verdict |" in text
    assert "**gate failed (--fail-if-slower 5%): 1 of 1 combination failed it**" in text


def test_compare_passes_the_gate_against_a_far_slower_baseline(tmp_path, capsys):
    baseline = made_up_baseline(tmp_path, 1000.0)
    args = ["compare", "pi", "--strategies", "serial", *TINY, "--baseline", str(baseline), "--fail-if-slower", "5%"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "gate passed (--fail-if-slower 5%)" in out
    assert "regression gate" not in err


def test_compare_fails_the_gate_when_a_combination_of_the_baseline_is_missing(tmp_path, capsys):
    path = tmp_path / "baseline.json"
    write_json(path, saved({"serial": [1000.0] * 5, "thread": [1000.0] * 5}))
    args = ["compare", "pi", "--strategies", "serial", *TINY, "--baseline", str(path), "--fail-if-slower", "5%"]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert "  pi x thread x none: in the baseline but not measured in the new run" in out
    assert "1 combination missing from the new run" in err


def test_compare_saves_by_name_and_finds_the_latest(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # Nothing saved yet: one line, before measuring.
    assert main(["compare", "pi", "--strategies", "serial", *TINY, "--baseline", "latest"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("futstrat: error: --baseline latest: no run is saved for this machine")
    assert not (tmp_path / SAVED_RUNS_FOLDER).exists()
    assert main(["compare", "pi", "--strategies", "serial", *TINY, "--save", "main"]) == 0
    saved_path = tmp_path / SAVED_RUNS_FOLDER / machine_id() / "main.json"
    assert f"wrote {SAVED_RUNS_FOLDER}/{machine_id()}/main.json" in capsys.readouterr().err
    assert load_json(saved_path)["combinations"][0]["strategy"] == "serial"
    os.utime(saved_path, (1, 1))  # saved long ago: the next one is the latest
    assert main(["compare", "pi", "--strategies", "serial,thread", *TINY, "--save", "pr"]) == 0
    capsys.readouterr()
    for baseline, strategies in (("latest", {"serial", "thread"}), ("main", {"serial"})):
        assert main(["compare", "pi", "--strategies", "serial", *TINY, "--baseline", baseline, "--json", "x.json"]) == 0
        out = capsys.readouterr().out
        assert "median total time, now against baseline" in out
        assert ("only in the old run" in out) == (strategies == {"serial", "thread"})


def test_an_interrupted_compare_never_replaces_a_saved_run(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["compare", "pi", "--strategies", "serial,thread", *TINY, "--save", "main"]
    assert main(args) == 0
    folder = tmp_path / SAVED_RUNS_FOLDER / machine_id()
    complete = (folder / "main.json").read_bytes()
    capsys.readouterr()
    _interrupt_on_the_fourth_run(monkeypatch)
    assert main(args) == 130
    assert (folder / "main.json").read_bytes() == complete
    assert json.loads((folder / "main.partial.json").read_text())["partial"] is True
    assert sorted(p.name for p in folder.iterdir()) == ["main.json", "main.partial.json"]


def test_a_bad_saved_name_is_one_line_and_exit_2():
    result = run_futstrat("compare", "pi", "--save", "../main", timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("futstrat: error: argument --save: a saved run's name is letters")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.usefixtures("no_measuring")
def test_a_refused_command_line_makes_no_folder_for_saved_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", "pi", *TINY, "--save", "main", "--json", "missing/run.json"]) == 2
    assert "the folder missing does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
