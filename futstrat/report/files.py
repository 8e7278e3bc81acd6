"""Writing a report file so that a reader never sees half of it, even if futstrat is killed meanwhile."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from futstrat.errors import UsageError


def write_atomically(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over ``path``."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"cannot write {target}: the folder {directory} does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def check_writable(path: str | os.PathLike[str]) -> None:
    """Fail before a long measurement rather than after it, when the output cannot be written."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"cannot write {target}: the folder {directory} does not exist")
    if target.is_dir():
        raise UsageError(f"cannot write {target}: it is a folder")
    if not os.access(directory, os.W_OK):
        raise UsageError(f"cannot write {target}: the folder {directory} is not writable")
