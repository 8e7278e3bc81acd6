"""Parameter parsing: typed, bounded, and never a traceback for a bad value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from futstrat.builtin.workloads.pi import PiWorkload
from futstrat.errors import ParamError, UnknownNameError, UsageError
from futstrat.model import Param
from futstrat.params import convert, parse_assignments, resolve

N = Param("n", int, 10, "terms", minimum=1, maximum=10**10)
SECONDS = Param("seconds", float, 0.5, "a pause", minimum=0.0, maximum=60.0)
FLAG = Param("flag", bool, False, "a switch")


@pytest.mark.parametrize(("text", "value"), [("1000", 1000), ("10_000", 10_000), ("1e6", 1_000_000), (" 7 ", 7)])
def test_whole_numbers_are_read_generously(text, value):
    assert convert(N, text) == value


@pytest.mark.parametrize("text", ["1.5", "ten", "", "nan", "inf", "1e400"])
def test_other_text_is_not_a_whole_number(text):
    with pytest.raises(ParamError, match="parameter n takes a whole number"):
        convert(N, text)


@pytest.mark.parametrize(("text", "value"), [("true", True), ("0", False), ("Yes", True), ("off", False)])
def test_booleans(text, value):
    assert convert(FLAG, text) is value


@given(st.integers())
def test_integers_are_accepted_exactly_within_bounds(number):
    if 1 <= number <= 10**10:
        assert convert(N, str(number)) == number
    else:
        with pytest.raises(ParamError, match=r"parameter n must be at (least|most)"):
            convert(N, str(number))


@given(st.text())
def test_any_text_is_either_a_valid_value_or_a_param_error(text):
    try:
        value = convert(SECONDS, text)
    except ParamError as exc:
        message = str(exc)
    else:
        assert 0.0 <= value <= 60.0
        return
    assert "parameter seconds" in message


@given(st.lists(st.text(), max_size=4))
def test_assignment_parsing_never_raises_anything_but_usage_errors(items):
    try:
        parsed = parse_assignments(items)
    except UsageError:
        return
    assert all(name and "=" not in name for name in parsed)


def test_resolve_fills_defaults_and_names_unknown_parameters():
    assert resolve(PiWorkload(), {"n": "50"}) == {"n": 50, "tasks": None}
    with pytest.raises(UnknownNameError, match="did you mean 'tasks'"):
        resolve(PiWorkload(), {"task": 3})
