"""Declaring the state a workload's tasks share: named, typed slots.

A workload says *what* its tasks share (a counter, an array of numbers, a mapping, large read-only
data) and each sharing backend says *how* it provides each kind; task code then sees one object with
an attribute per slot (:class:`futstrat.sharing.SharedState`) whatever backend provided it. These are
the parent-side declarations; what a worker sees lives in :mod:`futstrat.sharing`, which stays light.
"""

from __future__ import annotations

import enum
import keyword
import pickle
import sys
from collections import abc
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from attrs import field, frozen

if TYPE_CHECKING:
    from futstrat.model import PlanContext, Workload

#: The typecodes of the ``array`` module an :class:`Array` may hold.
ARRAY_TYPECODES = ("b", "h", "i", "l", "q", "B", "H", "I", "L", "Q", "f", "d")
#: Every slot kind, in the order ``futstrat list`` shows them.
SLOT_KINDS = ("counter", "array", "mapping", "readonly")


class SharedStateNeed(enum.Enum):
    """How much a workload depends on state shared between its tasks."""

    NONE = "none"  # results come back through futures only
    OPTIONAL = "optional"  # works with shared state or, differently, without it
    REQUIRED = "required"  # meaningless without shared state


@frozen
class Counter:
    """An integer, its lock and a start line: what ``SharedCounter`` gives task code."""

    kind: ClassVar[str] = "counter"


def _valid_typecode(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ARRAY_TYPECODES:
        raise ValueError(f"Array typecode must be one of {' '.join(ARRAY_TYPECODES)}, not {value!r}")


def _valid_length(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Array length must be a whole number of at least 1, not {value!r}")


@frozen
class Array:
    """Numbers that tasks update under a lock (histogram bins, partial sums), zero to begin with."""

    kind: ClassVar[str] = "array"
    typecode: str = field(validator=_valid_typecode)
    length: int = field(validator=_valid_length)


@frozen
class Mapping:
    """A dict tasks write to (results by key); keys and values must pickle."""

    kind: ClassVar[str] = "mapping"


@frozen(eq=False)
class ReadOnly:
    """Data made once in the parent and only read by the tasks.

    ``bytes``, anything with the buffer protocol (a numpy array) or any picklable object. Backends
    that can share memory hand buffer data over without a copy per task; the rest copy it.
    """

    kind: ClassVar[str] = "readonly"
    data: Any


Slot = Counter | Array | Mapping | ReadOnly
SLOT_TYPES = (Counter, Array, Mapping, ReadOnly)

#: What a workload that uses shared state but declares no slots gets: today's one counter.
LEGACY_SLOT_NAME = "counter"


def legacy_slots() -> dict[str, Slot]:
    return {LEGACY_SLOT_NAME: Counter()}


def validated_slots(slots: Any, owner: str = "a workload") -> dict[str, Slot]:
    """The slots as a dict, or a ValueError in one line that says which name or value is wrong."""
    if not isinstance(slots, abc.Mapping):
        raise ValueError(f"{owner} declared shared slots as {type(slots).__name__}, not a dict of name to slot")
    checked: dict[str, Slot] = {}
    for name, slot in slots.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise ValueError(
                f"{owner} declared a shared slot named {name!r}: a slot name must be a Python identifier"
                " that does not start with '_' (tasks read it as shared.<name>)"
            )
        if not isinstance(slot, SLOT_TYPES):
            raise ValueError(
                f"{owner} declared shared slot {name!r} as {slot!r}: use Counter(), Array(typecode, length),"
                " Mapping() or ReadOnly(data)"
            )
        checked[name] = slot
    return checked


def slot_kinds(slots: abc.Mapping[str, Slot]) -> frozenset[str]:
    return frozenset(slot.kind for slot in slots.values())


def declared_slots(workload: Workload, params: abc.Mapping[str, Any], plan: PlanContext) -> dict[str, Slot]:
    """The workload's own slots; ``{}`` when it declares none (then it may be a legacy counter one)."""
    return validated_slots(workload.shared_slots(params, plan), f"workload {workload.name!r}")


def is_legacy(workload: Workload, slots: abc.Mapping[str, Slot]) -> bool:
    """A workload that uses shared state and declares no slots: tasks get the SharedCounter itself."""
    return not slots and workload.shared_state is not SharedStateNeed.NONE


def slots_for(workload: Workload, params: abc.Mapping[str, Any], plan: PlanContext) -> tuple[dict[str, Slot], bool]:
    """The slots a run must provide, and whether the workload is a legacy counter one."""
    slots = declared_slots(workload, params, plan)
    if is_legacy(workload, slots):
        return legacy_slots(), True
    return slots, False


# -- read-only data: its bytes and how to show them again ----------------------------------------------


@frozen
class BufferLayout:
    """How a read-only buffer's bytes are shown to task code: format and shape, and a numpy dtype if it
    was a numpy array. Picklable, and made of plain values: it travels to workers."""

    nbytes: int
    format: str
    shape: tuple[int, ...]
    numpy_dtype: str | None = None

    def as_tuple(self) -> tuple[int, str, tuple[int, ...], str | None]:
        """The plain tuple worker-side code takes (it cannot import attrs)."""
        return (self.nbytes, self.format, self.shape, self.numpy_dtype)


def is_numpy_array(data: object) -> bool:
    """Without importing numpy: only data that is already a numpy array can have it loaded."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(data, numpy.ndarray)


def buffer_of(data: object) -> tuple[memoryview, BufferLayout] | None:
    """The data's bytes (C order, one dimension of bytes) and its layout; None if it has no buffer."""
    if isinstance(data, (str, int, float, bool)) or data is None:
        return None
    if is_numpy_array(data):
        numpy = sys.modules["numpy"]
        array = numpy.ascontiguousarray(data)
        if array.dtype.hasobject:
            return None
        view = memoryview(array.reshape(-1).view(numpy.uint8))
        return view, BufferLayout(array.nbytes, "B", tuple(array.shape), array.dtype.str)
    try:
        view = memoryview(data)  # type: ignore[arg-type]
    except TypeError:
        return None
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    shape = tuple(view.shape or ())
    fmt = view.format
    try:
        flat = view.cast("B")
    except TypeError:
        flat = memoryview(view.tobytes())
    if fmt.lstrip("@") not in _CASTABLE_FORMATS:  # a format memoryview cannot show again: plain bytes
        fmt, shape = "B", (view.nbytes,)
    return flat, BufferLayout(view.nbytes, fmt.lstrip("@") or "B", shape)


def readonly_view_of(data: Any) -> Any:
    """What task code sees of read-only data in the process that made it (threads): a read-only view of
    the same memory, with its format and shape (a read-only numpy array for a numpy array), or, for data
    that is no buffer, the object itself. Nothing is copied."""
    if is_numpy_array(data):
        view = data.view()
        view.flags.writeable = False
        return view
    if isinstance(data, str):
        return data
    try:
        return memoryview(data).toreadonly()
    except TypeError:
        return data


_CASTABLE_FORMATS = frozenset("bBhHiIlLqQfdc?") | {"e"}


def readonly_payload(data: object) -> tuple[str, Any, BufferLayout | None]:
    """``("buffer", bytes view, layout)`` for buffer data, ``("object", pickled bytes, None)`` otherwise."""
    found = buffer_of(data)
    if found is not None:
        return "buffer", found[0], found[1]
    return "object", pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL), None
