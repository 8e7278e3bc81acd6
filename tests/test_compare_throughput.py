"""compare shows tasks per second and the chunk size, and passes --chunksize on to every run."""

from __future__ import annotations

import json

from futstrat.report.format import rate

from .cli_process import run_futstrat


def test_compare_shows_throughput_and_honours_the_chunk_size(tmp_path):
    out = tmp_path / "tiny.json"
    result = run_futstrat(
        "compare", "tiny", "--strategies", "serial,process", "--param", "n=20000",
        "--repeat", "1", "--warmup", "0", "--chunksize", "250", "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if line.startswith("#"))
    assert "tasks/s" in header
    assert "chunk" in header
    rows = [line for line in result.stdout.splitlines() if line[:1].isdigit()]
    assert all(" 250 " in row for row in rows), rows
    assert json.loads(out.read_text())["settings"]["chunksize"] == 250


def test_rates_read_short():
    assert rate(950) == "950/s"
    assert rate(12_345) == "12.3k/s"
    assert rate(1_460_000) == "1.46M/s"
    assert rate(None) == "-"
