"""The seed article's claims: the verdict rules on known numbers, and the checks on tiny real runs."""

from __future__ import annotations

import json

import pytest

from futstrat.claims import (
    ClaimSettings,
    Verdict,
    check_claims,
    describe_interpreters,
    judge_deadlock,
    judge_gil,
    judge_manager,
    judge_race,
)
from futstrat.cli import main
from futstrat.measure import Ratio
from futstrat.model import RunStatus

TINY = ClaimSettings(pi_terms=4000, increments=300, repeat=2, warmup=0, race_runs=2, manager_race_runs=1, timeout=60.0)


def test_gil_claim_holds_when_processes_are_clearly_more_than_twice_as_fast():
    verdict, why = judge_gil(Ratio(3.6, 3.4, 3.8), thread_vs_serial=1.0, cpus=4, overhead=0.02, gil=True)
    assert verdict is Verdict.HOLDS
    assert "3.60x as fast" in why


def test_on_two_cpus_more_than_twice_is_out_of_reach_and_the_reason_has_numbers():
    verdict, why = judge_gil(Ratio(1.8, 1.75, 1.85), thread_vs_serial=1.04, cpus=2, overhead=0.03, gil=True)
    assert verdict is Verdict.PARTLY
    assert "out of reach" in why
    assert "at most about 2 x 1.04 = 2.08; measured 1.80" in why


def test_gil_claim_partly_holds_when_more_cpus_would_allow_it():
    verdict, why = judge_gil(Ratio(1.8, 1.75, 1.85), thread_vs_serial=1.0, cpus=4, overhead=0.2, gil=True)
    assert verdict is Verdict.PARTLY
    assert "up to 4.00 would be possible" in why


def test_on_a_busy_machine_the_gil_claim_is_inconclusive():
    verdict, why = judge_gil(Ratio(1.02, 0.97, 1.08), thread_vs_serial=1.0, cpus=2, overhead=0.02, gil=True, busy=1.4)
    assert verdict is Verdict.INCONCLUSIVE
    assert "other programs kept 1.40 of the 2 CPUs busy" in why


@pytest.mark.parametrize(
    ("gil", "cpus", "overhead", "busy", "reason"),
    [
        (False, 2, 0.02, 0.0, "without the GIL"),
        (True, 1, 0.02, 0.0, "only one CPU"),
        (True, 2, 0.30, 0.0, "start-up and shutdown (30% of its time) outweigh"),
        (True, 2, 0.02, None, "processes were not significantly faster than threads here"),
    ],
)
def test_gil_claim_does_not_hold_without_a_significant_difference(gil, cpus, overhead, busy, reason):
    ratio = Ratio(1.02, 0.97, 1.08)
    verdict, why = judge_gil(ratio, thread_vs_serial=1.0, cpus=cpus, overhead=overhead, gil=gil, busy=busy)
    assert verdict is Verdict.DOES_NOT_HOLD
    assert reason in why


@pytest.mark.parametrize(
    ("ratio", "verdict"),
    [
        (Ratio(80.0, 70.0, 90.0), Verdict.HOLDS),
        (Ratio(11.0, 9.0, 13.0), Verdict.HOLDS),
        (Ratio(4.0, 3.5, 4.5), Verdict.PARTLY),
        (Ratio(1.01, 0.9, 1.1), Verdict.DOES_NOT_HOLD),
    ],
)
def test_manager_claim_verdicts(ratio, verdict):
    assert judge_manager(ratio, compute_ratio=ratio.value)[0] is verdict


def test_the_race_is_reported_as_lost_updates_in_k_of_r_runs():
    assert judge_race(5, 5) == (Verdict.HOLDS, judge_race(5, 5)[1])
    assert "lost updates in 5 of 5 process runs" in judge_race(5, 5)[1]
    verdict, why = judge_race(2, 7)
    assert verdict is Verdict.PARTLY
    assert "lost updates in 2 of 7 process runs, not every time" in why
    verdict, why = judge_race(0, 4)
    assert verdict is Verdict.DOES_NOT_HOLD
    assert "lost updates in 0 of 4" in why


def test_deadlock_claim_verdicts():
    assert judge_deadlock(RunStatus.DEADLOCK, "futures are not shared")[0] is Verdict.HOLDS
    assert judge_deadlock(RunStatus.DEADLOCK, None)[0] is Verdict.PARTLY
    assert judge_deadlock(RunStatus.PASSED, "futures are not shared")[0] is Verdict.DOES_NOT_HOLD


def test_subinterpreters_are_measured_against_threads_when_they_run_here_and_pointed_to_when_not():
    assert "futstrat-interpreters plugin" in describe_interpreters(None)
    assert "lift the GIL limit" in describe_interpreters(Ratio(1.9, 1.7, 2.1))
    assert "ran pi 1.90x as fast as plain threads" in describe_interpreters(Ratio(1.9, 1.7, 2.1))
    assert "not significantly faster" in describe_interpreters(Ratio(1.02, 0.9, 1.1))


def test_every_claim_is_checked_on_real_runs():
    results = check_claims(TINY)
    assert [r.number for r in results] == [1, 2, 3, 4]
    assert all(r.verdict is not Verdict.NOT_MEASURED for r in results), [r.explanation for r in results]
    gil = results[0]
    assert gil.data["thread_over_interpreter"] is None  # the plugin is not installed with the core's tests
    assert gil.explanation.endswith(describe_interpreters(None))
    deadlock = results[3]
    assert deadlock.verdict is Verdict.HOLDS  # the thread run deadlocks and the process run is refused
    assert deadlock.data["thread_status"] == "deadlock"
    assert deadlock.data["process_refused"]
    race = results[2]
    assert [line.split(":")[0] for line in race.measured[1:]] == [
        "process x value",
        "thread x value",
        "process x manager",
    ]
    runs = [line.split("lost updates in ")[1].split(" runs")[0].split(" of ")[1] for line in race.measured[1:]]
    assert runs == ["2", "2", "1"]
    manager = results[1]
    assert manager.data["manager_over_value"]["value"] > 1


def test_a_claim_that_cannot_be_measured_says_why_and_the_others_go_on(monkeypatch):
    from futstrat import claims

    def broken(settings, host, observer):
        raise claims.FutstratError("no such thing here")

    monkeypatch.setitem(claims.CHECKS, 1, broken)
    results = check_claims(TINY, only=[1, 4])
    assert [(r.number, r.verdict) for r in results] == [(1, Verdict.NOT_MEASURED), (4, Verdict.HOLDS)]
    assert results[0].explanation == "no such thing here"


def test_the_claims_command(tmp_path, capsys, monkeypatch):
    from futstrat.cli import claims_command

    monkeypatch.setattr(claims_command, "QUICK_SETTINGS", TINY)
    path = tmp_path / "claims.json"
    assert main(["claims", "--quick", "--only", "4,3", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert out.index("Claim 3:") < out.index("Claim 4:")
    assert "verdict   HOLDS: a thread pool's futures live in one process" in out
    data = json.loads(path.read_text())
    assert data["schema"] == "futstrat-claims"
    assert [c["number"] for c in data["claims"]] == [3, 4]


def test_the_claims_json_is_checked_before_measuring_and_kept_elsewhere_when_the_write_fails(
    tmp_path, capsys, monkeypatch
):
    import errno
    import os

    from futstrat.cli import claims_command
    from futstrat.report import files

    measured = []
    monkeypatch.setattr(claims_command, "check_claims", lambda *args, **kwargs: measured.append(1) or [])
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert main(["claims", "--json", str(fifo)]) == 2
    assert "it is a FIFO (named pipe), not a regular file" in capsys.readouterr().err
    assert main(["claims", "--json", "/proc/futstrat-claims.json"]) == 2
    assert measured == []

    def disk_full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "replace", disk_full)
    monkeypatch.chdir(tmp_path)
    assert main(["claims", "--json", "claims.json"]) == 1
    err = capsys.readouterr().err
    assert "futstrat: error: cannot write claims.json: No space left on device" in err
    (kept,) = tmp_path.glob("futstrat-claims-*.json")
    assert f"the results are kept in {kept.name} instead" in err
    assert json.loads(kept.read_text())["schema"] == "futstrat-claims"


@pytest.mark.parametrize("only", ["5", "one", ""])
def test_claim_numbers_are_checked(only, capsys):
    with pytest.raises(SystemExit) as info:
        main(["claims", "--only", only])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "claim numbers like 1,3" in err or "claims are numbered 1 to 4" in err


def test_a_race_tally_reads_as_lost_updates_in_k_of_r_runs():
    from futstrat.claims import RaceTally

    tally = RaceTally("process", "value", 4, (0, 120, 0, 300), 20_000, 0.004)
    assert tally.describe() == (
        "process x value: lost updates in 2 of 4 runs (120 to 300 of 20,000 lost when it happened);"
        " median compute 4.0 ms per run"
    )
    assert (
        RaceTally("thread", "value", 3, (0, 0, 0), 20_000, 0.003)
        .describe()
        .startswith("thread x value: lost updates in 0 of 3 runs;")
    )
