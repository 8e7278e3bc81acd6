"""Comparisons kept by ``compare --save NAME``, one folder per machine, and found again by name or as the latest.

Runs are kept under ``.futstrat/<machine id>/NAME.json`` in the current folder, as pytest-benchmark
keeps its autosaves: timings are only comparable on the same machine with the same Python, so
``--baseline latest`` looks only in this machine's folder, and runs saved elsewhere are never mixed
in by mistake.

The machine id is made of what stays the same when the host is renamed or rebooted and changes when
the timings would: the operating system and architecture, the CPU model (read by :mod:`futstrat.machine`, or
what the platform module reports elsewhere), the number of CPUs the system has online, the Python
implementation and its major.minor version, and whether the build is free-threaded. It reads
``x86_64-4cpu-cpython3.12-1a2b3c4d``: the readable part for people listing the folder, the hash of all
the facts above so that two machines alike in the readable part still get folders of their own. The
host name is left out on purpose: CI runners get a new one for every job.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import re
import sys
from pathlib import Path

from attrs import frozen

from futstrat.errors import UsageError
from futstrat.machine.cpus import ROOT
from futstrat.machine.frequency import cpuinfo_facts
from futstrat.machine.interpreter import read_interpreter_threading
from futstrat.report.jsonfile import holds_partial_comparison

#: The folder, in the current folder, that holds one folder of saved runs per machine.
SAVED_RUNS_FOLDER = ".futstrat"
#: The name ``--baseline`` reads as "the most recently saved run on this machine".
LATEST = "latest"
#: A saved run's name: a plain file name stem, nothing that reaches another folder or hides the file.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
SUFFIX = ".json"
PARTIAL_SUFFIX = ".partial.json"


@frozen
class MachineIdentity:
    """The hostname-independent facts a machine id is made from."""

    system: str
    architecture: str
    cpu_model: str
    cpus: int
    python: str  # "cpython3.12", with a "t" at the end for a free-threaded build

    @property
    def machine_id(self) -> str:
        digest = hashlib.sha256(repr(self).encode("utf-8")).hexdigest()[:8]
        readable = f"{self.architecture or 'unknown'}-{self.cpus}cpu-{self.python}"
        return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', readable)}-{digest}"


def cpu_model(root: Path = ROOT) -> str:
    """The CPU's model name as the system under ``root`` reports it (``/proc/cpuinfo`` on Linux), else
    what ``platform.processor()`` says, else ``unknown``."""
    return cpuinfo_facts(root)[0] or platform.processor() or "unknown"


def machine_facts() -> MachineIdentity:
    free_threaded = read_interpreter_threading().free_threaded_build
    python = f"{platform.python_implementation().lower()}{sys.version_info[0]}.{sys.version_info[1]}"
    return MachineIdentity(
        system=platform.system(),
        architecture=platform.machine(),
        cpu_model=cpu_model(),
        cpus=os.cpu_count() or 1,
        python=python + ("t" if free_threaded else ""),
    )


def machine_id() -> str:
    """This machine's id (see the module's docstring for what it is made from)."""
    return machine_facts().machine_id


def check_name(text: str) -> str:
    """A name for ``--save``: a plain name kept as ``NAME.json``; ``latest`` is ``--baseline``'s word."""
    name = text.strip()
    if name.endswith(SUFFIX):
        raise ValueError(
            f"give a name, not a file name: --save {name.removesuffix(SUFFIX)} keeps the run as"
            f" {SAVED_RUNS_FOLDER}/<machine id>/{name} (--json FILE writes a file of your choosing)"
        )
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"a saved run's name is letters, digits, '.', '_' and '-', starting with a letter or digit, got {text!r}"
        )
    if name == LATEST or name.endswith(".partial"):
        raise ValueError(f"{name!r} is kept for futstrat's own use: choose another name")
    return name


def machine_folder(root: Path | None = None, machine: str | None = None) -> Path:
    return (root or Path(SAVED_RUNS_FOLDER)) / (machine or machine_id())


def saved_run_path(name: str, root: Path | None = None, machine: str | None = None) -> Path:
    return machine_folder(root, machine) / f"{name}{SUFFIX}"


def saved_names(folder: Path) -> list[Path]:
    """The complete runs saved in ``folder``, most recently saved first (the name breaks a tie).

    A partial run (``NAME.partial.json``, written when a comparison was interrupted) is not one of
    them, nor is a hidden file (a write under way).
    """
    try:
        entries = list(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise UsageError(f"cannot list the saved runs in {folder}: {exc.strerror or exc}") from None
    runs = []
    for entry in entries:
        if entry.name.startswith(".") or not entry.name.endswith(SUFFIX) or entry.name.endswith(PARTIAL_SUFFIX):
            continue
        try:
            if entry.is_file():
                runs.append((entry.stat().st_mtime_ns, entry.name, entry))
        except OSError:
            continue
    return [path for _, _, path in sorted(runs, key=lambda run: (-run[0], run[1]))]


def _nothing_saved(root: Path, machine: str) -> str:
    others: list[str] = []
    with contextlib.suppress(OSError, UsageError):
        others = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name != machine and saved_names(p))
    elsewhere = f" (runs are saved for other machines: {', '.join(others)})" if others else ""
    return (
        f"no run is saved for this machine ({machine}) in {root}{elsewhere}:"
        " save one with 'futstrat compare WORKLOAD --save NAME'"
    )


def latest_saved_run(root: Path | None = None, machine: str | None = None) -> Path:
    """The most recently saved complete run on this machine; a usage error when there is none.

    A run saved by a comparison that was interrupted is left out, whatever its name.
    """
    root = root or Path(SAVED_RUNS_FOLDER)
    machine = machine or machine_id()
    for run in saved_names(root / machine):
        if not holds_partial_comparison(run):
            return run
    raise UsageError(f"--baseline {LATEST}: {_nothing_saved(root, machine)}")


def baseline_path(text: str, root: Path | None = None, machine: str | None = None) -> Path:
    """What ``--baseline`` names: ``latest``, a run saved on this machine, or a file.

    Anything with a folder in it or ending in ``.json`` is a file. A bare name is a saved run when one
    is saved under it, else a file of that name.
    """
    root = root or Path(SAVED_RUNS_FOLDER)
    if text == LATEST:
        return latest_saved_run(root, machine)
    if text.endswith(SUFFIX) or os.sep in text or (os.altsep and os.altsep in text) or not NAME_PATTERN.fullmatch(text):
        return Path(text)
    machine = machine or machine_id()
    saved = saved_run_path(text, root, machine)
    if saved.exists() or os.path.lexists(text):
        return saved if saved.exists() else Path(text)
    names = [p.name.removesuffix(SUFFIX) for p in saved_names(root / machine)]
    if names:
        raise UsageError(
            f"--baseline {text}: no run is saved as {text!r} for this machine ({machine}) and there is no file"
            f" {text}; saved: {', '.join(names)}"
        )
    raise UsageError(f"--baseline {text}: there is no file {text}, and {_nothing_saved(root, machine)}")


def prepare_saved_run(name: str, root: Path | None = None, machine: str | None = None) -> Path:
    """The file ``--save NAME`` writes, with this machine's folder made if it is missing."""
    path = saved_run_path(name, root, machine)
    make_folder_for(path)
    return path


def make_folder_for(path: str | os.PathLike[str]) -> None:
    """Make the folder a saved run goes in (``.futstrat/<machine id>``) if it is missing."""
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        name = Path(path).name.removesuffix(SUFFIX)
        raise UsageError(f"--save {name}: cannot make the folder {folder}: {exc.strerror or exc}") from None
