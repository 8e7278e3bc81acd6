"""Runs kept by ``compare --save``: the machine id, the names, and finding the latest again."""

from __future__ import annotations

import json
import os
import re
import socket

import pytest

from futstrat.errors import UsageError
from futstrat.report import saved_runs
from futstrat.report.saved_runs import (
    MachineIdentity,
    baseline_path,
    check_name,
    cpu_model,
    latest_saved_run,
    machine_id,
    prepare_saved_run,
    saved_names,
)

MACHINE = "x86_64-4cpu-cpython3.12-00000000"


def keep(root, name, mtime, machine=MACHINE, text="{}"):
    path = root / machine / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, ns=(mtime * 10**9, mtime * 10**9))
    return path


def test_the_machine_id_is_stable_readable_and_ignores_the_host_name(monkeypatch):
    first = machine_id()
    monkeypatch.setattr(socket, "gethostname", lambda: "another-host")
    monkeypatch.setattr("platform.node", lambda: "another-host")
    assert machine_id() == first
    facts = saved_runs.machine_facts()
    assert first.startswith(f"{facts.architecture}-{facts.cpus}cpu-{facts.python}-")
    assert len(first.rsplit("-", 1)[1]) == 8


def test_the_machine_id_changes_with_the_cpus_and_the_python():
    facts = MachineIdentity("Linux", "x86_64", "Some CPU @ 2.0GHz", 4, "cpython3.12")
    assert facts.machine_id.startswith("x86_64-4cpu-cpython3.12-")
    others = [
        MachineIdentity("Linux", "x86_64", "Some CPU @ 2.0GHz", 8, "cpython3.12"),
        MachineIdentity("Linux", "x86_64", "Other CPU @ 3.0GHz", 4, "cpython3.12"),
        MachineIdentity("Linux", "x86_64", "Some CPU @ 2.0GHz", 4, "cpython3.13t"),
        MachineIdentity("Darwin", "x86_64", "Some CPU @ 2.0GHz", 4, "cpython3.12"),
    ]
    assert len({facts.machine_id, *(o.machine_id for o in others)}) == 5


def test_the_cpu_model_comes_from_cpuinfo_or_the_platform(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "proc" / "cpuinfo"
    cpuinfo.parent.mkdir()
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: Made\nmodel name\t: Made-up CPU @ 1.00GHz\n\nprocessor\t: 1\n")
    assert cpu_model(tmp_path) == "Made-up CPU @ 1.00GHz"
    monkeypatch.setattr("platform.processor", lambda: "")
    assert cpu_model(tmp_path / "missing") == "unknown"


@pytest.mark.parametrize("name", ["main", "pr-123", "v1.2", "A_b"])
def test_a_saved_name_is_a_plain_name(name):
    assert check_name(name) == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("main.json", "give a name, not a file name: --save main keeps the run as .futstrat/<machine id>/main.json"),
        ("a/b", "a saved run's name is letters, digits"),
        ("../up", "a saved run's name is letters, digits"),
        (".hidden", "a saved run's name is letters, digits"),
        ("", "a saved run's name is letters, digits"),
        ("latest", "'latest' is kept for futstrat's own use"),
        ("run.partial", "kept for futstrat's own use"),
    ],
)
def test_a_saved_name_that_could_go_wrong_is_refused(name, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_name(name)


def test_the_latest_is_the_most_recently_saved_complete_run(tmp_path):
    root = tmp_path / ".futstrat"
    keep(root, "old.json", 1000)
    newest = keep(root, "new.json", 3000)
    keep(root, "middle.json", 2000)
    keep(root, "interrupted.partial.json", 4000)
    keep(root, ".new.json.1a2b3c4d.tmp", 5000)
    keep(root, "notes.txt", 6000)
    keep(root, "elsewhere.json", 9000, machine="another-machine")
    assert [p.name for p in saved_names(root / MACHINE)] == ["new.json", "middle.json", "old.json"]
    assert latest_saved_run(root, MACHINE) == newest
    assert baseline_path("latest", root, MACHINE) == newest


def test_the_latest_leaves_out_a_run_that_was_interrupted_whatever_its_name(tmp_path):
    root = tmp_path / ".futstrat"
    run = {"schema": "futstrat-compare", "schema_version": 1, "combinations": []}
    complete = keep(root, "main.json", 1000, text=json.dumps(run))
    keep(root, "pr.json", 2000, text=json.dumps({**run, "partial": True}))
    assert latest_saved_run(root, MACHINE) == complete


def test_nothing_saved_yet_is_a_clear_error(tmp_path):
    root = tmp_path / ".futstrat"
    with pytest.raises(UsageError) as info:
        latest_saved_run(root, MACHINE)
    assert str(info.value) == (
        f"--baseline latest: no run is saved for this machine ({MACHINE}) in {root}:"
        " save one with 'futstrat compare WORKLOAD --save NAME'"
    )
    keep(root, "main.json", 1000, machine="arm64-8cpu-cpython3.12-11111111")
    with pytest.raises(UsageError, match=r"runs are saved for other machines: arm64-8cpu-cpython3.12-11111111"):
        latest_saved_run(root, MACHINE)


def test_a_baseline_is_a_saved_name_or_else_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / ".futstrat"
    main = keep(root, "main.json", 1000)
    assert baseline_path("main", root, MACHINE) == main
    (tmp_path / "other").write_text("{}")
    assert str(baseline_path("other", root, MACHINE)) == "other"
    assert str(baseline_path("main.json", root, MACHINE)) == "main.json"  # a .json name is always a file
    assert str(baseline_path("runs/main", root, MACHINE)) == "runs/main"
    with pytest.raises(UsageError) as info:
        baseline_path("nightly", root, MACHINE)
    assert str(info.value) == (
        f"--baseline nightly: no run is saved as 'nightly' for this machine ({MACHINE}) and there is no file"
        " nightly; saved: main"
    )
    with pytest.raises(UsageError, match="there is no file nightly, and no run is saved for this machine"):
        baseline_path("nightly", tmp_path / "empty", MACHINE)


def test_saving_makes_the_machine_folder(tmp_path):
    path = prepare_saved_run("main", tmp_path / ".futstrat", MACHINE)
    assert path == tmp_path / ".futstrat" / MACHINE / "main.json"
    assert path.parent.is_dir()
    assert not path.exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="--save main: cannot make the folder"):
        prepare_saved_run("main", tmp_path / "file", MACHINE)
