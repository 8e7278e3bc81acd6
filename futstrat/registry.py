"""What the plugins registered, by name, with the plugin that registered each.

A catalogue also remembers why a name is missing when it knows: a name two plugins both registered, a
name of a plugin that was skipped. Asking for such a name then says why, instead of only listing the
names there are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from attrs import define, field, frozen

from futstrat.errors import DuplicateNameError, UnknownNameError
from futstrat.model import NAME_PATTERN, SharingSpec, StrategySpec, Workload

T = TypeVar("T")


@define
class Catalogue(Generic[T]):
    """The registered things of one kind, in registration order."""

    kind: str
    _entries: dict[str, tuple[T, str]] = field(factory=dict)
    #: A name no plugin's registration is used for, and why.
    _withheld: dict[str, str] = field(factory=dict)
    #: A skipped plugin that might have offered things of this kind, and why it was skipped.
    _skipped_plugins: dict[str, str] = field(factory=dict)

    def add(self, name: str, item: T, plugin: str) -> None:
        if name in self._entries:
            owner = self._entries[name][1]
            if owner == plugin:
                raise DuplicateNameError(f"plugin {plugin!r} registers {self.kind} {name!r} twice")
            raise DuplicateNameError(f"{self.kind} {name!r} is registered twice: by {owner!r} and by {plugin!r}")
        self._entries[name] = (item, plugin)

    def withhold(self, name: str, reason: str) -> None:
        """Remember why ``name`` is not registered (the first reason given is kept)."""
        self._withheld.setdefault(name, reason)

    def note_skipped_plugin(self, plugin: str, reason: str) -> None:
        """Remember a skipped plugin that might have offered things of this kind."""
        self._skipped_plugins[plugin] = reason

    def get(self, name: str) -> T:
        try:
            return self._entries[name][0]
        except KeyError:
            raise self.unknown(name) from None

    def unknown(self, name: str) -> UnknownNameError:
        """The error for asking for ``name``, which is not registered: with the reason when one is known."""
        if name in self._withheld:
            return UnknownNameError(self.kind, name, self._entries, reason=self._withheld[name])
        note = "; ".join(
            f"plugin {plugin!r}, which may offer it, was skipped: {reason}"
            for plugin, reason in self._skipped_plugins.items()
        )
        return UnknownNameError(self.kind, name, self._entries, note=note)

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

    def catalogues(self) -> list[Catalogue[Any]]:
        return [self.workloads, self.strategies, self.sharing]

    def catalogue(self, kind: str) -> Catalogue[Any]:
        """The catalogue of ``kind`` ("workload", "strategy", "sharing backend")."""
        return next(catalogue for catalogue in self.catalogues() if catalogue.kind == kind)


@frozen
class Registration:
    """One call of a plugin's ``register``, before it is known whether the name is free."""

    kind: str
    name: str
    item: Any
    plugin: str


def registrar(plugin: str, kind: type[T], catalogue: str, into: list[Registration]) -> Callable[[T], None]:
    """The ``register`` callable one plugin's hook receives: it checks what it is given and records it in
    ``into``; the loader places it in the catalogue of that name once every plugin has registered and it
    is known whether another plugin took the same name."""

    def register(item: T) -> None:
        if not isinstance(item, kind):
            raise TypeError(f"register() takes a {kind.__name__}, got {type(item).__name__}")
        name = getattr(item, "name", "")
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ValueError(f"a {kind.__name__} needs a name of lower-case words joined by '-' or '_', not {name!r}")
        into.append(Registration(catalogue, name, item, plugin))

    return register
