"""The interpreter strategy under futstrat's runner and command line: workloads, sharing, errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import needs_interpreters

import futstrat
from futstrat.plugins import get_host
from futstrat.runner import execute, plan_run
from futstrat.shared_state import SLOT_KINDS
from futstrat.testing.bounded import time_limit
from futstrat.testing.slots import assert_slot_kind_exact_or_refused, nothing_left_behind, slot_workload

TIMEOUT = 60.0


def run(workload: str, sharing: str | None = None, **params: int) -> futstrat.RunReport:
    plan = plan_run(workload, "interpreter", sharing=sharing, workers=2, params=params, timeout=TIMEOUT)
    return execute(plan)


@needs_interpreters
def test_pi() -> None:
    report = run("pi", n=20_000)
    assert report.ok, report.error
    assert report.tasks == 8  # pi: four ranges per worker


@needs_interpreters
def test_counter_with_sharing_none_counts_through_futures() -> None:
    report = run("counter", "none", increments=500)
    assert report.ok, report.error
    assert report.value == 1000


@needs_interpreters
@pytest.mark.parametrize("workload", ["counter", "counter-race"])
def test_manager_proxies_are_rebuilt_inside_subinterpreters(workload: str) -> None:
    report = run(workload, "manager", increments=200)
    assert report.ok, report.error
    if workload == "counter":
        assert report.value == 400


@needs_interpreters
def test_manager_proxies_authenticate_whatever_started_the_manager() -> None:
    plan = plan_run(
        "counter", "interpreter", sharing="manager", workers=2, params={"increments": 50}, start_method="spawn"
    )
    report = execute(plan)
    assert report.ok, report.error
    assert report.start_method == "spawn"


@needs_interpreters
def test_counter_prefers_a_backend_that_works() -> None:
    plan = plan_run("counter", "interpreter", workers=2, params={"increments": 10})
    assert plan.sharing.name == "manager", "'value' comes first for the counter, but it is refused here"


@needs_interpreters
@pytest.mark.parametrize("sharing", ["manager", "value", "shm", "none"])
@pytest.mark.parametrize("kind", SLOT_KINDS)
def test_each_slot_kind_is_exact_or_refused_with_the_reason(sharing: str, kind: str) -> None:
    """Manager proxies serve every slot kind inside subinterpreters; the rest are refused, saying why."""
    host = get_host()
    with time_limit(120, "a slot workload hangs inside subinterpreters"), nothing_left_behind(("futstrat_", "psm_")):
        assert_slot_kind_exact_or_refused(
            host.registry.strategies.get("interpreter"),
            host.registry.sharing.get(sharing),
            kind,
            workers=2,
            updates=100,
            start_method=None,
            timeout=120,
        )
    if sharing == "manager":
        assert plan_run(slot_workload(kind), "interpreter", sharing=sharing, workers=2).sharing.name == "manager"


@pytest.mark.parametrize("workload", ["histogram", "lookup", "wordcount"])
@needs_interpreters
def test_the_shared_state_workloads_run_with_manager_proxies(workload: str) -> None:
    params = {"mb": 1, "reads": 2000} if workload == "lookup" else {}
    report = execute(plan_run(workload, "interpreter", sharing="manager", workers=2, params=params))
    assert report.ok, report.error or report.check


@needs_interpreters
@pytest.mark.parametrize("sharing", ["value", "shm"])
def test_raw_memory_backends_are_refused_for_every_shared_state_workload(sharing: str) -> None:
    for workload in ("histogram", "lookup", "counter"):
        with pytest.raises(futstrat.RefusedError, match="use sharing 'manager' \\(every slot kind\\) or 'none'"):
            plan_run(workload, "interpreter", sharing=sharing, workers=2)


@needs_interpreters
def test_raw_value_and_shared_futures_are_refused_before_anything_starts() -> None:
    with pytest.raises(futstrat.RefusedError, match="raw shared memory"):
        plan_run("counter", "interpreter", sharing="value", workers=2)
    with pytest.raises(futstrat.RefusedError, match="futures are not shared"):
        plan_run("deadlock", "interpreter", workers=2)


@needs_interpreters
def test_a_dotted_path_workload_is_imported_by_name_in_each_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_sums.py").write_text(
        "import futstrat\n\n"
        "@futstrat.workload(params={'n': 100}, combine=sum, expected=lambda p: p['n'] * (p['n'] - 1))\n"
        "def double(i):\n"
        "    return 2 * i\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    report = run("my_sums:double")
    assert report.ok, report.error
    assert report.value == 9900


@needs_interpreters
def test_a_workload_its_workers_cannot_import_fails_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    module = types.ModuleType("made_in_memory")
    exec(
        "import futstrat\n@futstrat.workload(params={'n': 10}, combine=sum)\ndef ident(i):\n    return i\n",
        module.__dict__,
    )
    monkeypatch.setitem(sys.modules, "made_in_memory", module)
    report = run("made_in_memory:ident")
    assert not report.ok
    assert "could not be loaded in a subinterpreter" in (report.error or "")
    assert "No module named 'made_in_memory'" in (report.error or "")


def command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "futstrat", *args], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


@needs_interpreters
def test_futstrat_run_pi_prints_pi() -> None:
    done = command("run", "pi", "--strategy", "interpreter", "--workers", "2", "--param", "n=20000")
    assert done.returncode == 0, done.stderr
    assert "pi with interpreter" in done.stdout
    assert "check   passed" in done.stdout


def test_futstrat_list_shows_the_strategy() -> None:
    done = command("list")
    assert done.returncode == 0, done.stderr
    assert "interpreter" in done.stdout


@needs_interpreters
def test_claim_one_measures_subinterpreters_against_threads() -> None:
    from futstrat.claims import ClaimSettings, check_gil_claim
    from futstrat.plugins import get_host

    settings = ClaimSettings(pi_terms=20_000, repeat=2, warmup=0, timeout=TIMEOUT)
    result = check_gil_claim(settings, get_host(), None)
    assert result.data["thread_over_interpreter"]["value"] > 0
    assert any(line.startswith("interpreter (a subinterpreter per thread)") for line in result.measured)
    assert "subinterpreter" in result.explanation
