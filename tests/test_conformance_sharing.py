"""Every built-in sharing backend passes the sharing contract, subclassed as a plugin's tests do."""

from __future__ import annotations

import pytest

from futstrat.builtin.strategies import BUILTIN_STRATEGIES
from futstrat.testing import SharingContract

#: Plugins' strategies meet these backends in their own executor contract; here the built-ins meet each other.
BUILTIN_STRATEGY_NAMES = tuple(spec.name for spec in BUILTIN_STRATEGIES)


class TestNoSharing(SharingContract):
    strategies = BUILTIN_STRATEGY_NAMES

    @pytest.fixture
    def sharing_spec(self):
        return "none"


class TestRawValueSharing(SharingContract):
    strategies = BUILTIN_STRATEGY_NAMES

    @pytest.fixture
    def sharing_spec(self):
        return "value"


class TestManagerSharing(SharingContract):
    strategies = BUILTIN_STRATEGY_NAMES

    @pytest.fixture
    def sharing_spec(self):
        return "manager"


class TestSharedMemorySharing(SharingContract):
    strategies = BUILTIN_STRATEGY_NAMES

    @pytest.fixture
    def sharing_spec(self):
        return "shm"
