"""The ``futstrat`` command as whole processes, start-up and exit included, against the least a process can do.

Two sets, each timed side by side and rotated round-robin:

- ``futstrat --version`` against ``python -c pass`` and against ``python -c "import attrs, pluggy"``,
  the two libraries futstrat cannot start without. Target: ``--version`` within 60 ms of the latter.
  This set runs three rounds for each round of the next: each of its processes takes a tenth of a second.
- ``futstrat run pi --strategy process`` against a hand-written script that this benchmark writes: the
  article's function on a ``ProcessPoolExecutor`` in the same ranges, workers and start method, checked
  the same way. Target: a median ratio of at most 1.05.
  Beside them runs the same script after importing the libraries a run cannot do without (attrs,
  pluggy, importlib.metadata for the plugins' entry points, argparse and json for the command line):
  the floor that any run built on them stands on. Its ratio to the plain script says how much of the
  5% those imports take by themselves; futstrat's ratio to it is what futstrat's own code costs.

Every process runs as a user's does, with its compiled bytecode cached (kept in a folder of its own for
the run, so an environment that turns the cache off, as PYTHONDONTWRITEBYTECODE does, does not make
each process compile futstrat's modules anew); the warm-up round fills the cache.

    python benchmarks/front_door.py [--n 10000000] [--workers 2] [--repeat 9] [--start-method fork]
"""

from __future__ import annotations

import argparse
import inspect
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import textwrap

from interleaved import Verdict, check_ratio, exit_code, interval, pi_arguments, print_medians, time_side_by_side
from overhead import my_pi, ranges

from futstrat.builtin.workloads.pi import RANGES_PER_WORKER
from futstrat.measure.stats import ratio_of_medians, summarize

#: How much longer ``futstrat --version`` may take than a Python that imports attrs and pluggy.
VERSION_ALLOWANCE_SECONDS = 0.060
#: How much slower ``futstrat run`` may be, as a whole process, than the hand-written script.
RUN_TARGET = 1.05
#: Rounds of the quick ``--version`` set for each round of the pi set.
VERSION_ROUNDS_PER_ROUND = 3

#: What a run of futstrat imports before it can do anything, and the hand-written script does not.
DEPENDENCIES = "import argparse, json, importlib.metadata, attrs, pluggy"

HANDWRITTEN = """\
{preamble}
import math
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor

{my_pi}

{ranges}

if __name__ == "__main__":
    n, workers, method = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as executor:
        futures = [executor.submit(my_pi, first, last) for first, last in ranges(n, workers * {per_worker})]
        value = math.fsum(f.result() for f in futures)
    if abs(value - math.pi) > 4 / (2 * n + 1) + n * 4e-16:
        raise SystemExit(f"wrong answer: {{value!r}}")
    print(value)
"""


def futstrat_command() -> list[str]:
    """The ``futstrat`` console script of this Python, as a user runs it; ``python -m futstrat`` if none."""
    script = pathlib.Path(sys.executable).parent / "futstrat"
    found = str(script) if script.exists() else shutil.which("futstrat")
    return [found] if found else [sys.executable, "-m", "futstrat"]


def write_handwritten(folder: pathlib.Path, preamble: str = "", name: str = "handwritten_pi.py") -> pathlib.Path:
    """The hand-written pi script: the same function and ranges as benchmarks/overhead.py, after
    ``preamble``."""
    path = folder / name
    source = HANDWRITTEN.format(
        preamble=preamble,
        my_pi=textwrap.dedent(inspect.getsource(my_pi)).strip(),
        ranges=textwrap.dedent(inspect.getsource(ranges)).strip(),
        per_worker=RANGES_PER_WORKER,
    )
    path.write_text(source)
    return path


def with_bytecode_cache(folder: pathlib.Path) -> dict[str, str]:
    """This environment, with Python's bytecode cache on and kept under ``folder``."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def process(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    """Run one whole process; it must succeed within a generous bound."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, env=env)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {result.returncode}: {result.stderr.strip()}")
    return result


def check_difference(label: str, mine: list[float], theirs: list[float], allowance: float, busy: bool) -> Verdict:
    """Print the difference of medians against its allowance, with the ratio for reference."""
    difference = summarize(mine).median - summarize(theirs).median
    ratio = ratio_of_medians(mine, theirs)
    met = difference <= allowance
    doubt = None if met or not busy else "the machine was busy"
    verdict = "met" if met else (f"not met, inconclusive: {doubt}" if doubt else "NOT MET")
    print(
        f"  {label}: {difference * 1000:+.1f} ms (ratio {ratio.value:.2f})"
        f"  target <= +{allowance * 1000:.0f} ms  {verdict}"
    )
    return Verdict(met, doubt)


def main() -> int:
    args = pi_arguments(__doc__, default_repeat=9)
    futstrat = futstrat_command()
    print(f"the command: {'futstrat (the console script)' if len(futstrat) == 1 else 'python -m futstrat'}")
    with tempfile.TemporaryDirectory(prefix="front-door-") as folder:
        env = with_bytecode_cache(pathlib.Path(folder))
        verdicts = [time_the_version(futstrat, env, args.repeat * VERSION_ROUNDS_PER_ROUND, args.warmup)]
        script = write_handwritten(pathlib.Path(folder))
        floor = write_handwritten(pathlib.Path(folder), DEPENDENCIES, "handwritten_pi_with_dependencies.py")
        verdicts.append(time_a_run(futstrat, env, script, floor, args))
    return exit_code(verdicts)


def time_the_version(futstrat: list[str], env: dict[str, str], repeat: int, warmup: int) -> Verdict:
    print("futstrat --version, whole processes:")
    python = sys.executable
    times, busy = time_side_by_side(
        {
            "futstrat --version": lambda: process(env, *futstrat, "--version"),
            "python -c 'import attrs, pluggy'": lambda: process(env, python, "-c", "import attrs, pluggy"),
            "python -c pass": lambda: process(env, python, "-c", "pass"),
        },
        repeat,
        warmup,
        show=False,
    )
    print_medians(times)
    verdict = check_difference(
        "futstrat --version - python importing attrs and pluggy",
        times["futstrat --version"],
        times["python -c 'import attrs, pluggy'"],
        VERSION_ALLOWANCE_SECONDS,
        busy,
    )
    print(f"  (python -c pass alone: {summarize(times['python -c pass']).median * 1000:.1f} ms)")
    return verdict


def time_a_run(
    futstrat: list[str], env: dict[str, str], script: pathlib.Path, floor: pathlib.Path, args: argparse.Namespace
) -> Verdict:
    n, workers, method = args.n, args.workers, args.start_method
    print(f"futstrat run pi --strategy process, n={n:,}, whole processes:")
    run = [*futstrat, "run", "pi", "--strategy", "process", "--workers", str(workers)]
    run += ["--start-method", method, "--param", f"n={n}"]
    handwritten = [sys.executable, str(script), str(n), str(workers), method]
    with_dependencies = [sys.executable, str(floor), str(n), str(workers), method]
    times, busy = time_side_by_side(
        {
            "futstrat run pi --strategy process": lambda: process(env, *run),
            "hand-written ProcessPoolExecutor script": lambda: process(env, *handwritten),
            "the same script importing futstrat's dependencies": lambda: process(env, *with_dependencies),
        },
        args.repeat,
        args.warmup,
    )
    print_medians(times)
    print("futstrat / hand-written, ratio of medians [95% bootstrap interval]:")
    mine = times["futstrat run pi --strategy process"]
    theirs = times["hand-written ProcessPoolExecutor script"]
    dependencies = times["the same script importing futstrat's dependencies"]
    verdict = check_ratio(
        "run pi --strategy process / hand-written script", ratio_of_medians(mine, theirs), RUN_TARGET, True, busy
    )
    floor_ratio = ratio_of_medians(dependencies, theirs)
    print(f"  of which the dependencies' imports alone: {floor_ratio.value:.3f}{interval(floor_ratio)}")
    own = ratio_of_medians(mine, dependencies)
    print(f"  and futstrat's own code, over them: {own.value:.3f}{interval(own)}")
    if floor_ratio.low is not None and floor_ratio.low > RUN_TARGET:
        print(f"  the dependencies alone take more than the target allows: no run that imports them meets {RUN_TARGET}")
    return verdict


if __name__ == "__main__":
    raise SystemExit(main())
