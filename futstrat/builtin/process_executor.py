"""``ProcessPoolExecutor`` with a way to stop its workers at once, which the watchdog needs."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any


class KillableProcessPoolExecutor(ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` whose ``terminate()`` kills the workers instead of waiting for them.

    Python 3.14 adds ``kill_workers()``; until then the worker table is the only handle on them.
    """

    def terminate(self) -> None:
        processes: dict[int, Any] = dict(getattr(self, "_processes", None) or {})
        self.shutdown(wait=False, cancel_futures=True)
        for process in processes.values():
            if process.is_alive():
                process.kill()
        for process in processes.values():
            process.join(timeout=5)

    @property
    def worker_pids(self) -> list[int]:
        return list(getattr(self, "_processes", None) or {})
