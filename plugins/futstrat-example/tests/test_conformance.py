"""futstrat's conformance kit, run against everything this plugin registers."""

from __future__ import annotations

import pytest

from futstrat.testing import ExecutorContract, SharingContract, WorkloadContract


class TestFreshThreadStrategy(ExecutorContract):
    @pytest.fixture
    def executor_spec(self):
        return "fresh-thread"


class TestThreadLockSharing(SharingContract):
    @pytest.fixture
    def sharing_spec(self):
        return "thread-lock"


class TestThreadObjectsSharing(SharingContract):
    @pytest.fixture
    def sharing_spec(self):
        return "thread-objects"


class TestPrimesWorkload(WorkloadContract):
    @pytest.fixture
    def workload(self):
        return "primes"

    @pytest.fixture
    def workload_params(self):
        return {"n": 20_000}
