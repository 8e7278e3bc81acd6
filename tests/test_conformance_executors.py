"""Every built-in strategy passes the executor contract, subclassed exactly as a plugin's tests do."""

from __future__ import annotations

import pytest

from futstrat.testing import ExecutorContract


class TestSerialExecutor(ExecutorContract):
    @pytest.fixture
    def executor_spec(self):
        return "serial"


class TestThreadExecutor(ExecutorContract):
    @pytest.fixture
    def executor_spec(self):
        return "thread"


class TestProcessExecutor(ExecutorContract):
    @pytest.fixture
    def executor_spec(self):
        return "process"


class TestProcessMapExecutor(ExecutorContract):
    @pytest.fixture
    def executor_spec(self):
        return "process-map"


class TestPoolMapExecutor(ExecutorContract):
    @pytest.fixture
    def executor_spec(self):
        return "pool-map"


class TestPoolImapExecutor(ExecutorContract):
    @pytest.fixture
    def executor_spec(self):
        return "pool-imap"


class TestPoolAsyncExecutor(ExecutorContract):
    @pytest.fixture
    def executor_spec(self):
        return "pool-async"
