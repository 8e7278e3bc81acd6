"""Every built-in workload passes the workload contract, subclassed as a plugin's tests do."""

from __future__ import annotations

import pytest

from futstrat import RunStatus
from futstrat.testing import WorkloadContract


class TestPiWorkload(WorkloadContract):
    @pytest.fixture
    def workload_params(self):
        return {"n": 10_000}

    @pytest.fixture
    def workload(self):
        return "pi"


class TestCounterWorkload(WorkloadContract):
    @pytest.fixture
    def workload_params(self):
        return {"increments": 200}

    @pytest.fixture
    def workload(self):
        return "counter"


class TestCounterRaceWorkload(WorkloadContract):
    @pytest.fixture
    def workload_params(self):
        return {"increments": 200}

    @pytest.fixture
    def workload(self):
        return "counter-race"


class TestDeadlockWorkload(WorkloadContract):
    """Its tasks wait on each other by design: the answer that checks out is the deadlock report."""

    @pytest.fixture
    def workload_params(self):
        return {"delay": 0.02}

    expected_status = RunStatus.DEADLOCK

    @pytest.fixture
    def workload(self):
        return "deadlock"


class TestSleepWorkload(WorkloadContract):
    @pytest.fixture
    def workload_params(self):
        return {"tasks": 6, "seconds": 0.001}

    @pytest.fixture
    def workload(self):
        return "sleep"


class TestHistogramWorkload(WorkloadContract):
    @pytest.fixture
    def workload_params(self):
        return {"samples": 300, "bins": 8}

    @pytest.fixture
    def workload(self):
        return "histogram"


class TestHistogramRaceWorkload(WorkloadContract):
    @pytest.fixture
    def workload_params(self):
        return {"samples": 300, "bins": 8}

    @pytest.fixture
    def workload(self):
        return "histogram-race"


class TestLookupWorkload(WorkloadContract):
    @pytest.fixture
    def workload_params(self):
        return {"mb": 1, "reads": 1000}

    @pytest.fixture
    def workload(self):
        return "lookup"


class TestWordCountWorkload(WorkloadContract):
    @pytest.fixture
    def workload_params(self):
        return {"words": 300}

    @pytest.fixture
    def workload(self):
        return "wordcount"
