"""futstrat on dask.distributed: a strategy on a cluster's executor, and shared state kept by its scheduler."""

from __future__ import annotations

__version__ = "0.1.0"
