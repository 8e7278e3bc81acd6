"""The regression gate and the Markdown tables, on made-up samples: every verdict is known in advance."""

from __future__ import annotations

import re

import pytest

from futstrat.measure import analyse
from futstrat.model import RunStatus
from futstrat.report.diff import diff_runs
from futstrat.report.gate import Outcome, Threshold, failure_summary, judge, parse_threshold, render_gate
from futstrat.report.jsonfile import comparison_to_dict
from futstrat.report.markdown import comparison_markdown, diff_markdown, escape, markdown_table
from futstrat.report.table import Cell, Column
from tests.test_measure_analysis import FIVE, fake_measurement

STEADY = FIVE["thread"]
NOISY_OLD = [1.0, 1.2, 0.9, 1.1, 1.0]
NOISY_NEW = [1.1, 0.95, 1.3, 1.0, 1.15]  # median 10% higher, but the interval holds 1


def saved(times, **kwargs):
    return comparison_to_dict(analyse(fake_measurement(times, **kwargs)))


def gate(old, new, share):
    return judge(diff_runs(saved(old), saved(new)), parse_threshold(share))


def outcomes(result):
    return {f.change.key[1]: f.outcome for f in result.findings}


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("5%", 0.05), ("0.05", 0.05), (" 12.5 % ", 0.125), ("0", 0.0), ("0%", 0.0), ("150%", 1.5), (".1", 0.1)],
)
def test_a_threshold_is_a_percentage_or_a_fraction(text, fraction):
    assert parse_threshold(text).fraction == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5", "'5' is ambiguous: write 5% for a percentage, or a fraction under 1 (0.05)"),
        ("1", "ambiguous"),
        ("-5%", "a share of 0 or more"),
        ("-0.1", "a share of 0 or more"),
        ("nan", "expected a share such as 5% or 0.05"),
        ("inf%", "expected a share"),
        ("1e400%", "a share of 0 or more"),
        ("\u0665%", "expected a share"),
        ("five", "expected a share such as 5% or 0.05, got 'five'"),
        ("", "expected a share"),
        ("%", "expected a share"),
        ("5%%", "expected a share"),
    ],
)
def test_a_threshold_that_is_not_one_is_refused(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_threshold(text)


def test_a_threshold_is_shown_as_a_percentage():
    assert Threshold(0.05).text == "5%"
    assert parse_threshold("0.125").text == "12.5%"


def test_missed_a_significant_slowdown_past_the_threshold_fails_the_gate():
    result = gate({"thread": STEADY}, {"thread": [t * 1.08 for t in STEADY]}, "5%")
    assert outcomes(result) == {"thread": Outcome.SLOWER}
    assert not result.passed
    (finding,) = result.failures
    assert finding.reason == "8% slower, 1.08x [1.07-1.09], past the 5% allowed"


def test_met_the_same_slowdown_within_a_larger_threshold_passes_and_is_listed():
    result = gate({"thread": STEADY}, {"thread": [t * 1.08 for t in STEADY]}, "10%")
    assert outcomes(result) == {"thread": Outcome.SLOWER_WITHIN}
    assert result.passed
    text = render_gate(result)
    assert text.splitlines()[0].startswith("gate passed (--fail-if-slower 10%)")
    assert "slower, but within 10%:\n  pi x thread x none: 8% slower, 1.08x [1.07-1.09], within the 10% allowed" in text


def test_not_significant_a_slower_median_whose_interval_holds_1_passes_and_is_listed():
    result = gate({"thread": NOISY_OLD}, {"thread": NOISY_NEW}, "5%")
    assert outcomes(result) == {"thread": Outcome.SLOWER_NOT_SIGNIFICANT}
    assert result.passed
    assert "slower, but not significantly:\n  pi x thread x none: 10% slower, 1.10x [0.86-1.30] n.s.:" in (
        render_gate(result)
    )


def test_a_threshold_under_the_significance_rule_acts_as_5_percent():
    result = gate({"thread": STEADY}, {"thread": [t * 1.04 for t in STEADY]}, "0%")
    assert outcomes(result) == {"thread": Outcome.SLOWER_NOT_SIGNIFICANT}
    assert "not significant (under 5%)" in result.findings[0].reason


def test_faster_and_unchanged_combinations_pass():
    result = gate(FIVE, {**FIVE, "process": [t * 0.7 for t in FIVE["process"]]}, "5%")
    assert set(outcomes(result).values()) == {Outcome.PASSED}
    assert render_gate(result) == (
        "gate passed (--fail-if-slower 5%): no combination is significantly slower by more than 5%, missing or failing"
    )


def test_a_combination_missing_from_the_new_run_fails_the_gate():
    new = {k: v for k, v in FIVE.items() if k != "thread"}
    result = gate(FIVE, new, "5%")
    assert outcomes(result)["thread"] is Outcome.MISSING
    assert not result.passed
    assert "  pi x thread x none: in the baseline but not measured in the new run" in render_gate(result)


def test_a_combination_only_in_the_new_run_passes_and_is_listed():
    result = gate(FIVE, {**FIVE, "process-map": [1.0, 1.0]}, "5%")
    assert outcomes(result)["process-map"] is Outcome.NEW
    assert result.passed
    assert "only in the new run, not judged:\n  pi x process-map x none" in render_gate(result)


def test_failed_runs_in_the_new_run_fail_the_gate_even_when_the_rest_is_faster():
    old, new = saved(FIVE), saved(FIVE, failures={"thread": RunStatus.CHECK_FAILED})
    result = judge(diff_runs(old, new), parse_threshold("5%"))
    assert outcomes(result)["thread"] is Outcome.FAILED_RUNS
    assert result.failures[0].reason == "5 of 5 runs failed in the new run"
    assert failure_summary(result) == (
        "the regression gate failed (--fail-if-slower 5%): 1 combination with failed runs"
    )


def test_failed_runs_in_the_baseline_alone_do_not_pass_silently():
    old, new = saved(FIVE, failures={"thread": RunStatus.ERROR}), saved(FIVE)
    result = judge(diff_runs(old, new), parse_threshold("5%"))
    assert outcomes(result)["thread"] is Outcome.NOT_JUDGED
    assert "0 in the baseline, 5 in the new run" in result.failures[0].reason


def test_one_sample_a_side_cannot_be_judged_and_fails_the_gate():
    result = gate({"thread": [1.0]}, {"thread": [5.0]}, "5%")
    assert outcomes(result) == {"thread": Outcome.NOT_JUDGED}
    assert not result.passed


def test_the_one_line_summary_counts_each_kind_of_failure():
    new = {"serial": [t * 2 for t in FIVE["serial"]], "thread": [t * 3 for t in STEADY], "process": FIVE["process"]}
    result = gate(FIVE, new, "5%")
    assert failure_summary(result) == (
        "the regression gate failed (--fail-if-slower 5%): 2 combinations significantly slower by more than 5%,"
        " 1 combination missing from the new run"
    )
    lines = render_gate(result).splitlines()
    assert lines[0] == "gate failed (--fail-if-slower 5%): 3 of 4 combinations failed it"
    assert lines[1] == "failed the gate:"


def test_a_markdown_table_escapes_what_would_break_it():
    assert escape("a|b\nc") == "a\\|b c"
    assert escape("") == " "
    table = markdown_table([Column("name"), Column("time", "right")], [[Cell("x|y"), Cell("1.0 s")]])
    assert table.splitlines() == ["| name | time |", "| --- | ---: |", "| x\\|y | 1.0 s |"]


def test_the_diff_in_markdown_has_the_terminal_figures_and_the_gate():
    new = {**FIVE, "thread": [t * 1.5 for t in STEADY]}
    diff = diff_runs(saved(FIVE), saved(new), names=("main", "pr"))
    text = diff_markdown(diff, judge(diff, parse_threshold("5%")))
    lines = text.splitlines()
    assert lines[0] == "**median total time, pr against main (a ratio below 1 is faster)**"
    assert "| workload | strategy | sharing | main median | pr median | pr/main | verdict |" in lines
    assert "| pi | thread | none | 2.100 s | 3.150 s | 1.50x [1.49-1.51] | 50% slower |" in lines
    assert "**gate failed (--fail-if-slower 5%): 1 of 4 combinations failed it**" in lines
    assert "  - pi x thread x none: 50% slower, 1.50x [1.49-1.51], past the 5% allowed" in lines
    assert "\x1b" not in text


def test_the_comparison_in_markdown_has_the_terminal_columns_with_intervals():
    text = comparison_markdown(analyse(fake_measurement(FIVE)))
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("| # |"))
    assert "| time vs fastest | speed-up vs serial | ok | notes |" in header
    row = next(line for line in lines if line.startswith("| 1 | process |"))
    assert "fastest" in row
    assert "| 1.90x [" in row  # serial / process, with its interval
    assert any(line.startswith("fastest: process") for line in lines)
