"""The benchmarks' verdicts: when a missed target is a plain miss and when the run could not tell.

The benchmarks time nothing here; their verdict rules are plain functions, checked on made-up ratios.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from futstrat.measure.stats import Ratio


@pytest.fixture(scope="module")
def interleaved() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "interleaved.py"
    spec = importlib.util.spec_from_file_location("benchmark_interleaved", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_a_busy_machine_puts_every_miss_in_doubt(interleaved: ModuleType) -> None:
    assert interleaved.doubt_about(True, Ratio(1.2, 1.1, 1.3), 1.85) == "the machine was busy"
    assert interleaved.doubt_about(True, Ratio(1.0, 0.99, 1.01), 1.03, Ratio(1.9, 1.8, 2.0))


def test_a_miss_whose_interval_holds_the_target_is_in_doubt(interleaved: ModuleType) -> None:
    assert "interval holds the target" in interleaved.doubt_about(False, Ratio(1.7, 1.2, 2.4), 1.85)
    assert "interval holds the target" in interleaved.doubt_about(False, Ratio(1.1, 0.9, 1.2), 1.03)


def test_a_miss_with_a_narrow_interval_and_no_floor_is_plain(interleaved: ModuleType) -> None:
    assert interleaved.doubt_about(False, Ratio(1.7, 1.65, 1.75), 1.85) is None
    assert interleaved.doubt_about(False, Ratio(1.1, 1.06, 1.14), 1.03) is None
    assert interleaved.doubt_about(False, Ratio(1.7, None, None), 1.85) is None


def test_a_miss_beside_a_floor_that_missed_too_is_in_doubt(interleaved: ModuleType) -> None:
    floor = Ratio(1.75, 1.72, 1.78)
    doubt = interleaved.doubt_about(False, Ratio(1.72, 1.70, 1.74), 1.85, floor)
    assert doubt is not None
    assert "hand-written code reached only 1.750" in doubt


def test_a_miss_far_below_the_floor_is_plain(interleaved: ModuleType) -> None:
    floor = Ratio(1.80, 1.78, 1.82)
    assert interleaved.doubt_about(False, Ratio(1.60, 1.58, 1.62), 1.85, floor) is None
    met_floor = Ratio(1.95, 1.93, 1.97)
    assert interleaved.doubt_about(False, Ratio(1.80, 1.78, 1.82), 1.85, met_floor) is None


def test_a_met_target_carries_no_doubt(interleaved: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    verdict = interleaved.check_ratio("x", Ratio(1.9, 1.2, 2.4), 1.85, at_most=False, busy=True)
    assert verdict == (True, None)
    assert "target >= 1.85  met" in capsys.readouterr().out


def test_a_miss_is_printed_with_its_doubt(interleaved: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    verdict = interleaved.check_ratio("x", Ratio(1.1, 0.9, 1.2), 1.03, at_most=True, busy=False)
    assert not verdict.met
    assert "interval holds the target" in verdict.doubt
    assert "not met, inconclusive: its 95% interval" in capsys.readouterr().out
    plain = interleaved.check_ratio("x", Ratio(1.6, 1.58, 1.62), 1.85, at_most=False, busy=False)
    assert plain == (False, None)
    assert "NOT MET" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("verdicts", "code"),
    [
        ([(True, None), (True, None)], 0),
        ([(True, None), (False, None)], 1),
        ([(True, None), (False, "noisy")], 3),
        ([(False, "noisy"), (False, None)], 1),
    ],
)
def test_exit_codes(interleaved: ModuleType, verdicts: list[tuple[bool, str | None]], code: int) -> None:
    assert interleaved.exit_code([interleaved.Verdict(*verdict) for verdict in verdicts]) == code
