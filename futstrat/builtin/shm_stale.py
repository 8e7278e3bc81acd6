"""Names of ``shm`` blocks that say who made them, and the sweep that removes those of dead runs.

A run unlinks its blocks when it ends, and the resource tracker does when futstrat dies; but when
futstrat's whole process group is SIGKILLed (a CI job's timeout, ``kill -9 -PGID``) the tracker dies
with it, and the blocks would stay in ``/dev/shm``, in RAM, until the machine reboots. So, as a
database server removes the shared memory of a dead predecessor, every ``shm`` session first removes
the blocks of earlier runs whose creator is gone.

A block's name is ``futstrat_<creator pid>_n<pid namespace>_<random hex>``. The namespace number
(from ``/proc/self/ns/pid``) says whether the pid means the same process here: containers that share
``/dev/shm`` each count pids of their own. A block is stale only if all of these hold:

- its name parses, and names our own pid namespace;
- it belongs to our own user (we never touch another user's memory, even where we could);
- its creator pid does not exist. A pid that exists, even reused by another program since, keeps the
  block: leaving a dead run's block is a small waste, removing a live run's block breaks that run.

Blocks named the old way (``futstrat_<pid>_<hex>``) carry no namespace, so the pid in them may belong
to another container's process: they are left alone, never guessed at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

#: Every block of the ``shm`` backend is named so, which tells them apart in ``/dev/shm``.
BLOCK_PREFIX = "futstrat_"
#: Where Linux lists the POSIX shared memory blocks.
SHARED_MEMORY_FOLDER = "/dev/shm"
#: Written in a block's name when our pid namespace cannot be read: such a block is never stale.
UNKNOWN_NAMESPACE = 0

# Only the current naming parses. The old one (``futstrat_<pid>_<hex>``) is not read as "our
# namespace": a container sharing /dev/shm made such names too, and its pid would be checked here
# against our processes, so a live run of its could lose its blocks. Old leftovers wait for a reboot.
_BLOCK_NAME = re.compile(rf"{BLOCK_PREFIX}([1-9][0-9]{{0,9}})_n([0-9]{{1,20}})_[0-9a-f]{{12}}")


def own_pid_namespace() -> int:
    """The number of this process's pid namespace (``pid:[NNN]``), or ``UNKNOWN_NAMESPACE``."""
    try:
        link = os.readlink("/proc/self/ns/pid")
    except OSError:
        return UNKNOWN_NAMESPACE
    found = re.fullmatch(r"pid:\[([0-9]+)\]", link)
    return int(found.group(1)) if found else UNKNOWN_NAMESPACE


def new_block_name() -> str:
    """A fresh name for a block made by this process."""
    return f"{BLOCK_PREFIX}{os.getpid()}_n{own_pid_namespace()}_{os.urandom(6).hex()}"


def block_creator(name: str) -> tuple[int, int] | None:
    """``(creator pid, pid namespace)`` of a block named by ``new_block_name``; None for any other name."""
    found = _BLOCK_NAME.fullmatch(name)
    return (int(found.group(1)), int(found.group(2))) if found else None


def process_exists(pid: int) -> bool:
    """Whether ``pid`` is a process now, in our pid namespace (a zombie counts: its pid is taken)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, but a process
        return True
    return True


def is_stale(
    name: str,
    owner_uid: int,
    *,
    namespace: int,
    uid: int,
    exists: Callable[[int], bool] = process_exists,
) -> bool:
    """Whether the block ``name``, owned by ``owner_uid``, was left by a dead run of ours, seen from a
    process of pid namespace ``namespace`` and user ``uid``: only then may it be removed."""
    creator = block_creator(name)
    if creator is None or namespace == UNKNOWN_NAMESPACE or owner_uid != uid:
        return False
    pid, its_namespace = creator
    return its_namespace == namespace and not exists(pid)


def remove_stale_blocks(folder: str = SHARED_MEMORY_FOLDER) -> list[str]:
    """Remove the stale blocks in ``folder`` and return their names; silently nothing where the folder
    cannot be listed. Another run may sweep at the same moment: a block already gone is fine."""
    namespace = own_pid_namespace()
    if namespace == UNKNOWN_NAMESPACE:
        return []
    try:
        names = [name for name in os.listdir(folder) if name.startswith(BLOCK_PREFIX)]
    except OSError:
        return []
    uid, removed = os.geteuid(), []
    for name in names:
        path = os.path.join(folder, name)
        try:
            owner_uid = os.stat(path, follow_symlinks=False).st_uid
        except OSError:
            continue
        if is_stale(name, owner_uid, namespace=namespace, uid=uid):
            try:
                os.unlink(path)
            except FileNotFoundError:  # another run swept it first
                continue
            except OSError:  # not ours to remove after all (a read-only mount, say): leave it
                continue
            removed.append(name)
    return removed
