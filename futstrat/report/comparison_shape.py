"""The shape of a saved comparison, checked field by field before ``futstrat diff`` reads a word of it.

A file can name the right schema and still hold anything (``"combinations": [1, 2]``, ``"samples":
"abc"``, lists nested a hundred thousand deep), by damage or by hand. The readers trust the shape the
writer in ``jsonfile`` gives, so it is checked here first, and the first wrong field is named with what
was expected. Fields the readers do not need may be missing (new ones may appear within a version);
a field that is there must have the writer's type.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from futstrat.measure.analysis import FIGURES

#: Deeper than anything futstrat writes (a task's value included) and far below Python's recursion limit.
MAX_NESTING = 100

#: Longer than any run (about 30 years), and small enough that statistics on such times cannot overflow.
MAX_SECONDS = 1e9

#: The strings ``strict_json`` writes in place of infinities and NaN.
NON_FINITE_NAMES = ("inf", "-inf", "nan")

Check = Callable[[Any], str | None]


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def nesting_depth(value: Any, limit: int = MAX_NESTING) -> int:
    """How deeply lists and objects nest in ``value``, counted without recursion and up to ``limit + 1``."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (list, dict)):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _expect(accepts: Callable[[Any], bool], expected: str) -> Check:
    def check(value: Any) -> str | None:
        if accepts(value):
            return None
        shown = f"{json_type(value)} {_short(value)}" if isinstance(value, (int, float, str)) else json_type(value)
        return f"should be {expected}, got {shown}"

    return check


string = _expect(lambda v: isinstance(v, str), "a string")
string_or_null = _expect(lambda v: v is None or isinstance(v, str), "a string or null")
boolean = _expect(lambda v: isinstance(v, bool), "true or false")
integer = _expect(_is_integer, "an integer")
integer_or_null = _expect(lambda v: v is None or _is_integer(v), "an integer or null")
obj = _expect(lambda v: isinstance(v, dict), "an object")
obj_or_null = _expect(lambda v: v is None or isinstance(v, dict), "an object or null")
array = _expect(lambda v: isinstance(v, list), "a list")
figure_name = _expect(lambda v: v is None or v in FIGURES, f"one of {', '.join(FIGURES)}")
number_or_null = _expect(
    lambda v: v is None or _is_finite_number(v) or v in NON_FINITE_NAMES, "a finite number or null"
)
seconds = _expect(
    lambda v: v is None or (_is_finite_number(v) and 0 <= v <= MAX_SECONDS) or v in NON_FINITE_NAMES,
    f"a number of seconds from 0 to {MAX_SECONDS:,.0f}, or null",
)

SAMPLE_FIELDS: dict[str, Check] = {
    "round": integer,
    "warmup": boolean,
    "status": string,
    "ok": boolean,
    "startup": seconds,
    "compute": seconds,
    "shutdown": seconds,
    "total": seconds,
    "wall": seconds,
    "own_cpu": number_or_null,
    "outside_cpu": number_or_null,
    "check": string_or_null,
    "error": string_or_null,
}

COMBINATION_FIELDS: dict[str, Check] = {
    "workload": string,
    "strategy": string,
    "sharing": string,
    "workers": integer_or_null,
    "start_method": string_or_null,
    "params": obj,
    "rank": integer_or_null,
    "failures": integer,
    "stopped": string_or_null,
    "statistics": obj,
    "ratio_to_fastest": obj_or_null,
    "speedup_over_serial": obj_or_null,
    "noise": array,
    "outside_cpus": number_or_null,
    "samples": array,
    "sweep_workers": integer_or_null,
}
COMBINATION_REQUIRED = ("workload", "strategy", "sharing", "samples")

TOP_FIELDS: dict[str, Check] = {
    "partial": boolean,
    "workload": string,
    "params": obj,
    "workers": integer_or_null,
    "figure": figure_name,
    "repeat": integer,
    "warmup": integer,
    "runs": obj,
    "settings": obj,
    "metadata": obj,
    "fastest": obj_or_null,
    "combinations": array,
    "refused": array,
    "warnings": array,
    "core_speeds": obj_or_null,
    "sweep": obj_or_null,
}
TOP_REQUIRED = ("combinations",)

#: A worker sweep (``compare --workers 1,2,4``); files from before sweeps have none.
SWEEP_FIELDS: dict[str, Check] = {
    "workers": array,
    "usable_cpus": integer,
    "scale_size": boolean,
    "size_param": string_or_null,
    "law": string,
    "points": array,
    "fits": array,
    "oversubscription": array,
}
SWEEP_REQUIRED = ("workers", "points", "fits")
SWEEP_POINT_FIELDS: dict[str, Check] = {
    "strategy": string,
    "sharing": string_or_null,
    "workers": integer,
    "median": seconds,
    "speedup": obj_or_null,
    "efficiency": obj_or_null,
    "oversubscribed": boolean,
}
SWEEP_FIT_FIELDS: dict[str, Check] = {
    "strategy": string,
    "sharing": string_or_null,
    "law": string,
    "fitted_workers": array,
    "serial_fraction": obj,
    "poor_fit": boolean,
    "problem": string_or_null,
    "predictions": array,
}


def _fields(where: str, data: dict[str, Any], checks: dict[str, Check], required: tuple[str, ...]) -> str | None:
    for name in required:
        if name not in data:
            return f"{where}{name} is missing"
    for name, check in checks.items():
        if name in data:
            problem = check(data[name])
            if problem:
                return f"{where}{name} {problem}"
    return None


def _each_object(where: str, items: list[Any]) -> str | None:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            return f"{where}[{index}] {obj(item)}"
    return None


def shape_problem(data: dict[str, Any]) -> str | None:
    """The first field of a saved comparison that is not as futstrat writes it, in words; None if all are."""
    if nesting_depth(data) > MAX_NESTING:
        return f"it nests lists or objects more than {MAX_NESTING} deep"
    problem = _fields("", data, TOP_FIELDS, TOP_REQUIRED)
    if problem:
        return problem
    for name in ("combinations", "refused"):
        problem = _each_object(name, data.get(name, []))
        if problem:
            return problem
    for index, warning in enumerate(data.get("warnings", [])):
        if not isinstance(warning, str):
            return f"warnings[{index}] {string(warning)}"
    for index, combination in enumerate(data["combinations"]):
        where = f"combinations[{index}]"
        problem = _fields(f"{where}.", combination, COMBINATION_FIELDS, COMBINATION_REQUIRED)
        problem = problem or _each_object(f"{where}.samples", combination["samples"])
        if problem:
            return problem
        for number, sample in enumerate(combination["samples"]):
            problem = _fields(f"{where}.samples[{number}].", sample, SAMPLE_FIELDS, ())
            if problem:
                return problem
    return sweep_shape_problem(data.get("sweep"))


def sweep_shape_problem(sweep: dict[str, Any] | None) -> str | None:
    """The first field of a saved sweep that is not as futstrat writes it; None if all are (or no sweep)."""
    if sweep is None:
        return None
    problem = _fields("sweep.", sweep, SWEEP_FIELDS, SWEEP_REQUIRED)
    if problem:
        return problem
    for index, count in enumerate(sweep["workers"]):
        if not _is_integer(count):
            return f"sweep.workers[{index}] {integer(count)}"
    for name, checks in (("points", SWEEP_POINT_FIELDS), ("fits", SWEEP_FIT_FIELDS)):
        problem = _each_object(f"sweep.{name}", sweep[name])
        if problem:
            return problem
        for index, item in enumerate(sweep[name]):
            problem = _fields(f"sweep.{name}[{index}].", item, checks, ())
            if problem:
                return problem
    return None
