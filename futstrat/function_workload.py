"""``@futstrat.workload``: turn a plain function into a workload that maps it over items."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from futstrat.guest import guest_code
from futstrat.model import Check, Param, PlanContext, Task, TaskMap, Workload


class FunctionWorkload(Workload):
    """A workload made from a function of one item.

    The object replaces the function in its module, so it pickles by its module and name: a worker
    process finds it again by importing that module, under every start method.
    """

    def __init__(
        self,
        fn: Callable[[Any], Any],
        *,
        name: str | None,
        description: str | None,
        params: Mapping[str, Any],
        items: Callable[[Mapping[str, Any]], Sequence[Any]] | None,
        combine: Callable[[Iterable[Any]], Any],
        expected: Callable[[Mapping[str, Any]], Any] | None,
    ) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self.name = name or fn.__name__.replace("_", "-")
        doc = (fn.__doc__ or "").strip().splitlines()
        self.description = description or (doc[0] if doc else f"{fn.__qualname__} over each item")
        given = dict(params)
        if items is None:
            given.setdefault("n", 1000)
        self.params = tuple(
            Param(key, type(default), default, f"workload parameter {key}") for key, default in given.items()
        )
        self._items = items or (lambda p: range(p["n"]))
        self._combine = combine
        self._expected = expected

    def __call__(self, item: Any) -> Any:
        return self._fn(item)

    def __reduce__(self) -> str:
        qualname: str = self.__dict__["__qualname__"]  # set by update_wrapper from the function
        return qualname

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        """One task per item; the runner sends them to workers in chunks of the size it chooses."""
        with guest_code("the workload's items"):
            items = self._items(params)
        return TaskMap(self._importable_callable(), items)

    def _importable_callable(self) -> Callable[[Any], Any]:
        """What workers can import by name: this object where it replaced the function in its module
        (the decorator), or the function itself where it kept its own name."""
        module = sys.modules.get(self._fn.__module__)
        found = getattr(module, self._fn.__name__, None)
        return self._fn if found is self._fn else self

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: int | None) -> Any:
        return self._combine(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        if self._expected is None:
            return Check(True, None, "no expected value was given, so the answer is not checked")
        expected = self._expected(params)
        if isinstance(expected, float) or isinstance(value, float):
            passed = math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)
        else:
            passed = value == expected
        return Check(passed, expected, f"got {value!r}, expected {expected!r}")


def workload(
    fn: Callable[[Any], Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    params: Mapping[str, Any] | None = None,
    items: Callable[[Mapping[str, Any]], Sequence[Any]] | None = None,
    combine: Callable[[Iterable[Any]], Any] = list,
    expected: Callable[[Mapping[str, Any]], Any] | None = None,
) -> Any:
    """Make a workload of a module-level function of one item.

    ``items(params)`` gives the items (default ``range(n)`` with a parameter ``n``, 1000 unless
    ``params`` says otherwise); the results stream, in item order, into ``combine``; ``expected(params)``,
    if given, is what the combined answer must equal::

        @futstrat.workload(params={"n": 10_000}, combine=sum, expected=lambda p: p["n"] * (p["n"] - 1) // 2)
        def identity(i):
            return i
    """

    def wrap(function: Callable[[Any], Any]) -> FunctionWorkload:
        return FunctionWorkload(
            function,
            name=name,
            description=description,
            params=params or {},
            items=items,
            combine=combine,
            expected=expected,
        )

    return wrap(fn) if fn is not None else wrap
