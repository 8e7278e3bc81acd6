"""Reading numbers typed on the command line: ASCII digits only.

Python's ``int`` and ``float`` read any Unicode digit (``int("١٢")`` is 12) and a few words
(``float("nan")``, ``float("infinity")``). A number that looks like something else on the screen must
not become a setting: futstrat reads plain ASCII numbers, with ``_`` allowed only between digits as in
Python source (``1_000_000``), and refuses the rest.
"""

from __future__ import annotations

import re

_DIGITS = r"[0-9]+(?:_[0-9]+)*"
_WHOLE = re.compile(rf"[+-]?{_DIGITS}")
_REAL = re.compile(rf"[+-]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?")


def is_whole_number(text: str) -> bool:
    """``text`` (without surrounding spaces) is a whole number in ASCII digits."""
    return _WHOLE.fullmatch(text.strip()) is not None


def is_real_number(text: str) -> bool:
    """``text`` (without surrounding spaces) is a decimal number in ASCII: ``2``, ``0.5``, ``1e-3``."""
    return _REAL.fullmatch(text.strip()) is not None


def parse_whole(text: str) -> int:
    """The whole number ``text`` spells in ASCII digits; ``ValueError`` for anything else."""
    if not is_whole_number(text):
        raise ValueError(f"not a whole number in ASCII digits: {text!r}")
    return int(text.strip())


def parse_real(text: str) -> float:
    """The number ``text`` spells in ASCII (possibly infinite when it is huge); ``ValueError`` for
    anything else, ``nan`` and ``inf`` included."""
    if not is_real_number(text):
        raise ValueError(f"not a number in ASCII digits: {text!r}")
    return float(text.strip())
