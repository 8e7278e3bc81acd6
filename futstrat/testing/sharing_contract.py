"""The sharing contract: a backend's slots end exact from every strategy it accepts, and the rest refuse.

A plugin's tests subclass :class:`SharingContract` and override the ``sharing_spec`` fixture. The tests
run the built-in ``counter`` workload (each task adds to the shared counter under its lock) and one
small workload per slot kind (:mod:`futstrat.testing.slots`) under every registered strategy, the
plugins' included: a combination the vetting rules accept must give the exact answer, and one they
refuse must say why, before anything starts. A slot kind the backend does not claim in ``slot_kinds``
must be refused. After every test, nothing the run made may be left in ``/dev/shm`` or running.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from futstrat.model import SharingRequest, SharingSpec
from futstrat.shared_state import SLOT_KINDS
from futstrat.testing.bounded import time_limit
from futstrat.testing.counting import assert_counts_exactly_or_refuses
from futstrat.testing.slots import assert_slot_kind_exact_or_refused, nothing_left_behind

#: The strategy the start-method checks run under: a plain process pool with an initializer.
START_METHOD_STRATEGY = "process"


def resolve_sharing_spec(named: SharingSpec | str) -> SharingSpec:
    """The spec itself, or the registered backend of that name (which proves the plugin registered)."""
    if isinstance(named, SharingSpec):
        return named
    from futstrat.plugins import get_host

    return get_host().registry.sharing.get(named)


def registered_strategy_names() -> list[str]:
    from futstrat.plugins import get_host

    return get_host().registry.strategies.names()


class SharingContract:
    """A sharing backend checked against every registered strategy.

    Override the ``sharing_spec`` fixture to return your :class:`~futstrat.SharingSpec` or the name it is
    registered under.
    """

    #: Workers (and tasks) of each counting run.
    workers: ClassVar[int] = 2
    #: Increments each task makes under the lock: enough that a lock that does not lock loses some.
    increments: ClassVar[int] = 1000
    #: Seconds after which any one test fails instead of waiting on.
    time_limit: ClassVar[float] = 60.0
    #: Strategies to count under; None means every registered one, other plugins' included.
    strategies: ClassVar[tuple[str, ...] | None] = None
    #: Updates (or reads) each task of a slot workload makes.
    slot_updates: ClassVar[int] = 200
    #: How the ``/dev/shm`` names of the backend's blocks begin: any such name a test leaves is a leak
    #: ("psm_" is what ``multiprocessing.shared_memory`` names a block it is given no name for).
    shared_memory_prefixes: ClassVar[tuple[str, ...]] = ("futstrat_", "psm_")

    @pytest.fixture
    def sharing_spec(self) -> SharingSpec | str:
        """Override: your backend's spec, or the name it is registered under."""
        pytest.fail(f"{type(self).__name__} must override the sharing_spec fixture", pytrace=False)

    @pytest.fixture(autouse=True)
    def _bounded_in_time(self) -> Iterator[None]:
        advice = "a run with this backend hangs, or raise time_limit on the test class if it is just slow"
        with time_limit(self.time_limit, advice):
            yield

    @pytest.fixture(autouse=True)
    def _leaves_nothing_behind(self) -> Iterator[None]:
        with nothing_left_behind(self.shared_memory_prefixes):
            yield

    @pytest.fixture
    def sharing(self, sharing_spec: SharingSpec | str) -> SharingSpec:
        return resolve_sharing_spec(sharing_spec)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "strategy_name" in metafunc.fixturenames:
            chosen = getattr(metafunc.cls, "strategies", None)
            metafunc.parametrize("strategy_name", registered_strategy_names() if chosen is None else chosen)
        if "slot_kind" in metafunc.fixturenames:
            metafunc.parametrize("slot_kind", SLOT_KINDS)

    def count(self, sharing: SharingSpec, strategy: str, start_method: str | None = None) -> None:
        from futstrat.plugins import get_host

        assert_counts_exactly_or_refuses(
            get_host().registry.strategies.get(strategy),
            sharing,
            workers=self.workers,
            increments=self.increments,
            start_method=start_method,
            timeout=self.time_limit,
        )

    def use_slot(self, sharing: SharingSpec, strategy: str, kind: str, start_method: str | None = None) -> None:
        from futstrat.plugins import get_host

        assert_slot_kind_exact_or_refused(
            get_host().registry.strategies.get(strategy),
            sharing,
            kind,
            workers=self.workers,
            updates=self.slot_updates,
            start_method=start_method,
            timeout=self.time_limit,
        )

    # -- the spec ------------------------------------------------------------------------------------
    def test_spec_is_well_formed(self, sharing: SharingSpec) -> None:
        assert isinstance(sharing, SharingSpec), f"sharing_spec gave {sharing!r}, not a SharingSpec"
        assert sharing.open is None or callable(sharing.open), "open must be callable, or None to share nothing"
        assert isinstance(sharing.slot_kinds, frozenset), "slot_kinds must be a frozenset of slot kinds"
        unknown = sharing.slot_kinds - set(SLOT_KINDS)
        assert not unknown, f"slot_kinds names kinds futstrat does not know: {sorted(unknown)}"

    def test_a_session_counts_under_its_lock_in_this_process(self, sharing: SharingSpec) -> None:
        if sharing.open is None:
            pytest.skip(f"{sharing.name} shares nothing (open=None)")
        from futstrat.sharing import legacy_argument, resolve

        session = sharing.open(SharingRequest(start_method=None, parties=2, crosses_processes=False))
        try:
            assert session.final_value() == 0, "a new session's counter must start at 0"
            # A request without slots asks for the one counter: a backend that serves slots gives a
            # SharedState with it as its "counter" attribute, one written before slots the SharedCounter.
            shared = resolve(legacy_argument(session.task_argument(False), "counter"))

            def add(times: int) -> None:
                shared.start_together()
                for _ in range(times):
                    with shared.lock:
                        shared.value = shared.value + 1

            adders = [threading.Thread(target=add, args=(self.increments,)) for _ in range(2)]
            for adder in adders:
                adder.start()
            for adder in adders:
                adder.join(self.time_limit)
            assert session.final_value() == 2 * self.increments
        finally:
            session.close()

    # -- every strategy ------------------------------------------------------------------------------
    def test_counter_is_exact_or_refused_with_a_reason(self, sharing: SharingSpec, strategy_name: str) -> None:
        self.count(sharing, strategy_name)

    @pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
    def test_counter_is_exact_under_each_start_method(self, sharing: SharingSpec, method: str) -> None:
        if method not in multiprocessing.get_all_start_methods():
            pytest.skip(f"this platform has no {method!r} start method")
        if sharing.open is None:
            pytest.skip(f"{sharing.name} shares nothing (open=None): no state has to reach a new process")
        self.count(sharing, START_METHOD_STRATEGY, start_method=method)

    # -- every slot kind --------------------------------------------------------------------------
    def test_slot_kind_is_exact_or_refused_with_a_reason(
        self, sharing: SharingSpec, strategy_name: str, slot_kind: str
    ) -> None:
        self.use_slot(sharing, strategy_name, slot_kind)

    @pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
    def test_claimed_slot_kinds_are_exact_under_each_start_method(
        self, sharing: SharingSpec, slot_kind: str, method: str
    ) -> None:
        if method not in multiprocessing.get_all_start_methods():
            pytest.skip(f"this platform has no {method!r} start method")
        if sharing.open is None or slot_kind not in sharing.slot_kinds:
            pytest.skip(f"{sharing.name} does not claim {slot_kind} slots (refusal is tested above)")
        self.use_slot(sharing, START_METHOD_STRATEGY, slot_kind, start_method=method)
