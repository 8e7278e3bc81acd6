"""The JSON, CSV and plot files: their content, their schema, and that they are written atomically."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from futstrat.errors import UsageError
from futstrat.measure import analyse
from futstrat.model import RunStatus
from futstrat.report import files
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
