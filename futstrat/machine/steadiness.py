"""How steady the CPUs' speed was during a comparison, measured with nothing of futstrat in the picture.

A ratio of two timings compares the code only if a core runs as fast during one as during the other.
On a virtual machine the host may slow a core whenever it likes, so between the rounds of a comparison
the same short loop is timed on each usable CPU in turn (a thread pinned to it, a few milliseconds
each, counting the thread's own CPU time). If the slowest of those timings is 40% above the fastest,
a 10% difference between two strategies says as much about the host as about them.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attrs import frozen

#: Iterations of the fixed loop: about a millisecond in CPython on a current core.
LOOP_ITERATIONS = 20_000
#: Times the loop runs on each CPU per probe; the fastest counts, so one interrupt does not.
LOOP_REPEATS = 3
#: The probe gives up on a CPU after this long (a core stopped by the host must not stop the comparison).
PROBE_TIMEOUT_SECONDS = 10.0


@frozen
class CoreTimings:
    """One probe: the fixed loop's best time on each CPU, after the round that had just finished."""

    round: int  # 0 before the first round
    seconds: Mapping[int, float]

    def to_dict(self) -> dict[str, Any]:
        return {"round": self.round, "seconds": {str(cpu): s for cpu, s in sorted(self.seconds.items())}}


@frozen
class CoreSteadiness:
    """Every probe of a comparison, and how far the cores' speed moved over them."""

    probes: tuple[CoreTimings, ...]

    def per_cpu(self) -> dict[int, list[float]]:
        timings: dict[int, list[float]] = {}
        for probe in self.probes:
            for cpu, seconds in probe.seconds.items():
                timings.setdefault(cpu, []).append(seconds)
        return timings

    @property
    def spread(self) -> float | None:
        """How much longer the slowest timing took than the fastest (0.4 is 40%); None without two."""
        every = [s for probe in self.probes for s in probe.seconds.values() if s > 0]
        if len(every) < 2:
            return None
        return max(every) / min(every) - 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "loop_iterations": LOOP_ITERATIONS,
            "spread": None if self.spread is None else round(self.spread, 4),
            "cpus": {
                str(cpu): {
                    "fastest": min(values),
                    "median": statistics.median(values),
                    "slowest": max(values),
                    "spread": round(max(values) / min(values) - 1, 4) if min(values) > 0 else None,
                }
                for cpu, values in sorted(self.per_cpu().items())
            },
            "probes": [probe.to_dict() for probe in self.probes],
        }


def fixed_loop(iterations: int = LOOP_ITERATIONS) -> float:
    """CPU-seconds the same plain arithmetic loop takes: its speed is the core's speed.

    The thread's own CPU time is counted, not the wall time, so that a moment when another program had
    the core is not taken for a slow core (the load warnings speak of other programs).
    """
    started = time.thread_time()
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return time.thread_time() - started


def _time_on(cpu: int, loop: Callable[[], float], repeats: int) -> float | None:
    """The loop's best time with the calling thread pinned to ``cpu``; the thread's CPUs are restored."""
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {cpu})
        return min(loop() for _ in range(repeats))
    except OSError:  # the CPU went offline, or this process may no longer use it
        return None
    finally:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, before)


def probe_cores(
    round_number: int,
    cpus: Sequence[int] | None = None,
    loop: Callable[[], float] = fixed_loop,
    repeats: int = LOOP_REPEATS,
) -> CoreTimings | None:
    """Time the loop on each of ``cpus`` (default: every CPU this process may use); None off Linux.

    The loop runs in a short-lived thread that pins only itself: on Linux an affinity set with pid 0
    belongs to the calling thread, so the rest of the process, and the workers it starts later, keep
    theirs.
    """
    if not hasattr(os, "sched_setaffinity"):
        return None
    targets = sorted(os.sched_getaffinity(0)) if cpus is None else list(cpus)
    seconds: dict[int, float] = {}

    def run() -> None:
        for cpu in targets:
            timing = _time_on(cpu, loop, repeats)
            if timing is not None:
                seconds[cpu] = timing

    thread = threading.Thread(target=run, name="futstrat-core-probe", daemon=True)
    thread.start()
    thread.join(PROBE_TIMEOUT_SECONDS)
    return CoreTimings(round_number, dict(seconds)) if seconds and not thread.is_alive() else None
