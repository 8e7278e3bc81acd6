"""Start-up of each worker process of a local cluster, as a dask preload (``dask_setup``).

It makes a dask worker behave like futstrat's own pool workers. Ctrl-C goes to the whole foreground
process group: futstrat handles it and ends the cluster, so the worker ignores it instead of printing
a traceback. The worker leads a process group of its own, which the processes its tasks start join,
so that the executor can end them all when the run ends. And futstrat reports a failed task in one
line of its own, so the worker's "Compute Failed" log of the same failure is dropped; every other
message of dask's still goes through.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from typing import Any

#: How dask's worker begins its log record of a task that raised.
COMPUTE_FAILED = "Compute Failed"


class DropComputeFailed(logging.Filter):
    """Drops the worker's record of a task that raised: futstrat reports that failure itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(COMPUTE_FAILED))


def dask_setup(worker: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):  # not permitted where the process already leads a session
        os.setpgid(0, 0)
    logging.getLogger("distributed.worker").addFilter(DropComputeFailed())
