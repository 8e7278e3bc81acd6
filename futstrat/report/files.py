"""Report files: written so that a reader never sees half of one, and never written where they must not be.

A report may be asked for at any path, and minutes of measuring stand behind it, so writing is careful
in both directions. Before measuring, ``check_writable`` tries what the final write will do (create a
file beside the target) and refuses a path that is a folder or a special file: a device such as
``/dev/null``, a FIFO, a socket. A symlink is followed and its target is written, so the link stays a
link. A new file gets the mode the umask gives (as ``open`` would), a replaced file keeps its mode.
When the write still fails at the end, ``keep_elsewhere`` saves the data under a fresh name in the
current folder or the temporary folder, so the measurement is not lost.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
import stat
import tempfile
from pathlib import Path

from futstrat.errors import UsageError

#: The mode ``open()`` asks for; the kernel takes the umask off it, as it does for any new file.
NEW_FILE_MODE = 0o666


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def resolve_target(path: str | os.PathLike[str]) -> tuple[Path, os.stat_result | None]:
    """The file a write to ``path`` must replace (symlinks followed) and its status, None if it is absent.

    Anything but a regular file is refused: replacing a device, a FIFO or a socket with a regular file
    would break whatever uses it (as root, ``--json /dev/null`` would replace the system's /dev/null).
    """
    shown = Path(path)
    target = Path(os.path.realpath(path))
    try:
        status = os.stat(target)
    except FileNotFoundError:
        status = None
    except OSError as exc:
        raise UsageError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise UsageError(f"cannot write {shown}: it is {kind_of(status.st_mode)}, not a regular file")
    if not os.path.isdir(target.parent):
        folder = f"{target.parent} (where the link points)" if os.path.islink(shown) else str(shown.parent)
        raise UsageError(f"cannot write {shown}: the folder {folder} does not exist")
    return target, status


def _create_beside(target: Path, mode: int) -> tuple[int, Path]:
    """A new, empty file with a fresh hidden name in ``target``'s folder, opened for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temporary = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(temporary, flags, mode), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def write_atomically(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write to a temporary file beside the target, flush it to disk, then rename it over the target.

    The target is ``path`` with symlinks followed. A replaced file keeps its mode (and, where allowed,
    its owner); a new one gets the umask's mode. Returns ``path`` as given, which is what the user named.
    """
    target, status = resolve_target(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle, temporary = _create_beside(target, NEW_FILE_MODE)
    try:
        with os.fdopen(handle, "wb") as stream:
            if status is not None:
                _keep_owner_and_mode(stream.fileno(), status)
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        # The target may have changed since it was looked at: check again just before replacing it.
        resolve_target(path)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return Path(path)


def _keep_owner_and_mode(descriptor: int, status: os.stat_result) -> None:
    if (status.st_uid, status.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(OSError):  # only root may give a file away; then the owner changes
            os.fchown(descriptor, status.st_uid, status.st_gid)
    with contextlib.suppress(OSError):  # some file systems (FAT, network shares) take no modes
        os.fchmod(descriptor, stat.S_IMODE(status.st_mode))


def check_writable(path: str | os.PathLike[str]) -> None:
    """Fail before a long measurement rather than after it, when the output cannot be written.

    It does what the final write does first: create a file beside the target (then removes it), which
    is the only honest test on a read-only file system, in ``/proc`` or ``/sys``, or as root. A file
    system without a free block is refused too; one that fills up while measuring is the fallback's case.
    """
    target, _ = resolve_target(path)
    try:
        handle, temporary = _create_beside(target, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot write {Path(path)}: {exc.strerror or exc} (in the folder {target.parent})") from None
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(temporary)
    if _is_full(target.parent):
        raise UsageError(f"cannot write {Path(path)}: the file system of the folder {target.parent} is full")


def _is_full(folder: Path) -> bool:
    """Whether not one block is left for this user (root may use the blocks kept back for it)."""
    try:
        space = os.statvfs(folder)
    except OSError:
        return False
    left = space.f_bfree if os.geteuid() == 0 else space.f_bavail
    return space.f_blocks > 0 and left == 0


def beside(path: str | os.PathLike[str], tag: str) -> Path:
    """``run.json`` with ``tag`` before its suffix, in the same folder: ``run.partial.json``."""
    original = Path(path)
    return original.with_name(f"{original.stem}.{tag}{original.suffix}")


def keep_elsewhere(data: str | bytes, prefix: str, suffix: str) -> Path | None:
    """Save ``data`` under a fresh name in the current folder, else the temporary folder; None if neither works.

    Used when the file the user asked for could not be written after a measurement: the data must
    survive somewhere, and a fresh name never replaces anything.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for folder in (Path("."), Path(tempfile.gettempdir())):
        for attempt in range(100):
            name = f"{prefix}-{stamp}{'' if attempt == 0 else f'-{attempt}'}{suffix}"
            candidate = folder / name
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
            try:
                handle = os.open(candidate, flags, NEW_FILE_MODE)
            except FileExistsError:
                continue
            except OSError:
                break
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(payload)
                    stream.flush()
                    os.fsync(stream.fileno())
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(candidate)
                break
            return candidate
    return None


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is a usage error.

    A device (``/dev/zero`` never ends), a FIFO (opening one waits for a writer), a folder or a file
    larger than ``limit`` is refused before any of it is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    status = os.fstat(handle)
    if not stat.S_ISREG(status.st_mode):
        os.close(handle)
        raise UsageError(f"cannot read {path}: it is {kind_of(status.st_mode)}, not a file")
    if status.st_size > limit:
        os.close(handle)
        raise UsageError(f"cannot read {path}: it is {status.st_size:,} bytes, more than the {limit:,} allowed")
    with os.fdopen(handle, "rb") as stream:
        try:
            content = stream.read(limit + 1)
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(content) > limit:
        raise UsageError(f"cannot read {path}: it grew past the {limit:,} bytes allowed while being read")
    return content
