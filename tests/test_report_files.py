"""The JSON, CSV and plot files: their content, their schema, and that they are written atomically."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import stat
import sys

import pytest

from futstrat.errors import UsageError
from futstrat.measure import analyse
from futstrat.model import RunStatus
from futstrat.report import files, jsonfile
from futstrat.report.csvfile import CSV_COLUMNS, comparison_csv
from futstrat.report.files import write_atomically
from futstrat.report.jsonfile import SCHEMA, SCHEMA_VERSION, comparison_to_dict, load_json, write_json
from futstrat.report.plot import INSTALL_HINT, check_plot_path, plot_comparison
from tests.test_measure_analysis import FIVE, fake_measurement


@pytest.fixture
def saved():
    comparison = analyse(fake_measurement(FIVE, refused=["process"]))
    return comparison, comparison_to_dict(comparison, settings={"repeat": 5})


def test_the_json_keeps_raw_samples_with_warmups_marked(saved, tmp_path):
    _, data = saved
    path = write_json(tmp_path / "run.json", data)
    loaded = load_json(path)
    assert (loaded["schema"], loaded["schema_version"], loaded["partial"]) == (SCHEMA, SCHEMA_VERSION, False)
    first = loaded["combinations"][0]
    assert (first["strategy"], first["rank"]) == ("process", 1)
    assert [s["warmup"] for s in first["samples"]] == [True] + [False] * 5
    assert [s["total"] for s in first["samples"] if not s["warmup"]] == pytest.approx(FIVE["process"])
    assert first["statistics"]["total"]["median"] == pytest.approx(1.05)
    assert {"startup", "compute", "shutdown", "total"} == set(first["statistics"])
    serial = next(c for c in loaded["combinations"] if c["strategy"] == "serial")
    assert serial["ratio_to_fastest"]["significant"] is True
    assert loaded["refused"] == [
        {"workload": "pi", "strategy": "process", "sharing": "value", "reasons": ["made-up refusal"]}
    ]
    assert loaded["settings"] == {"repeat": 5}


def test_the_json_records_the_setting(saved):
    _, data = saved
    meta = data["metadata"]
    assert meta["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert meta["cpus"]["usable"] >= 1
    assert "OMP_NUM_THREADS" in meta["env"]
    assert any(p["name"] == "futstrat.builtin.strategies" for p in meta["plugins"])
    assert meta["started_at"].endswith("+00:00")
    assert set(meta["load_average"]) == {"before", "after"}
    assert meta["default_start_method"] in ("fork", "spawn", "forkserver")


def test_an_interrupted_comparison_is_saved_as_partial(tmp_path):
    comparison = analyse(fake_measurement({"serial": [1.0, 1.1]}, partial=True))
    loaded = load_json(write_json(tmp_path / "partial.json", comparison_to_dict(comparison)))
    assert loaded["partial"] is True
    assert loaded["runs"]["done"] < loaded["runs"]["planned"]


def test_json_stays_strict_when_a_value_is_not_finite(tmp_path):
    path = write_json(
        tmp_path / "odd.json", {"schema": SCHEMA, "schema_version": 1, "combinations": [], "x": float("inf")}
    )
    assert json.loads(path.read_text())["x"] == "inf"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"schema": "something else"}', "is not a saved comparison"),
        ('{"schema": "futstrat-compare", "schema_version": 99, "combinations": []}', "upgrade futstrat"),
        ('{"schema": "futstrat-compare", "schema_version": 1}', "damaged"),
    ],
)
def test_loading_refuses_what_is_not_a_readable_comparison(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        load_json(path)
    with pytest.raises(UsageError, match="no such file"):
        load_json(tmp_path / "missing.json")


def _damaged(change):
    """A saved comparison as futstrat writes it, with ``change`` applied to the loaded dictionary."""
    data = json.loads(json.dumps(jsonfile.strict_json(comparison_to_dict(analyse(fake_measurement(FIVE))))))
    change(data)
    return data


def _deeply_nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(combinations=[1, 2]), "combinations[0] should be an object, got an integer 1"),
        (lambda d: d.update(metadata=[]), "metadata should be an object, got a list"),
        (lambda d: d["combinations"][1].update(samples="abc"),
         "combinations[1].samples should be a list, got a string 'abc'"),
        (lambda d: d["combinations"][0]["samples"].__setitem__(2, None),
         "combinations[0].samples[2] should be an object, got null"),
        (lambda d: d["combinations"][0]["samples"][1].update(total="fast"),
         "combinations[0].samples[1].total should be a number of seconds from 0 to 1,000,000,000, or null,"
         " got a string 'fast'"),
        (lambda d: d["combinations"][0]["samples"][1].update(total=-1.0), "samples[1].total should be a number"),
        (lambda d: d["combinations"][0]["samples"][1].update(compute=1e308), "samples[1].compute should be a number"),
        (lambda d: d["combinations"][0]["samples"][1].update(wall=10**100),
         "samples[1].wall should be a number of seconds from 0 to 1,000,000,000, or null, got an integer"
         " 1000000000000000000000000000000000000..."),
        (lambda d: d["combinations"][0]["samples"][1].update(ok="yes"), "samples[1].ok should be true or false"),
        (lambda d: d["combinations"][0].update(start_method=["fork"]),
         "combinations[0].start_method should be a string or null, got a list"),
        (lambda d: d["combinations"][0].pop("strategy"), "combinations[0].strategy is missing"),
        (lambda d: d.update(figure="fastest"), "figure should be one of startup, compute, shutdown, total"),
        (lambda d: d.update(refused=[[]]), "refused[0] should be an object, got a list"),
        (lambda d: d.update(warnings=[3]), "warnings[0] should be a string, got an integer 3"),
        (lambda d: d["metadata"].update(env=json.loads(_deeply_nested(500))), "more than 100 deep"),
    ],
)  # fmt: skip
def test_loading_names_the_first_field_that_is_not_as_futstrat_writes_it(tmp_path, change, message):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(_damaged(change)))
    with pytest.raises(UsageError) as info:
        load_json(path)
    assert str(info.value).startswith(f"{path} is damaged: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_deeply_nested(100_000), "nest too deeply to read"),
        ('{"schema": "futstrat-compare", "schema_version": 1, "combinations": [], "x": ' + "9" * 5000 + "}",
         "is not JSON"),
        ('{"schema": "futstrat-compare", "schema_version": true, "combinations": []}', "upgrade futstrat"),
        ('{"schema": "futstrat-compare", "schema_version": 1, "combinations": [{"strategy": "a", "sharing": "b",'
         ' "workload": "c", "samples": [{"total": NaN}]}]}', "samples[0].total should be a number of seconds"),
        ('{"schema": "futstrat-compare", "schema_version": 1, "combinations": [{"strategy": "a", "sharing": "b",'
         ' "workload": "c", "samples": [{"total": 1e400}]}]}', "samples[0].total should be a number of seconds"),
    ],
)  # fmt: skip
def test_loading_refuses_odd_json_in_one_line(tmp_path, content, message):
    if "9999" in content and not hasattr(sys, "set_int_max_str_digits"):
        pytest.skip("Python before 3.11 reads integers of any length")
    path = tmp_path / "odd.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_json(path)


def test_a_written_comparison_and_a_hand_trimmed_one_load(tmp_path):
    data = _damaged(lambda d: None)
    path = tmp_path / "whole.json"
    path.write_text(json.dumps(data))
    assert load_json(path) == data
    trimmed = copy.deepcopy(data)
    for combination in trimmed["combinations"]:
        for key in ("statistics", "noise", "rank"):
            combination.pop(key)
    trimmed.pop("metadata")
    path.write_text(json.dumps(trimmed))
    assert load_json(path) == trimmed


def test_loading_refuses_a_folder(tmp_path):
    """Devices and FIFOs are tried in a process of their own (test_diff): read here, they could hang the tests."""
    with pytest.raises(UsageError, match="it is a folder, not a file"):
        load_json(tmp_path)


def test_loading_refuses_a_file_over_the_size_bound(tmp_path, monkeypatch):
    assert jsonfile.MAX_FILE_BYTES == 256 * 1024 * 1024
    path = write_json(tmp_path / "big.json", _damaged(lambda d: None))
    monkeypatch.setattr(jsonfile, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(UsageError, match=r"big\.json: it is [\d,]+ bytes, more than the [\d,]+ allowed"):
        load_json(path)
    monkeypatch.setattr(jsonfile, "MAX_FILE_BYTES", path.stat().st_size)
    assert load_json(path)["schema"] == SCHEMA


def test_an_atomic_write_replaces_the_file_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    write_atomically(target, "old")

    def fail_to_rename(*args):
        raise OSError("disk trouble")

    monkeypatch.setattr(files.os, "replace", fail_to_rename)
    with pytest.raises(OSError, match="disk trouble"):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left behind


def test_writing_into_a_missing_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        write_atomically(tmp_path / "nowhere" / "x.json", "{}")
    with pytest.raises(UsageError, match="does not exist"):
        files.check_writable(tmp_path / "nowhere" / "x.json")
    with pytest.raises(UsageError, match="is a folder"):
        files.check_writable(tmp_path)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_report_file_gets_the_mode_the_umask_gives(tmp_path):
    old = os.umask(0o027)
    try:
        path = write_atomically(tmp_path / "new.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    os.umask(0o002)
    try:
        path = write_atomically(tmp_path / "other.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604])
def test_a_replaced_report_file_keeps_its_mode(tmp_path, mode, umask_022):
    path = tmp_path / "kept.json"
    path.write_text("old")
    path.chmod(mode)
    write_atomically(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path, umask_022):
    (tmp_path / "results").mkdir()
    target = tmp_path / "results" / "real.json"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    assert write_atomically(link, "new") == link
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "results"]  # no stray files
    dangling = tmp_path / "next.json"
    dangling.symlink_to(tmp_path / "results" / "next-real.json")
    files.check_writable(dangling)
    write_atomically(dangling, "first")
    assert dangling.is_symlink()
    assert (tmp_path / "results" / "next-real.json").read_text() == "first"


def test_a_fifo_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match=r"pipe\.json: it is a FIFO \(named pipe\), not a regular file"):
        files.check_writable(fifo)
    with pytest.raises(UsageError, match="FIFO"):
        write_atomically(fifo, "{}")
    link = tmp_path / "link.json"
    link.symlink_to(fifo)
    with pytest.raises(UsageError, match=r"link\.json: it is a FIFO"):
        files.check_writable(link)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "pipe.json"]


def test_a_device_node_is_refused_and_left_alone(tmp_path):
    """A device node made here, with /dev/null's numbers: were the refusal missing, only this copy would go."""
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    with pytest.raises(UsageError, match="null: it is a character device, not a regular file"):
        files.check_writable(device)
    with pytest.raises(UsageError, match="character device"):
        write_atomically(device, "{}")
    assert stat.S_ISCHR(device.stat().st_mode)
    link = tmp_path / "out.json"
    link.symlink_to("/dev/null")
    with pytest.raises(UsageError, match=r"out\.json: it is a character device"):
        files.check_writable(link)
    assert link.is_symlink()


def test_a_folder_that_takes_no_new_file_is_refused_before_anything_is_measured(tmp_path):
    """As root every folder looks writable to access(); /proc and /sys still take no new file."""
    for path in ("/proc/futstrat-report.json", "/sys/futstrat-report.json"):
        if not os.path.isdir(os.path.dirname(path)):
            continue
        with pytest.raises(UsageError, match=f"cannot write {path}: "):
            files.check_writable(path)
        assert not os.path.exists(path)


def test_a_full_file_system_is_refused_before_anything_is_measured(tmp_path, monkeypatch):
    real = os.statvfs(tmp_path)
    full = os.statvfs_result((*real[:3], 0, 0, *real[5:]))  # no free block, for root or anyone else
    monkeypatch.setattr(files.os, "statvfs", lambda folder: full)
    with pytest.raises(UsageError, match=f"cannot write {tmp_path}/x.json: the file system of the folder .* is full"):
        files.check_writable(tmp_path / "x.json")
    assert list(tmp_path.iterdir()) == []


def test_a_symlink_loop_is_refused_in_one_line(tmp_path):
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    with pytest.raises(UsageError, match=r"cannot write .*loop\.json: "):
        files.check_writable(loop)


def test_data_that_cannot_be_written_where_asked_is_kept_elsewhere(tmp_path, monkeypatch, umask_022):
    monkeypatch.chdir(tmp_path)
    first = files.keep_elsewhere("{}", "futstrat-compare", ".json")
    second = files.keep_elsewhere("[]", "futstrat-compare", ".json")
    assert first is not None
    assert second is not None
    assert first.parent == second.parent == files.Path(".")
    assert first != second  # a fresh name, never over an earlier one
    assert (first.read_text(), second.read_text()) == ("{}", "[]")
    assert stat.S_IMODE(first.stat().st_mode) == 0o644
    elsewhere = tmp_path / "temporary"
    elsewhere.mkdir()
    monkeypatch.setattr(files.tempfile, "gettempdir", lambda: str(elsewhere))
    monkeypatch.chdir("/proc")  # takes no new file
    kept = files.keep_elsewhere("{}", "futstrat-compare", ".json")
    assert kept is not None
    assert kept.parent == elsewhere


def test_the_partial_name_sits_beside_the_original():
    assert files.beside("out/run.json", "partial") == files.Path("out/run.partial.json")
    assert files.beside("run", "partial") == files.Path("run.partial")


def test_the_csv_has_one_row_per_run(saved):
    _, data = saved
    rows = list(csv.DictReader(io.StringIO(comparison_csv(data))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 4 * 6
    process = [r for r in rows if r["strategy"] == "process"]
    assert [r["warmup"] for r in process] == ["True"] + ["False"] * 5
    assert float(process[1]["total"]) == pytest.approx(1.05)
    assert process[1]["status"] == "passed"


def test_the_plot_is_a_png(saved, tmp_path):
    pytest.importorskip("matplotlib", reason="plotting is the optional extra futstrat[plot]")
    comparison, _ = saved
    path = plot_comparison(comparison, tmp_path / "phases.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_plot_leaves_out_combinations_without_a_correct_sample(tmp_path):
    pytest.importorskip("matplotlib", reason="plotting is the optional extra futstrat[plot]")
    comparison = analyse(
        fake_measurement({"serial": [1.0, 1.1], "thread": [0.5, 0.5]}, failures={"thread": RunStatus.ERROR})
    )
    assert plot_comparison(comparison, tmp_path / "p.svg").read_text().lstrip().startswith("<?xml")


def test_without_matplotlib_the_message_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(UsageError) as info:
        check_plot_path(tmp_path / "x.png")
    assert str(info.value) == INSTALL_HINT
    assert "pip install 'futstrat[plot]'" in INSTALL_HINT


def test_the_plot_format_comes_from_the_file_name(tmp_path):
    with pytest.raises(UsageError, match=r"writes \.png, \.svg, \.pdf files"):
        check_plot_path(tmp_path / "x.txt")
