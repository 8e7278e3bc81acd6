"""Noticing a script that starts a run without ``if __name__ == "__main__":``.

Under spawn and forkserver each new worker process imports the main module again (as ``__mp_main__``)
before it can run a task. A script that starts a run at its top level would then start one in every
worker, and multiprocessing stops that with a long error about bootstrapping that names no cause.
While a worker imports the main module, multiprocessing marks the process as ``_inheriting``: that is
the signal this module reads.
"""

from __future__ import annotations

import multiprocessing.process

from futstrat.errors import UsageError


class UnguardedMainError(UsageError):
    """A run was started while a worker process imported the main module."""


def refuse_inside_worker_bootstrap(what: str) -> None:
    """Raise, naming the guard, when called while this process imports its parent's main module."""
    if getattr(multiprocessing.process.current_process(), "_inheriting", False):
        raise UnguardedMainError(
            f"{what} was called while a new worker process imported your main module: under the spawn"
            " and forkserver start methods every worker imports it again, so start runs only under"
            ' `if __name__ == "__main__":` at the end of your script'
        )
