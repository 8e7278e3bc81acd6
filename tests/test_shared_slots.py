"""Declared shared state: each slot kind through each built-in backend, the refusals, and the legacy path."""

from __future__ import annotations

import array
import json

import pytest

import futstrat
from futstrat import Array, Counter, Mapping, ReadOnly
from futstrat.cli import main
from futstrat.errors import RefusedError
from futstrat.model import PlanContext, SharedStateNeed, SharingRequest, Workload
from futstrat.shared_state import validated_slots
from futstrat.sharing import SharedCounter, SharedState, resolve
from futstrat.testing.slots import assert_slot_kind_exact_or_refused, nothing_left_behind, slot_workload
from tests import slot_workloads

BACKENDS = ("value", "manager", "shm")
KINDS = ("counter", "array", "mapping", "readonly")


def registry():
    from futstrat.plugins import get_host

    return get_host().registry


# -- the declaration ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "words"),
    [
        ({"2bins": Counter()}, "must be a Python identifier"),
        ({"class": Counter()}, "must be a Python identifier"),
        ({"_hidden": Counter()}, "does not start with '_'"),
        ({"bins": [0] * 10}, "use Counter(), Array(typecode, length), Mapping() or ReadOnly(data)"),
        ([Counter()], "not a dict of name to slot"),
    ],
)
def test_a_wrong_declaration_says_what_is_wrong_in_one_line(slots, words):
    with pytest.raises(ValueError, match="workload 'w'") as raised:
        validated_slots(slots, "workload 'w'")
    assert words in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("typecode", "length"), [("x", 3), ("q", 0), ("q", True), ("d", 2.5)])
def test_an_array_needs_a_known_typecode_and_a_positive_length(typecode, length):
    with pytest.raises(ValueError, match=r"Array (typecode|length) must be"):
        Array(typecode, length)


def test_each_slot_says_its_kind():
    assert [s.kind for s in (Counter(), Array("d", 2), Mapping(), ReadOnly(b""))] == list(KINDS)


# -- each kind x each backend x the main strategies, under fork and spawn ------------------------------


@pytest.mark.parametrize("method", ["fork", "spawn"])
@pytest.mark.parametrize("strategy", ["thread", "process", "pool-map"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", KINDS)
def test_each_slot_kind_is_exact_or_refused(kind, backend, strategy, method):
    if method == "spawn" and strategy == "thread":
        pytest.skip("threads start no process")
    sharing = registry().sharing.get(backend)
    with nothing_left_behind(("futstrat_",)):
        assert_slot_kind_exact_or_refused(
            registry().strategies.get(strategy), sharing, kind, workers=2, updates=50, start_method=method, timeout=60
        )


def test_value_and_shm_refuse_a_mapping_and_name_the_backend_that_serves_it():
    for backend in ("value", "shm"):
        with pytest.raises(RefusedError) as refused:
            futstrat.plan_run(slot_workloads.words, "process", sharing=backend, workers=2)
        assert refused.value.reasons == [
            f"sharing {backend!r} is raw memory and has no dict: 'words' needs a mapping slot 'counts';"
            " use --sharing manager"
        ]


def test_a_refusal_does_not_suggest_a_backend_that_a_plugin_refuses_too():
    # A plugin that refuses the Manager for this combination (as dask does on a remote cluster) must not
    # see its users sent there by futstrat's hint: the hint names only a backend that would be accepted.
    from futstrat.hookspecs import hookimpl
    from futstrat.plugins import get_host

    class RefusesTheManager:
        @hookimpl
        def futstrat_veto(self, combination):
            return "no Manager here" if combination.sharing.name == "manager" else None

    manager = get_host().manager
    plugin = RefusesTheManager()
    manager.register(plugin, name="refuses-the-manager")
    try:
        with pytest.raises(RefusedError) as refused:
            futstrat.plan_run(slot_workloads.words, "process", sharing="value", workers=2)
    finally:
        manager.unregister(plugin)
    assert refused.value.reasons == [
        "sharing 'value' is raw memory and has no dict: 'words' needs a mapping slot 'counts'"
    ]


def test_a_backend_written_before_slots_serves_the_counter_only():
    legacy = futstrat.SharingSpec("old-style", "a counter only", open=lambda request: None, crosses_processes=False)
    assert legacy.slot_kinds == {"counter"}
    with pytest.raises(RefusedError) as refused:
        futstrat.plan_run(slot_workload("array"), "thread", sharing=legacy, workers=2)
    assert refused.value.reasons[0].startswith(
        "sharing 'old-style' serves counter slots only: 'slot-array' needs an array slot 'bins'; use --sharing"
    )


def test_none_refuses_a_workload_that_needs_shared_state():
    with pytest.raises(RefusedError) as refused:
        futstrat.plan_run(slot_workloads.tally, "thread", sharing="none", workers=2)
    assert "'tally' needs shared state" in refused.value.reasons[0]


def test_a_declaration_that_raises_is_refused_with_its_reason():
    class Broken(Workload):
        name = "broken"
        shared_state = SharedStateNeed.REQUIRED

        def shared_slots(self, params, plan):
            return {"not valid": Counter()}

    with pytest.raises(RefusedError) as refused:
        futstrat.plan_run(Broken(), "thread", sharing="value", workers=2)
    assert "'broken' could not declare its shared slots: ValueError:" in refused.value.reasons[0]


# -- what tasks and combine see -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("strategy", ["serial", "thread", "process", "pool-map"])
def test_a_function_workload_declares_slots_and_combine_gets_their_final_values(backend, strategy):
    report = futstrat.run(slot_workloads.tally, strategy, sharing=backend, workers=2, timeout=60)
    assert report.ok, report.error
    bins, hits, total = report.value
    assert (bins, hits) == ([4] * 10, 40)
    assert total == float(sum(range(40)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("strategy", ["thread", "process"])
def test_read_only_buffers_keep_their_format_and_shape_and_objects_arrive_whole(backend, strategy):
    report = futstrat.run(slot_workloads.look, strategy, sharing=backend, workers=2, timeout=60)
    assert report.ok, report.error
    assert report.value == [(True, "B", (4, 6), 6 * i + 5, {"a": [1, 2]}, b"xyz", True) for i in range(4)]


def test_numpy_arrays_come_back_as_read_only_numpy_arrays():
    numpy = pytest.importorskip("numpy")
    data = numpy.arange(12, dtype="int32").reshape(3, 4)
    for backend in BACKENDS:
        session = registry().sharing.get(backend).open(SharingRequest(None, 1, False, {"table": ReadOnly(data)}))
        try:
            seen = resolve(session.task_argument(False)).table
            assert (seen.dtype, seen.shape, seen.flags.writeable) == (data.dtype, (3, 4), False)
            assert (seen == data).all()
        finally:
            session.close()


def test_a_session_gives_a_shared_state_and_its_final_plain_values():
    for backend in BACKENDS:
        slots = {"c": Counter(), "a": Array("d", 3)}
        if backend == "manager":
            slots["m"] = Mapping()
        session = registry().sharing.get(backend).open(SharingRequest(None, 1, False, slots))
        try:
            state = resolve(session.task_argument(False))
            assert isinstance(state, SharedState)
            assert isinstance(state.c, SharedCounter)
            state.c.value = 3
            state.a.add(1, 2.5)
            if backend == "manager":
                state.m.add("k", 2)
                assert "k" in state.m
                assert state.m.get("k") == 2
            expected = {"c": 3, "a": [0.0, 2.5, 0.0]} | ({"m": {"k": 2}} if backend == "manager" else {})
            assert session.final_state() == expected
            assert session.final_value() == 3
        finally:
            session.close()


# -- the legacy path ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_counter_workload_without_slots_still_gets_the_counter_and_its_int(backend):
    seen = {}

    class OldStyle(Workload):
        name = "old-style"
        shared_state = SharedStateNeed.REQUIRED

        def tasks(self, params, plan):
            return [futstrat.Task(slot_workloads_count, (10,)) for _ in range(2)]

        def combine(self, results, params, shared_value):
            seen["value"] = shared_value
            return shared_value

        def check(self, value, params, plan, task_count):
            return futstrat.Check(value == 20, 20, "")

    report = futstrat.run(OldStyle(), "process", sharing=backend, workers=2, timeout=60)
    assert report.ok, report.error
    assert seen["value"] == 20
    assert type(seen["value"]) is int


def slot_workloads_count(times, *, shared):
    assert isinstance(shared, SharedCounter), type(shared)
    for _ in range(times):
        with shared.lock:
            shared.value += 1


def test_slots_may_depend_on_the_parameters():
    plan = PlanContext(workers=2, sharing="value", strategy="thread")
    assert slot_workloads.tally.shared_slots({"n": 5}, plan)["bins"] == Array("q", 10)
    assert slot_workloads.tally.shared_state is SharedStateNeed.REQUIRED


# -- futstrat list ------------------------------------------------------------------------------------


def test_list_shows_each_backends_slot_kinds(capsys):
    assert main(["list", "--json"]) == 0
    sharing = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)["sharing"]}
    assert sharing["none"]["slot_kinds"] == []
    assert sharing["value"]["slot_kinds"] == ["counter", "array", "readonly"]
    assert sharing["manager"]["slot_kinds"] == ["counter", "array", "mapping", "readonly"]
    assert sharing["shm"]["slot_kinds"] == ["counter", "array", "readonly"]
    assert main(["list"]) == 0
    assert "slots: counter, array, mapping, readonly" in capsys.readouterr().out


def test_the_table_is_given_once_not_copied_for_threads():
    table = array.array("d", [1.0, 2.0])
    session = registry().sharing.get("shm").open(SharingRequest(None, 1, False, {"t": ReadOnly(table)}))
    try:
        view = resolve(session.task_argument(False)).t
        table[0] = 5.0
        assert (view[0], view.readonly) == (5.0, True)
        assert session.block_names == []
    finally:
        session.close()


def test_any_identifier_is_a_free_slot_name():
    for backend in BACKENDS:
        slots = {"slots": Counter(), "values": Array("q", 2)}
        session = registry().sharing.get(backend).open(SharingRequest(None, 1, False, slots))
        try:
            state = resolve(session.task_argument(False))
            state.values.add(0, 3)
            assert isinstance(state.slots, SharedCounter)
            assert session.final_state() == {"slots": 0, "values": [3, 0]}
        finally:
            session.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_numpy_array_reaches_worker_processes_as_a_read_only_numpy_array(backend):
    pytest.importorskip("numpy")
    report = futstrat.run(slot_workloads.numpy_rows, "process", sharing=backend, workers=2, start_method="spawn")
    assert report.ok, report.error
    rows = [float(sum(range(6 * i, 6 * i + 6))) for i in range(4)]
    assert report.value == [("ndarray", "float32", (4, 6), False, row) for row in rows]
