"""pi by the Leibniz series in a module that imports nothing: the task a subinterpreter pays least for.

Each subinterpreter imports the module of every function it runs; this one costs it nothing, so timing it
beside futstrat's own ``pi`` workload shows how much of a pool's start-up is the task's imports.
"""


def leibniz_terms(first: int, last: int) -> float:
    total = 0.0
    for k in range(first, last + 1):
        sign = 1 if k % 2 else -1
        total += sign / (2 * k - 1)
    return total * 4
