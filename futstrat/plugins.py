"""Finding, loading and checking plugins, once and only when first needed.

Built-in plugins are named in ``BUILTIN_PLUGINS`` and loaded exactly like third-party ones, which come
from the entry-point group ``futstrat``. A plugin that fails to import, implements a hook that does not
exist, has a wrong hook signature or fails while registering is skipped and reported; the rest keep
working. ``FUTSTRAT_PLUGINS`` (comma-separated entry-point names, empty for none) restricts which
third-party plugins load, and ``FUTSTRAT_STRICT=1`` turns every such problem into an error.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.metadata
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pluggy
from attrs import define, field

from futstrat import __version__, hookspecs
from futstrat.errors import PluginError
from futstrat.guest import describe_exit, is_guest_exit
from futstrat.model import SharingSpec, StrategySpec, Workload
from futstrat.registry import Catalogue, Registry, registrar

ENTRY_POINT_GROUP = "futstrat"
ALLOW_ENV = "FUTSTRAT_PLUGINS"
STRICT_ENV = "FUTSTRAT_STRICT"

BUILTIN_PLUGINS = (
    "futstrat.builtin.strategies",
    "futstrat.builtin.sharing_backends",
    "futstrat.builtin.workloads",
    "futstrat.builtin.vetting",
)

#: The hooks a misspelled name is matched against; a deprecated hook is never suggested.
_HOOK_NAMES = sorted(
    name for name in dir(hookspecs) if name.startswith("futstrat_") and name not in hookspecs.DEPRECATED_HOOKS
)


@define
class PluginInfo:
    """What ``futstrat plugins`` shows for one plugin."""

    name: str
    module: str
    distribution: str
    version: str
    builtin: bool
    hooks: list[str] = field(factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": self.hooks,
            "error": self.error,
        }


@define
class PluginCandidate:
    """A plugin before it is imported."""

    name: str
    module: str
    distribution: str
    version: str
    builtin: bool
    load: Callable[[], object]


@define
class PluginHost:
    """The loaded plugin manager, what the plugins registered, and how each plugin fared."""

    manager: pluggy.PluginManager
    registry: Registry
    plugins: list[PluginInfo]

    @property
    def hook(self) -> Any:
        return self.manager.hook

    @property
    def problems(self) -> list[PluginInfo]:
        return [info for info in self.plugins if info.error]


def builtin_candidates() -> list[PluginCandidate]:
    return [
        PluginCandidate(name, name, "futstrat", __version__, True, functools.partial(importlib.import_module, name))
        for name in BUILTIN_PLUGINS
    ]


def entry_point_candidates(allow: set[str] | None = None) -> list[PluginCandidate]:
    """Plugins advertised in the ``futstrat`` entry-point group, restricted to ``allow`` if given."""
    seen: set[str] = set()
    candidates = []
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in seen or (allow is not None and ep.name not in allow):
            continue
        seen.add(ep.name)
        dist = getattr(ep, "dist", None)
        candidates.append(
            PluginCandidate(
                name=ep.name,
                module=ep.value,
                distribution=dist.name if dist is not None else "?",
                version=dist.version if dist is not None else "?",
                builtin=False,
                load=ep.load,
            )
        )
    return candidates


def allow_list_from_env() -> set[str] | None:
    raw = os.environ.get(ALLOW_ENV)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def unmatched_allowed(allow: set[str] | None) -> list[PluginInfo]:
    """A problem for each name in the allow-list that no installed plugin has (a typo stays silent
    otherwise: the plugin the user meant just does not load)."""
    if not allow:
        return []
    installed = sorted({ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})
    problems = []
    for name in sorted(allow.difference(installed)):
        close = difflib.get_close_matches(name, installed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (installed: {', '.join(installed) or 'none'})"
        error = f"{ALLOW_ENV} names it, but no installed plugin has that name{hint}"
        problems.append(PluginInfo(name, "-", "-", "", builtin=False, error=error))
    return problems


def strict_from_env() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def load_plugins(
    candidates: Iterable[PluginCandidate], *, strict: bool = False, unmatched: Iterable[PluginInfo] = ()
) -> PluginHost:
    """Import, register and check each candidate; a broken one is skipped and reported, as are the
    ``unmatched`` names of the allow-list."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    for candidate in candidates:
        info = PluginInfo(
            candidate.name, candidate.module, candidate.distribution, candidate.version, candidate.builtin
        )
        infos.append(info)
        info.error = _register(manager, candidate, info)
    manager.check_pending()  # every plugin with an unknown hook was removed above; this guards that
    registry = Registry()
    for info in infos:
        if info.error is None:
            info.error = _collect_registrations(manager, info.name, registry)
            if info.error is not None:
                manager.unregister(name=info.name)
    infos += unmatched
    if strict and any(info.error for info in infos):
        raise PluginError("; ".join(f"plugin {i.name!r}: {i.error}" for i in infos if i.error))
    return PluginHost(manager, registry, infos)


def _register(manager: pluggy.PluginManager, candidate: PluginCandidate, info: PluginInfo) -> str | None:
    try:
        plugin = candidate.load()
    except Exception as exc:
        return f"failed to import {candidate.module}: {type(exc).__name__}: {exc}"
    except BaseException as exc:  # its sys.exit or KeyboardInterrupt is its fault, not the user's wish
        if not is_guest_exit(exc):
            raise
        return f"failed to import {candidate.module}: it raised {describe_exit(exc)}"
    try:
        manager.register(plugin, name=candidate.name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        return f"invalid hook implementation: {exc}"
    callers = manager.get_hookcallers(plugin) or []
    unknown = sorted(caller.name for caller in callers if not caller.has_spec())
    if unknown:
        manager.unregister(plugin)
        return "; ".join(_unknown_hook_message(name) for name in unknown)
    info.hooks = sorted(caller.name for caller in callers)
    return None


def _unknown_hook_message(name: str) -> str:
    close = difflib.get_close_matches(name, _HOOK_NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"implements unknown hook {name!r}{hint}"


def _collect_registrations(manager: pluggy.PluginManager, plugin: str, registry: Registry) -> str | None:
    """Run one plugin's registration hooks into a staging registry, then merge it whole."""
    staging = Registry()
    hooks: list[tuple[str, type, Catalogue[Any]]] = [
        ("futstrat_register_workloads", Workload, staging.workloads),
        ("futstrat_register_strategies", StrategySpec, staging.strategies),
        ("futstrat_register_executors", StrategySpec, staging.strategies),
        ("futstrat_register_sharing", SharingSpec, staging.sharing),
    ]
    try:
        for hook_name, kind, catalogue in hooks:
            for impl in getattr(manager.hook, hook_name).get_hookimpls():
                if impl.plugin_name == plugin:
                    register = registrar(plugin, kind, catalogue)
                    impl.function(**dict.fromkeys(impl.argnames, register))
        registry.merge(staging)
    except Exception as exc:
        return f"failed to register: {type(exc).__name__}: {exc}"
    except BaseException as exc:
        if not is_guest_exit(exc):
            raise
        return f"failed to register: it raised {describe_exit(exc)}"
    return None


_host: PluginHost | None = None
_host_lock = threading.Lock()


def get_host() -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _host
    with _host_lock:
        if _host is None:
            allow = allow_list_from_env()
            candidates = builtin_candidates() + entry_point_candidates(allow)
            _host = load_plugins(candidates, strict=strict_from_env(), unmatched=unmatched_allowed(allow))
        return _host


def reset_host(host: PluginHost | None = None) -> None:
    """Forget the loaded plugins (or install ``host``): for tests and long-lived embedding programs."""
    global _host
    with _host_lock:
        _host = host
