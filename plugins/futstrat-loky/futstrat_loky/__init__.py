"""futstrat strategies on loky's process pool executors: one pool per run, or loky's reusable pool."""

from __future__ import annotations

__version__ = "0.1.0"
