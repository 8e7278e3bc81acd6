"""Every built-in strategy passes the executor contract, subclassed exactly as a plugin's tests do."""

from __future__ import annotations

import pytest

from futstrat.testing import ExecutorContract


class TestSerialExecutor(ExecutorContract):
    @pytest.fixture
    def executor_spec(self):
        return "serial"


class TestThreadExecutor(ExecutorContract):
    handed_out_ahead = 0  # a task waits in the queue until a thread takes it

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
    handed_out_ahead = 1  # a task waits in the parent until a worker is about to be free

    @pytest.fixture
    def executor_spec(self):
        return "pool-map"


class TestPoolImapExecutor(ExecutorContract):
    handed_out_ahead = 1  # a task waits in the parent until a worker is about to be free

    @pytest.fixture
    def executor_spec(self):
        return "pool-imap"


class TestPoolAsyncExecutor(ExecutorContract):
    handed_out_ahead = 1  # a task waits in the parent until a worker is about to be free

    @pytest.fixture
    def executor_spec(self):
        return "pool-async"
