"""Durations, ratios, tables and the comparison report as text, plain and for a terminal."""

from __future__ import annotations

import io

import pytest

from futstrat.measure import Ratio, analyse
from futstrat.model import RunStatus
from futstrat.report import format as fmt
from futstrat.report.comparison_view import render_comparison, render_details, verdict
from futstrat.report.table import Cell, Column, fit_columns, render_boxed, render_plain
from futstrat.report.terminal import ASCII_BOX, UNICODE_BOX, ProgressBar, Styler, wants_colour
from tests.test_measure_analysis import FIVE, fake_measurement


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(123.4, "123.4 s"), (1.0524, "1.052 s"), (0.0521, "52.1 ms"), (0.000812, "812 us"), (None, "-")],
)
def test_durations_pick_a_readable_unit(seconds, text):
    assert fmt.duration(seconds) == text


def test_ratios_show_their_interval_and_when_they_mean_nothing():
    assert fmt.ratio(Ratio(1.934, 1.901, 1.962)) == "1.93x [1.90-1.96]"
    assert fmt.ratio(Ratio(1.01, 0.98, 1.04)) == "1.01x [0.98-1.04] n.s."
    assert fmt.ratio(Ratio(2.0, None, None)) == "2.00x n.s."
    assert fmt.ratio(None) == "-"
    assert (fmt.percent_change(0.8), fmt.percent_change(1.25)) == ("20% faster", "25% slower")


COLUMNS = [Column("name"), Column("seconds", "right"), Column("detail", drop_order=1)]
ROWS = [[Cell("a"), Cell("1.5"), Cell("long detail text")], [Cell("bb"), Cell("10.25", "good"), Cell("")]]


def test_plain_table_aligns_numbers_right_and_has_no_trailing_spaces():
    assert render_plain(COLUMNS, ROWS).splitlines() == [
        "name  seconds  detail",
        "----  -------  ----------------",
        "a         1.5  long detail text",
        "bb      10.25",
    ]


def test_boxed_table_drops_optional_columns_that_do_not_fit():
    assert fit_columns(COLUMNS, ROWS, None) == [0, 1, 2]
    assert fit_columns(COLUMNS, ROWS, 20) == [0, 1]
    text = render_boxed(COLUMNS, ROWS, Styler(colour=False, box=UNICODE_BOX), width=20)
    assert "detail" not in text
    assert text.splitlines()[0] == "┌──────┬─────────┐"


def test_colour_codes_only_when_asked():
    assert Styler(colour=False).paint("x", "good") == "x"
    assert Styler(colour=True).paint("x", "good") == "\x1b[1;32mx\x1b[0m"
    boxed = render_boxed(COLUMNS, ROWS, Styler(colour=True, box=ASCII_BOX))
    assert "\x1b[1;32m  10.25\x1b[0m" in boxed  # painted after padding, so widths stay right


class FakeTerminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_colour_follows_the_terminal_and_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert wants_colour(FakeTerminal())
    assert not wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(FakeTerminal())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not wants_colour(FakeTerminal())


def test_the_plain_report_answers_the_question_without_control_codes():
    comparison = analyse(fake_measurement(FIVE, refused=["process"]))
    text = render_comparison(comparison)
    assert "\x1b" not in text
    assert "\r" not in text
    assert text.isascii()
    lines = text.splitlines()
    assert lines[0].startswith("pi (n=1000), 2 workers")
    assert "5 samples per combination after 1 warm-up, ranked by median total time" in lines[0]
    ranked = [line.split()[1] for line in lines if line[:1].isdigit()]
    assert ranked == ["process", "pool-map", "serial", "thread"]
    assert "fastest: process (sharing none), 1.90x the speed of serial; not significantly slower: pool-map" in text
    assert "refused, not measured (1):\n  pi x process x value: made-up refusal" in text
    assert "n.s." in text
    assert "baseline" in text


def test_failures_are_shown_apart_and_the_verdict_says_none_won():
    comparison = analyse(fake_measurement({"thread": [1.0, 1.0]}, failures={"thread": RunStatus.DEADLOCK}))
    text = render_comparison(comparison)
    assert "failed runs (their times are not ranked):" in text
    assert "pi x thread x none: 2 of 3 runs failed; first: deadlock: made-up failure" in text
    assert verdict(comparison).startswith("no combination finished")


def test_the_terminal_report_is_boxed_and_coloured():
    comparison = analyse(fake_measurement(FIVE))
    text = render_comparison(comparison, Styler(colour=True, box=UNICODE_BOX), width=200)
    assert "│" in text
    assert "\x1b[1;32m" in text


def test_the_progress_bar_redraws_one_line_and_erases_itself():
    stream = FakeTerminal()
    measurement = fake_measurement({"serial": [1.0]})
    bar = ProgressBar(stream)
    trial = measurement.trials[0]
    bar.trial_starting(trial.contender, True, 0, 2)
    bar.trial_finished(trial, 1, 2)
    bar.close()
    output = stream.getvalue()
    assert output.count("\r\x1b[2K") == 3
    assert "0/2 runs" in output
    assert "1/2 runs" in output
    assert "serial x none (warm-up)" in output


def test_the_details_give_every_phase_its_median_iqr_and_extremes():
    comparison = analyse(fake_measurement({"serial": [2.0, 2.2, 2.1], "process": [1.0, 1.2, 1.1]}))
    lines = render_details(comparison).splitlines()
    assert lines[0] == "every phase, over the samples whose answer checked out"
    assert lines[1].split() == ["strategy", "sharing", "phase", "median", "IQR", "min", "max", "n"]
    process_total = next(line for line in lines if line.startswith("process") and " total " in line)
    assert process_total.split() == ["process", "none", "total", "1.100", "s", "100.0", "ms", "1.000", "s",
                                     "1.200", "s", "3"]  # fmt: skip
    assert sum(1 for line in lines if line.startswith(("serial", "process"))) == 8


def test_without_serial_the_verdict_says_why_there_is_no_speedup():
    comparison = analyse(fake_measurement({"thread": [2.0, 2.1], "process": [1.0, 1.1]}))
    assert verdict(comparison) == (
        "fastest: process (sharing none) (serial was not measured, so there is no speed-up to give:"
        " add it to --strategies)"
    )


def test_when_nothing_is_significantly_slower_there_is_no_winner():
    close = {"serial": [1.00, 1.01, 0.99, 1.02, 1.00], "thread": [1.01, 1.00, 1.02, 0.99, 1.01]}
    assert verdict(analyse(fake_measurement(close))) == (
        "no clear winner: the lowest median is serial (sharing none)'s, and no other combination is"
        " significantly slower"
    )


def test_a_tie_names_the_sharing_where_one_strategy_appears_with_several():
    from types import SimpleNamespace

    from futstrat.measure.contenders import Contender
    from futstrat.report.comparison_view import _with_sharing

    thread_value = Contender("lookup", "thread", "value", None)
    thread_shm = Contender("lookup", "thread", "shm", None)
    process_shm = Contender("lookup", "process", "shm", None)
    tied = [SimpleNamespace(contender=c) for c in (thread_value, thread_shm, process_shm)]
    assert [_with_sharing(r.contender, tied) for r in tied] == [  # type: ignore[arg-type]
        "thread (sharing value)",
        "thread (sharing shm)",
        "process",
    ]
