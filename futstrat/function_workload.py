"""``@futstrat.workload``: turn a plain function into a workload that maps it over items."""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from typing import Any, overload

from futstrat.model import NAME_PATTERN, Check, Param, PlanContext, Task, TaskMap, Workload
from futstrat.report.answer import brief
from futstrat.shared_state import SharedStateNeed, Slot, validated_slots
from futstrat.user_code import user_code


class FunctionWorkload(Workload):
    """A workload made from a function of one item.

    The object replaces the function in its module, so it pickles by its module and name: a worker
    process finds it again by importing that module, under every start method.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None,
        description: str | None,
        params: Mapping[str, Any],
        items: Callable[[Mapping[str, Any]], Sequence[Any]] | None,
        combine: Callable[..., Any],
        expected: Callable[[Mapping[str, Any]], Any] | None,
        stream: bool = False,
        shared: SlotsDeclaration | None = None,
    ) -> None:
        functools.update_wrapper(self, fn)
        self._fn = fn
        self.name = name or fn.__name__.replace("_", "-")
        doc = (fn.__doc__ or "").strip().splitlines()
        self.description = description or (doc[0] if doc else f"{fn.__qualname__} over each item")
        keywords = _keyword_defaults(fn)
        keywords.pop(SHARED_KEYWORD, None)
        #: The parameters that reach the function as keyword arguments (the others reach ``items``).
        self.function_params = tuple(keywords)
        given = {
            name: default
            for name, default in keywords.items()
            if type(default) in _PARAM_KINDS and NAME_PATTERN.match(name)
        }
        given.update(params)
        if items is None:
            given.setdefault("n", 1000)
        self.params = tuple(_param(key, default, key in keywords) for key, default in given.items())
        self._items = items or (lambda p: range(p["n"]))
        self._combine = combine
        self._expected = expected
        self.streams_results = stream
        self._shared = shared
        if shared is not None:
            if not callable(shared):
                validated_slots(shared, f"workload {self.name!r}")  # a mistake shows where it is made
            self.shared_state = SharedStateNeed.REQUIRED
            self.preferred_sharing = ("shm", "value", "manager")
            #: ``combine(results, shared)`` gets the final shared values too, if it takes two arguments.
            self._combine_takes_shared = _takes_two_arguments(combine)

    def shared_slots(self, params: Mapping[str, Any], plan: PlanContext) -> Mapping[str, Slot]:
        if self._shared is None:
            return {}
        with user_code("shared_slots"):
            slots = self._shared(params) if callable(self._shared) else self._shared
        return validated_slots(slots, f"workload {self.name!r}")

    def __call__(self, item: Any, **keywords: Any) -> Any:
        return self._fn(item, **keywords)

    def __reduce__(self) -> str:
        qualname: str = self.__dict__["__qualname__"]  # set by update_wrapper from the function
        return qualname

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        """One task per item; the runner sends them to workers in chunks of the size it chooses."""
        with user_code("items"):
            items = self._items(params)
        fn = self._importable_callable()
        keywords = {name: params[name] for name in self.function_params if name in params}
        return TaskMap(functools.partial(fn, **keywords) if keywords else fn, items)

    def _importable_callable(self) -> Callable[[Any], Any]:
        """The function itself, named so that workers can import it: workers call it straight, with
        no layer of this object between the loop and the call (which cost four times the call).

        Where this object replaced the function in its module (the decorator), the function is
        found as ``name.__wrapped__`` (``functools.update_wrapper`` set that), and its qualified
        name says so; pickle then sends it by that name under every start method. A function that
        this object cannot be found by, in no module, travels as this object."""
        fn = self._fn
        module = sys.modules.get(fn.__module__)
        found = _attribute_path(module, fn.__qualname__)
        if found is fn:
            return fn
        own_name = self.__dict__.get("__qualname__")  # set by update_wrapper from the function
        if own_name and _attribute_path(module, own_name) is self:
            fn.__qualname__ = f"{own_name}.{_WRAPPED}"
            return fn
        return self

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: Any) -> Any:
        """``combine`` gets a list (sized, read as often as it likes) of up to ``LISTED_RESULTS_LIMIT``
        results, so ``len``, ``sorted`` or ``collections.Counter`` work; beyond that, or with
        ``stream=True``, a stream read once as the results arrive, which a fold (``sum``) needs."""
        if not self.streams_results:
            results = _listed_if_few(results, LISTED_RESULTS_LIMIT)
        if self._shared is not None and self._combine_takes_shared:
            return self._combine(results, shared_value)
        return self._combine(results)

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        if self._expected is None:
            return Check.unchecked("no expected value was given")
        expected = self._expected(params)
        if isinstance(expected, float) or isinstance(value, float):
            passed = math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)
        else:
            passed = value == expected
        detail = f"got {brief(value)}, " + ("as expected" if passed else f"expected {brief(expected)}")
        return Check(passed, expected, detail)


_WRAPPED = "__wrapped__"


def _attribute_path(target: object, path: str) -> object:
    for part in path.split("."):
        target = getattr(target, part, None)
    return target


#: The keyword argument through which the function receives the shared state.
SHARED_KEYWORD = "shared"
#: What ``shared=`` accepts: the slots by name, or a function of the parameters that gives them.
SlotsDeclaration = Mapping[str, Slot] | Callable[[Mapping[str, Any]], Mapping[str, Slot]]


def _takes_two_arguments(fn: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin such as list or sum takes the results only
        return False
    try:
        signature.bind(None, None)
    except TypeError:
        return False
    return True


#: The most results ``combine`` receives as a list; more stream (read once) so that memory stays bounded.
LISTED_RESULTS_LIMIT = 100_000
_PARAM_KINDS = (int, float, str, bool)


def _keyword_defaults(fn: Callable[..., Any]) -> dict[str, Any]:
    """The function's parameters after the item that have defaults: what ``--param`` may set."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature takes the item only
        return {}
    found: dict[str, Any] = {}
    for position, parameter in enumerate(signature.parameters.values()):
        keyword = parameter.kind is inspect.Parameter.KEYWORD_ONLY or (
            parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and position > 0
        )
        if keyword and parameter.default is not inspect.Parameter.empty:
            found[parameter.name] = parameter.default
    return found


def _param(name: str, default: Any, of_function: bool) -> Param:
    where = "a keyword argument of the function" if of_function else "a parameter of items and expected"
    return Param(name, type(default), default, f"{where}, default {default!r}")


def _listed_if_few(results: Iterable[Any], limit: int) -> Iterable[Any]:
    if isinstance(results, Sized):
        return results
    stream = iter(results)
    first = list(itertools.islice(stream, limit + 1))
    return first if len(first) <= limit else itertools.chain(first, stream)


@overload
def workload(fn: Callable[..., Any]) -> FunctionWorkload: ...
@overload
def workload(
    fn: None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    params: Mapping[str, Any] | None = None,
    items: Callable[[Mapping[str, Any]], Sequence[Any]] | None = None,
    combine: Callable[..., Any] = list,
    expected: Callable[[Mapping[str, Any]], Any] | None = None,
    stream: bool = False,
    shared: SlotsDeclaration | None = None,
) -> Callable[[Callable[..., Any]], FunctionWorkload]: ...
def workload(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    params: Mapping[str, Any] | None = None,
    items: Callable[[Mapping[str, Any]], Sequence[Any]] | None = None,
    combine: Callable[..., Any] = list,
    expected: Callable[[Mapping[str, Any]], Any] | None = None,
    stream: bool = False,
    shared: SlotsDeclaration | None = None,
) -> FunctionWorkload | Callable[[Callable[..., Any]], FunctionWorkload]:
    """Make a workload of a module-level function of one item.

    ``items(params)`` gives the items (default ``range(n)`` with a parameter ``n``, 1000 unless
    ``params`` says otherwise). The function's keyword parameters with defaults (``def f(item, *,
    rounds=1)``) are parameters too, typed by their defaults, and reach it in every worker. The
    results, in item order, go to ``combine``: as a list when there are at most
    ``LISTED_RESULTS_LIMIT`` of them, else (or with ``stream=True``) as a stream read once, as they
    arrive. ``expected(params)``, if given, is what the combined answer must equal; without it the
    run is reported as unchecked::

        @futstrat.workload(params={"n": 10_000}, combine=sum, expected=lambda p: p["n"] * (p["n"] - 1) // 2)
        def identity(i):
            return i

    ``shared`` declares the state the calls share, as named slots (or a function of the parameters
    that gives them); the function then takes it as the keyword argument ``shared`` and reads each
    slot as an attribute, and ``combine``, if it takes two arguments, gets the final values too::

        @futstrat.workload(shared={"bins": futstrat.Array("q", 10)}, combine=lambda r, s: s.bins)
        def tally(i, *, shared):
            shared.bins.add(i % 10)
    """

    def wrap(function: Callable[..., Any]) -> FunctionWorkload:
        return FunctionWorkload(
            function,
            name=name,
            description=description,
            params=params or {},
            items=items,
            combine=combine,
            expected=expected,
            stream=stream,
            shared=shared,
        )

    return wrap(fn) if fn is not None else wrap
