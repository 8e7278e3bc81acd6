"""futstrat reads the program's start method but never fixes it: the user may still set their own."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest

from futstrat.start_methods import start_method_or_default

AFTER_A_RUN = """\
import multiprocessing, sys
import futstrat
report = futstrat.run("pi", sys.argv[1], workers=2, params={"n": 20_000, "tasks": 4}, sharing=sys.argv[2] or None,
                      timeout=60)
assert report.ok, report.error
multiprocessing.set_start_method("spawn")
print("set", multiprocessing.get_start_method())
"""


@pytest.mark.parametrize(("strategy", "sharing"), [("process", ""), ("pool-map", ""), ("pool-async", "")])
def test_a_run_leaves_the_program_free_to_set_its_start_method(strategy, sharing):
    result = subprocess.run(
        [sys.executable, "-c", AFTER_A_RUN, strategy, sharing], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "set spawn" in result.stdout


def test_a_counter_with_its_manager_leaves_the_start_method_unset_too():
    code = AFTER_A_RUN.replace('"pi"', '"counter"').replace('{"n": 20_000, "tasks": 4}', '{"increments": 100}')
    result = subprocess.run(
        [sys.executable, "-c", code, "process", "manager"], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_default_is_the_program_s_own_choice_or_the_platform_s():
    assert start_method_or_default("spawn") == "spawn"
    chosen = multiprocessing.get_start_method(allow_none=True)
    assert start_method_or_default(None) == (chosen or multiprocessing.get_all_start_methods()[0])
