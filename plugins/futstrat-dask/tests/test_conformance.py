"""futstrat's conformance kit, run against the dask strategy and sharing backend as any plugin author runs it."""

from __future__ import annotations

import pytest
from futstrat_dask.plugin import ADDRESS_ENV

ExecutorContract = pytest.importorskip("futstrat.testing.executor_contract").ExecutorContract
SharingContract = pytest.importorskip("futstrat.testing.sharing_contract").SharingContract


@pytest.fixture(autouse=True)
def _local_clusters_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ADDRESS_ENV, raising=False)


class TestDaskStrategy(ExecutorContract):
    # A local cluster takes seconds to start and stop, and dask schedules some hundred tasks a second
    # on a busy 2-core machine: the ten thousand tasks of one check take a minute or more.
    time_limit = 300.0
    patience = 30.0

    @pytest.fixture
    def executor_spec(self) -> str:
        return "dask"


class TestDaskSharing(SharingContract):
    # Each locked increment is four round trips to the scheduler, a few milliseconds each (tens of
    # milliseconds for two threads sharing one client); two hundred per task still race without the lock.
    increments = 200
    time_limit = 300.0

    @pytest.fixture
    def sharing_spec(self) -> str:
        return "dask"

    def test_a_session_counts_under_its_lock_in_this_process(self, sharing, dask_client) -> None:
        """Threads of this process share the state too, through the client of a running cluster."""
        super().test_a_session_counts_under_its_lock_in_this_process(sharing)
