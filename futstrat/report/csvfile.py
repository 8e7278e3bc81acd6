"""The ``--csv`` file: one row per run, warm-ups marked, ready for a spreadsheet or pandas."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from futstrat.report.files import write_atomically

CSV_COLUMNS = (
    "workload",
    "strategy",
    "sharing",
    "workers",
    "start_method",
    "round",
    "warmup",
    "status",
    "startup",
    "compute",
    "shutdown",
    "total",
    "own_cpu",
    "outside_cpu",
)


def comparison_csv(data: dict[str, Any]) -> str:
    """The runs of a comparison in the form ``comparison_to_dict`` gives, as CSV text (times in seconds)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for combination in data["combinations"]:
        for sample in combination["samples"]:
            writer.writerow({**combination, **sample})
    return out.getvalue()


def write_csv(path: str | os.PathLike[str], data: dict[str, Any]) -> Path:
    return write_atomically(path, comparison_csv(data))
