"""An answer written for a person: a few lines at most, with its size when it was cut.

A workload's answer can be anything its ``combine`` returns, a dict of a thousand file digests say.
The terminal gets a glimpse of it; ``--json`` keeps it whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any

#: The widest line of an answer, in characters.
ANSWER_WIDTH = 100
#: Entries of a long dict, list, tuple or set shown before "...".
ANSWER_ENTRIES = 5


def answer_lines(value: Any, width: int = ANSWER_WIDTH, entries: int = ANSWER_ENTRIES) -> list[str]:
    """The answer as it fits on one line, else its first ``entries`` entries, "..." and its size."""
    whole = repr(value)
    if len(whole) <= width and "\n" not in whole:
        return [whole]
    if isinstance(value, Mapping):
        shown = [f"{_cut(repr(key), width)}: {_cut(repr(item), width)}" for key, item in _first(value.items(), entries)]
    elif isinstance(value, (list, tuple, set, frozenset)):
        shown = [_cut(repr(item), width) for item in _first(value, entries)]
    else:
        return [_cut(whole, width) + _size(value)]
    if len(value) > entries:
        shown.append(f"...{_size(value)}")
    return shown


def brief(value: Any, width: int = 60) -> str:
    """The answer on one short line: its repr, or the start of it and its size."""
    whole = repr(value).replace("\n", "\\n")
    if len(whole) <= width:
        return whole
    return whole[: width - 3] + "..." + _size(value)


def _first(values: Any, count: int) -> list[Any]:
    taken: list[Any] = []
    for value in values:
        if len(taken) == count:
            break
        taken.append(value)
    return taken


def _cut(text: str, width: int) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 3] + "..."


def _size(value: Any) -> str:
    if isinstance(value, Mapping):
        return f" ({type(value).__name__} of {len(value):,} entries)"
    if isinstance(value, str):
        return f" (str of {len(value):,} characters)"
    if isinstance(value, Sized):
        try:
            return f" ({type(value).__name__} of {len(value):,} items)"
        except Exception:
            return ""
    return ""
