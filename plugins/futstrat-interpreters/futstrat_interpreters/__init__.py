"""Subinterpreters as a futstrat strategy: CPU-bound Python in parallel threads, one GIL each.

Nothing is imported here: this package is also imported inside every subinterpreter, where each import
costs start-up time. Use :mod:`futstrat_interpreters.executor` for the executor and
:mod:`futstrat_interpreters.plugin` for the futstrat hooks.
"""

__version__ = "0.1.0"
