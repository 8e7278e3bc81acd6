"""``futstrat list``: the workloads, strategies and sharing backends that are registered."""

from __future__ import annotations

import argparse
from typing import Any

from futstrat.cli.output import print_json, table
from futstrat.model import Param, SharingSpec, StrategySpec, Workload
from futstrat.plugins import get_host
from futstrat.shared_state import SLOT_KINDS


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("list", help="list workloads, strategies and sharing backends")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(handler=handle)


def strategy_capabilities(spec: StrategySpec) -> list[str]:
    flags = {
        "crosses-processes": spec.crosses_processes,
        "pickles-tasks": spec.pickles_tasks,
        "initializer": spec.supports_initializer,
        "raw-shared-memory": spec.carries_raw_shared_memory,
        "shares-futures": spec.shares_futures,
        "start-method": spec.uses_start_method,
        "concurrent": spec.concurrent,
    }
    return [f"dispatch:{spec.dispatch.value}"] + [name for name, on in flags.items() if on]


def sharing_capabilities(spec: SharingSpec) -> list[str]:
    flags = {
        "shares-state": spec.open is not None,
        "crosses-processes": spec.crosses_processes,
        "needs-initializer": spec.needs_initializer,
        "raw-shared-memory": spec.raw_shared_memory,
        "start-method": spec.uses_start_method,
    }
    return [name for name, on in flags.items() if on]


def sharing_slot_kinds(spec: SharingSpec) -> list[str]:
    """The slot kinds a backend serves, in the usual order (none for the backend that shares nothing)."""
    if spec.open is None:
        return []
    known = [kind for kind in SLOT_KINDS if kind in spec.slot_kinds]
    return known + sorted(spec.slot_kinds - set(SLOT_KINDS))


def workload_capabilities(workload: Workload) -> list[str]:
    caps = [f"shared-state:{workload.shared_state.value}"]
    if workload.needs_peer_futures:
        caps.append("peer-futures")
    return caps


def describe_param(param: Param) -> dict[str, Any]:
    """A workload's parameter or a strategy's option, as ``futstrat list`` shows it."""
    described = {"name": param.name, "type": param.kind.__name__, "default": param.default, "help": param.help}
    if param.minimum is not None:
        described["minimum"] = param.minimum
    if param.maximum is not None:
        described["maximum"] = param.maximum
    return described


def describe_all() -> dict[str, list[dict[str, Any]]]:
    registry = get_host().registry
    return {
        "workloads": [
            {
                "name": w.name,
                "description": w.description,
                "plugin": registry.workloads.plugin_of(w.name),
                "capabilities": workload_capabilities(w),
                "params": [describe_param(p) for p in w.params],
            }
            for w in registry.workloads.items()
        ],
        "strategies": [
            {
                "name": s.name,
                "description": s.description,
                "plugin": registry.strategies.plugin_of(s.name),
                "capabilities": strategy_capabilities(s),
                "start_methods": None if s.start_methods is None else list(s.start_methods),
                "options": [describe_param(p) for p in s.params],
            }
            for s in registry.strategies.items()
        ],
        "sharing": [
            {
                "name": s.name,
                "description": s.description,
                "plugin": registry.sharing.plugin_of(s.name),
                "capabilities": sharing_capabilities(s),
                "slot_kinds": sharing_slot_kinds(s),
            }
            for s in registry.sharing.items()
        ],
    }


def handle(args: argparse.Namespace) -> int:
    described = describe_all()
    if args.json:
        print_json(described)
        return 0
    titles = {"workloads": "Workloads", "strategies": "Strategies", "sharing": "Sharing backends"}
    blocks = []
    for key, title in titles.items():
        rows = []
        for entry in described[key]:
            rows.append([entry["name"], entry["description"]])
            rows.append(["", "  " + ", ".join(entry["capabilities"])])
            if "slot_kinds" in entry:
                rows.append(["", "  slots: " + (", ".join(entry["slot_kinds"]) or "none")])
            if entry.get("start_methods"):
                rows.append(["", f"  start methods: {', '.join(entry['start_methods'])}"])
            for kind in ("params", "options"):
                if entry.get(kind):
                    values = ", ".join(f"{p['name']}={_default(p['default'])}" for p in entry[kind])
                    rows.append(["", f"  {kind}: {values}"])
        blocks.append(f"{title}\n" + table(rows, ["name", "description"]))
    print("\n\n".join(blocks))
    return 0


def _default(value: Any) -> str:
    return "auto" if value is None else str(value)
