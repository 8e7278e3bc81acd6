"""futstrat-example: a strategy, a sharing backend and a workload, registered as any plugin registers.

The hook implementations live in :mod:`futstrat_example.plugin`, which the entry point names; the
executor, the sharing backend and the workload each have a module of their own.
"""

__version__ = "0.1.0"
