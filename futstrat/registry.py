"""What the plugins registered, by name, with the plugin that registered each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from attrs import define, field

from futstrat.errors import DuplicateNameError, UnknownNameError
from futstrat.model import NAME_PATTERN, SharingSpec, StrategySpec, Workload

T = TypeVar("T")


@define
class Catalogue(Generic[T]):
    """The registered things of one kind, in registration order."""

    kind: str
    _entries: dict[str, tuple[T, str]] = field(factory=dict)

    def add(self, name: str, item: T, plugin: str) -> None:
        if name in self._entries:
            owner = self._entries[name][1]
            raise DuplicateNameError(f"{self.kind} {name!r} is registered twice: by {owner!r} and by {plugin!r}")
        self._entries[name] = (item, plugin)

    def get(self, name: str) -> T:
        try:
            return self._entries[name][0]
        except KeyError:
            raise UnknownNameError(self.kind, name, self._entries) from None

    def plugin_of(self, name: str) -> str:
        return self._entries[name][1]

    def names(self) -> list[str]:
        return list(self._entries)

    def items(self) -> list[T]:
        return [item for item, _ in self._entries.values()]

    def __contains__(self, name: object) -> bool:
        return name in self._entries


@define
class Registry:
    workloads: Catalogue[Workload] = field(factory=lambda: Catalogue("workload"))
    strategies: Catalogue[StrategySpec] = field(factory=lambda: Catalogue("strategy"))
    sharing: Catalogue[SharingSpec] = field(factory=lambda: Catalogue("sharing backend"))

    def merge(self, other: Registry) -> None:
        """Add everything ``other`` holds; raises before changing anything if a name is taken."""
        for mine, theirs in self._pairs(other):
            for name in theirs.names():
                if name in mine:
                    mine.add(name, theirs.get(name), theirs.plugin_of(name))
        for mine, theirs in self._pairs(other):
            for name in theirs.names():
                mine.add(name, theirs.get(name), theirs.plugin_of(name))

    def _pairs(self, other: Registry) -> list[tuple[Catalogue[Any], Catalogue[Any]]]:
        return [
            (self.workloads, other.workloads),
            (self.strategies, other.strategies),
            (self.sharing, other.sharing),
        ]


def registrar(plugin: str, kind: type[T], catalogue: Catalogue[T]) -> Callable[[T], None]:
    """The ``register`` callable one plugin's hook receives: it checks what it is given."""

    def register(item: T) -> None:
        if not isinstance(item, kind):
            raise TypeError(f"register() takes a {kind.__name__}, got {type(item).__name__}")
        name = getattr(item, "name", "")
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ValueError(f"a {kind.__name__} needs a name of lower-case words joined by '-' or '_', not {name!r}")
        catalogue.add(name, item, plugin)

    return register
