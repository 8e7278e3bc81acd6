"""What the machine was like while futstrat measured on it, read honestly and recorded with the results.

- ``cpus``: the CPUs this process may really use (affinity, control group quota, ``PYTHON_CPU_COUNT``)
  and which of them decided;
- ``frequency``: the CPU model, its current and maximum speed, governor, turbo and isolated CPUs;
- ``interpreter``: a free-threaded build, and whether its GIL is on all the same;
- ``steadiness``: how steady the cores' speed stayed during a comparison;
- ``facts``: all of these at one moment, and ``machine_warnings``.

Before measuring, ``machine_warnings`` says what would make the timings less trustworthy, as pyperf's
``system show`` does: a governor that lets the CPUs slow down, or a machine already busy.

The package itself imports none of them: every run reads the usable CPUs, only measuring needs the rest.
"""
