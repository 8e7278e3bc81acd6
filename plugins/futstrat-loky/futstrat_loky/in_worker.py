"""What runs in each loky worker before its first task: the environment, a watch on the parent, then
the run's own initializer.

A worker of a pool whose parent was killed (``kill -9``, the out-of-memory killer, a CI runner cancelling
a job) is reparented and would otherwise wait for its next task for ever, holding loky's resource
tracker open with it. Nothing in a dead parent can end it, so each worker watches for itself.
"""

from __future__ import annotations

import os
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: How often a worker checks that the process that started it is still its parent.
PARENT_CHECK_SECONDS = 0.25
#: The exit status of a worker that ends because its parent died.
ORPHANED_EXIT_CODE = 70


def prepare_worker(
    owner: int,
    environment: dict[str, str] | None,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
) -> None:
    """The initializer futstrat-loky gives each worker: ``environment`` in (loky passes its ``env`` only
    to workers it starts its own way, and reads ``PYTHONFAULTHANDLER`` after this), the watch on the
    pool's ``owner`` process started, then the run's own initializer."""
    if environment:
        os.environ.update(environment)
    watch_owner(owner)
    if initializer is not None:
        initializer(*initargs)


def watch_owner(owner: int) -> None:
    """End this process as soon as the process that owns its pool has gone.

    A process whose parent dies is given a new parent, so a change of ``os.getppid()`` is one sign.
    Under ``forkserver`` the parent is the fork server, which outlives the owner as long as any worker
    holds its pipe open, so the owner itself is watched too.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent and _alive(owner):
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(ORPHANED_EXIT_CODE)

    threading.Thread(target=watch, name="futstrat-loky-owner-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs: a process that has ended but not been reaped yet counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc here: existing is all that can be told
