"""Finding, loading and checking plugins, once and only when first needed.

Built-in plugins are named in ``BUILTIN_PLUGINS`` and loaded exactly like third-party ones, which come
from the entry-point group ``futstrat``. A plugin that fails to import, implements a hook that does not
exist, has a wrong hook signature or fails while registering is skipped and reported; the rest keep
working. ``FUTSTRAT_PLUGINS`` (comma-separated entry-point names, empty for none) restricts which
third-party plugins load, and ``FUTSTRAT_STRICT=1`` turns every such problem into an error.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import pluggy
from attrs import define, field

from futstrat import __version__, hookspecs
from futstrat.errors import PluginError
from futstrat.guest import describe_exit, is_guest_exit
from futstrat.model import SharingSpec, StrategySpec, Workload
from futstrat.registry import Catalogue, Registration, Registry, registrar

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
    """What ``futstrat plugins`` shows for one plugin.

    ``error`` says why the whole plugin was skipped; ``location`` is the file and line of the plugin's own
    code where it failed and ``traceback`` the whole traceback. ``skipped_names`` says, one line each, which
    of its names are not used though the plugin itself loaded (another plugin registered the same name).
    """

    name: str
    module: str
    distribution: str
    version: str
    builtin: bool
    hooks: list[str] = field(factory=list)
    error: str | None = None
    location: str | None = None
    traceback: str | None = None
    skipped_names: list[str] = field(factory=list)

    @property
    def has_problem(self) -> bool:
        return self.error is not None or bool(self.skipped_names)

    def problems(self) -> list[str]:
        """Each problem of this plugin: why it was skipped, or why a name of it was."""
        return ([self.error] if self.error is not None else []) + self.skipped_names

    def problem_lines(self) -> list[str]:
        """Each problem of this plugin in one line that names it."""
        lines = [f"plugin {self.name!r} was skipped: {self.error}"] if self.error is not None else []
        return lines + [f"plugin {self.name!r}: {skipped}" for skipped in self.skipped_names]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": self.hooks,
            "error": self.error,
            "location": self.location,
            "traceback": self.traceback,
            "skipped_names": self.skipped_names,
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
        """The plugins that were skipped, or some of whose names were."""
        return [info for info in self.plugins if info.has_problem]


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
        import difflib  # only a mistyped name needs it

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
    ``unmatched`` names of the allow-list. A name that two plugins register is skipped alone (see
    :func:`place_registrations`)."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    for candidate in candidates:
        info = PluginInfo(
            candidate.name, candidate.module, candidate.distribution, candidate.version, candidate.builtin
        )
        infos.append(info)
        _register(manager, candidate, info)
    manager.check_pending()  # every plugin with an unknown hook was removed above; this guards that
    registry = Registry()
    registrations: list[Registration] = []
    for info in infos:
        if info.error is None:
            staged, failed = _collect_registrations(manager, info)
            if not failed:
                registrations += staged
            else:
                manager.unregister(name=info.name)
                for registration in staged:
                    registry.catalogue(registration.kind).withhold(
                        registration.name, f"its plugin {info.name!r} was skipped: {info.error}"
                    )
        if info.error is not None:
            for catalogue in _catalogues_it_may_fill(registry, info):
                catalogue.note_skipped_plugin(info.name, info.error)
    place_registrations(registrations, registry, infos)
    infos += unmatched
    if strict and any(info.has_problem for info in infos):
        raise PluginError(
            "; ".join(f"plugin {info.name!r}: {problem}" for info in infos for problem in info.problems())
        )
    return PluginHost(manager, registry, infos)


#: The registration hooks, with what each registers and into which catalogue.
_REGISTRATION_HOOKS: tuple[tuple[str, type, str], ...] = (
    ("futstrat_register_workloads", Workload, "workload"),
    ("futstrat_register_strategies", StrategySpec, "strategy"),
    ("futstrat_register_executors", StrategySpec, "strategy"),
    ("futstrat_register_sharing", SharingSpec, "sharing backend"),
)


def _catalogues_it_may_fill(registry: Registry, info: PluginInfo) -> list[Catalogue[Any]]:
    """The catalogues a skipped plugin might have added to: those of its registration hooks, or all of
    them when its hooks are not known (it failed before they were)."""
    if not info.hooks:
        return registry.catalogues()
    kinds = {kind for hook, _, kind in _REGISTRATION_HOOKS if hook in info.hooks}
    return [catalogue for catalogue in registry.catalogues() if catalogue.kind in kinds]


def _register(manager: pluggy.PluginManager, candidate: PluginCandidate, info: PluginInfo) -> None:
    try:
        plugin = candidate.load()
    except Exception as exc:
        _record_fault(info, f"failed to import {candidate.module}: {type(exc).__name__}: {exc}", exc)
        return
    except BaseException as exc:  # its sys.exit or KeyboardInterrupt is its fault, not the user's wish
        if not is_guest_exit(exc):
            raise
        _record_fault(info, f"failed to import {candidate.module}: it raised {describe_exit(exc)}", exc)
        return
    try:
        manager.register(plugin, name=candidate.name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        info.error = one_line(f"invalid hook implementation: {exc}")
        return
    callers = manager.get_hookcallers(plugin) or []
    unknown = sorted(caller.name for caller in callers if not caller.has_spec())
    if unknown:
        manager.unregister(plugin)
        info.error = "; ".join(_unknown_hook_message(name) for name in unknown)
        return
    info.hooks = sorted(caller.name for caller in callers)


def _unknown_hook_message(name: str) -> str:
    import difflib  # only a mistyped name needs it

    close = difflib.get_close_matches(name, _HOOK_NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"implements unknown hook {name!r}{hint}"


def _collect_registrations(manager: pluggy.PluginManager, info: PluginInfo) -> tuple[list[Registration], bool]:
    """Run one plugin's registration hooks: what they registered, up to a failure, and whether one
    happened (then ``info.error`` says what failed and where)."""
    staged: list[Registration] = []
    try:
        for hook_name, kind, catalogue_kind in _REGISTRATION_HOOKS:
            for impl in getattr(manager.hook, hook_name).get_hookimpls():
                if impl.plugin_name == info.name:
                    register: Callable[[Any], None] = registrar(info.name, kind, catalogue_kind, staged)
                    impl.function(**dict.fromkeys(impl.argnames, register))
    except Exception as exc:
        _record_fault(info, f"failed to register: {type(exc).__name__}: {exc}", exc)
    except BaseException as exc:
        if not is_guest_exit(exc):
            raise
        _record_fault(info, f"failed to register: it raised {describe_exit(exc)}", exc)
    else:
        return staged, False
    return staged, True


def place_registrations(registrations: list[Registration], registry: Registry, infos: list[PluginInfo]) -> None:
    """Add each registered name to ``registry``, unless its plugin cannot have it alone.

    A name a plugin registers twice is not used from that plugin. A built-in name stays the built-in's: a
    third-party plugin that registers it too keeps its other names, and this one is ignored for it, so
    installing a package never changes what a built-in name means. A name that two third-party plugins
    register is used from neither (which one was meant is not known), and both are named. Each skipped
    name is reported on its plugin and remembered, so that asking for it says why it is missing.
    """
    by_plugin = {info.name: info for info in infos}
    claims: dict[tuple[str, str], dict[str, list[Registration]]] = {}
    for registration in registrations:
        owners = claims.setdefault((registration.kind, registration.name), {})
        owners.setdefault(registration.plugin, []).append(registration)
    chosen: dict[tuple[str, str], str] = {}
    for (kind, name), owners in claims.items():
        catalogue = registry.catalogue(kind)
        for plugin, made in owners.items():
            if len(made) > 1:
                by_plugin[plugin].skipped_names.append(f"registers {kind} {name!r} {_times(len(made))}; none is used")
                catalogue.withhold(name, f"its plugin {plugin!r} registers it {_times(len(made))}")
        single = [plugin for plugin, made in owners.items() if len(made) == 1]
        builtin = [plugin for plugin in single if by_plugin[plugin].builtin]
        rivals = builtin if builtin else single
        if len(rivals) == 1:
            chosen[(kind, name)] = rivals[0]
            for plugin in single:
                if plugin != rivals[0]:
                    by_plugin[plugin].skipped_names.append(
                        f"{kind} {name!r} is built in (from {rivals[0]!r}), so this plugin's one is not used"
                    )
        elif len(rivals) > 1:
            both = " and ".join(repr(plugin) for plugin in rivals)
            for plugin in rivals:
                others = ", ".join(repr(other) for other in rivals if other != plugin)
                by_plugin[plugin].skipped_names.append(
                    f"{kind} {name!r} is also registered by {others}, so neither is used"
                )
            catalogue.withhold(
                name, f"it is registered by both {both}, so neither is used (uninstall one, or choose with {ALLOW_ENV})"
            )
    for registration in registrations:
        if chosen.get((registration.kind, registration.name)) == registration.plugin:
            registry.catalogue(registration.kind).add(registration.name, registration.item, registration.plugin)


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"


def _record_fault(info: PluginInfo, summary: str, error: BaseException) -> None:
    """Keep what the plugin's code raised: the summary with the file and line of the plugin's own code
    where it failed, and the whole traceback for ``--debug``."""
    info.location = plugin_frame(error)
    info.error = one_line(f"{summary} (at {info.location})" if info.location else summary)
    info.traceback = "".join(traceback.format_exception(type(error), error, error.__traceback__))


def one_line(text: str) -> str:
    """``text`` on one line, its lines joined by '; ' (a problem is reported in one line)."""
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def plugin_frame(error: BaseException) -> str | None:
    """``file:line`` of the innermost frame of ``error``'s traceback that is the plugin's own code: not
    futstrat's, not pluggy's, not the standard library's (an exception raised deep in ``json`` is
    placed where the plugin called it)."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        if not _is_host_file(frame.filename):
            return f"{frame.filename}:{frame.lineno}"
    return None


def _is_host_file(filename: str) -> bool:
    if filename.startswith("<"):  # importlib's frozen bootstrap, code compiled from a string
        return True
    path = os.path.abspath(filename)
    if path.startswith(_HOST_DIRS):
        return True
    installed = f"{os.sep}site-packages{os.sep}" in path or f"{os.sep}dist-packages{os.sep}" in path
    return path.startswith(_STDLIB_DIR) and not installed


_HOST_DIRS = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (hookspecs, pluggy)
    if module.__file__ is not None
)
_STDLIB_DIR = os.path.dirname(os.path.abspath(os.__file__)) + os.sep


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
