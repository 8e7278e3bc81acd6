"""Typed, bounded parameters from ``name=value`` strings or Python values.

A workload's parameters (``--param``) and a strategy's options (``--option``) are both :class:`Param`
declarations, so they are parsed, converted and bounded by the same code and refused in the same words.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from futstrat.errors import ParamError, UnknownNameError, UsageError
from futstrat.model import Param, StrategySpec, Workload
from futstrat.numbers import is_whole_number, parse_real

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_assignments(
    assignments: Iterable[str], *, flag: str = "--param", noun: str = "parameter", example: str = "n=1000000"
) -> dict[str, str]:
    """``["n=1000", "tasks=8"]`` to a dict; a malformed item is a usage error."""
    parsed: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"{flag} takes name=value, like {example}, not {item!r}")
        if name in parsed:
            raise UsageError(f"{noun} {name!r} is given twice ({parsed[name]!r} and {value.strip()!r}): give it once")
        parsed[name] = value.strip()
    return parsed


def convert(param: Param, raw: Any, noun: str = "parameter") -> Any:
    """One value to the parameter's type, within its bounds."""
    value = _to_kind(param, raw, noun)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if param.minimum is not None and value < param.minimum:
            raise ParamError(f"{noun} {param.name} must be at least {_num(param.minimum)}, got {_num(value)}")
        if param.maximum is not None and value > param.maximum:
            raise ParamError(f"{noun} {param.name} must be at most {_num(param.maximum)}, got {_num(value)}")
    return value


def _to_kind(param: Param, raw: Any, noun: str) -> Any:
    kind = param.kind
    if isinstance(raw, kind) and not (kind is int and isinstance(raw, bool)):
        return raw
    try:
        if kind is bool:
            lowered = str(raw).strip().lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            raise ValueError
        if kind is int:
            if isinstance(raw, str) and is_whole_number(raw):
                return int(raw.strip())
            # 1e7 and 2.0 are accepted when they are whole numbers
            number = float(raw) if isinstance(raw, (int, float)) else parse_real(str(raw))
            if not math.isfinite(number) or number != int(number):
                raise ValueError
            return int(number)
        if kind is float:
            number = float(raw) if isinstance(raw, (int, float)) else parse_real(str(raw))
            if not math.isfinite(number):
                raise ValueError
            return number
        return str(raw)
    except (ValueError, OverflowError):
        raise ParamError(f"{noun} {param.name} takes {_kind_words(kind)}, not {raw!r} ({param.help})") from None


def resolve(workload: Workload, given: Mapping[str, Any]) -> dict[str, Any]:
    """The workload's full parameter set: given values checked and converted, the rest defaulted."""
    return resolve_declared(workload.params, given, "parameter", f"workload {workload.name!r}")


def resolve_options(strategy: StrategySpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """The strategy's full option set (``--option``): given values checked and converted, the rest defaulted."""
    return resolve_declared(strategy.params, given, "option", f"strategy {strategy.name!r}")


def resolve_declared(declared: Iterable[Param], given: Mapping[str, Any], noun: str, owner: str) -> dict[str, Any]:
    """Every declared name with its value: the given one converted and bounded, else the default."""
    by_name = {p.name: p for p in declared}
    for name in given:
        if name not in by_name:
            raise UnknownNameError(noun, name, by_name, owner=owner)
    return {
        name: (convert(param, given[name], noun) if name in given else param.default) for name, param in by_name.items()
    }


def _kind_words(kind: type) -> str:
    return {int: "a whole number", float: "a number", bool: "true or false", str: "text"}[kind]


def _num(value: float) -> str:
    return f"{value:,}" if float(value).is_integer() else f"{value:g}"
