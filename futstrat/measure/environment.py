"""What a saved comparison records about the machine and the software, so two runs can be compared fairly."""

from __future__ import annotations

import datetime
import os
import platform
import socket
import sys
from typing import Any

from futstrat import __version__
from futstrat.machine.facts import MachineFacts, read_machine
from futstrat.plugins import PluginHost, get_host
from futstrat.start_methods import start_method_or_default

#: Variables that change how many threads numeric libraries (or Python itself) use.
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMEXPR_MAX_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
    "RAYON_NUM_THREADS",
    "PYTHON_CPU_COUNT",
    "PYTHON_GIL",
)


def gil_enabled() -> bool:
    """False only on a free-threaded build running without the GIL."""
    check = getattr(sys, "_is_gil_enabled", None)
    return bool(check()) if check is not None else True


def iso_time(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc).isoformat(timespec="seconds")


def collect_metadata(host: PluginHost | None = None, machine: MachineFacts | None = None) -> dict[str, Any]:
    """Versions, CPUs, start method and thread variables; the caller adds times and load averages.

    ``machine`` is what was read when the measuring began; without it the machine is read now.
    """
    host = host or get_host()
    machine = machine or read_machine()
    return {
        "futstrat_version": __version__,
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "gil_enabled": machine.interpreter.gil_enabled,
            "free_threaded_build": machine.interpreter.free_threaded_build,
        },
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "plugins": [
            {"name": p.name, "distribution": p.distribution, "version": p.version, "builtin": p.builtin}
            for p in host.plugins
            if p.error is None
        ],
        "default_start_method": start_method_or_default(None),
        "cpus": machine.cpus.to_dict(),
        "cpu": machine.cpu.to_dict(),
        "switch_interval": sys.getswitchinterval(),
        "env": {name: os.environ.get(name) for name in THREAD_ENV_VARS},
    }
