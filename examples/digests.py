"""Digests of the files in a folder: a user's own workload, from a plain function to futstrat.

``digest`` is an ordinary function of one file. The decorator says where the files come from
(``items``), which settings a run may change (the function's keyword parameters, and ``folder`` and
``files`` for ``items``), how the results become one answer (``combine``) and what that answer must be
(``expected``). Run it from this folder::

    futstrat run digests:digest --strategy process --param rounds=3
    futstrat compare digests:digest
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import futstrat


def sample_folder(params: Mapping[str, Any]) -> Path:
    """The folder to digest: ``--param folder=PATH``, or a folder of sample files made once."""
    if params["folder"]:
        return Path(params["folder"])
    folder = Path(tempfile.gettempdir(), f"futstrat-sample-files-{params['files']}")
    if not folder.is_dir():
        folder.mkdir()
        for number in range(params["files"]):
            (folder / f"file-{number:04d}.bin").write_bytes(bytes([number % 251]) * 200_000)
    return folder


def files(params: Mapping[str, Any]) -> list[Path]:
    """The items: every file in the folder, in name order."""
    return sorted(path for path in sample_folder(params).iterdir() if path.is_file())


def sha256_rounds(path: Path, rounds: int) -> str:
    data = path.read_bytes()
    for _ in range(rounds):
        data = hashlib.sha256(data).digest()
    return data.hex()


def digests_in_a_loop(params: Mapping[str, Any]) -> dict[str, str]:
    """The answer computed the plain way, one file after another: what every strategy must match."""
    return {path.name: sha256_rounds(path, params["rounds"]) for path in files(params)}


@futstrat.workload(
    params={"folder": "", "files": 200},
    items=files,
    combine=dict,
    expected=digests_in_a_loop,
)
def digest(path: Path, *, rounds: int = 1) -> tuple[str, str]:
    """SHA-256 of each file in a folder, hashed again `rounds` times."""
    return path.name, sha256_rounds(path, rounds)
