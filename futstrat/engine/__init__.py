"""The run engine: how one vetted run is carried out, from the parent's plan to the worker and back.

How data flows through a run::

    CLI (futstrat/cli/run_command.py)      parses the command line into a workload name, a strategy,
      |                                    a sharing backend and the run's options
      v
    plan (futstrat/runner.py: plan_run)    resolves the names through the registry, checks the
      |                                    parameters, asks every plugin's veto; a refusal ends here
      v
    execution (engine/execution.py)        opens the sharing backend and the strategy's executor,
      |                                    arms the watchdog, and always cleans up: every worker
      |                                    process group is ended however the run ends
      v
    dispatch (engine/dispatch.py)          cuts the task stream into chunks (engine/chunking.py)
      |                                    and hands them out in the strategy's style: submit,
      |                                    map or apply_async, no more than the workers can start
      v
    worker (engine/workers.py)             runs each task of a chunk once, notes its progress in the
      |                                    tracker (parent side: engine/worker_watch.py) and sends
      |                                    results, or the failing task's index and traceback, back
      v
    combine and check (runner.py, user_code.py)  the workload's own code, in the parent, with its
      |                                    failures told apart from futstrat's
      v
    report (futstrat/report/)              a RunReport; the CLI prints one line per outcome

Only picklable values and names cross into a worker: a worker imports ``engine/workers.py`` and the
workload's module, nothing heavier (``tests/test_worker_imports.py`` holds that line). So this package
imports nothing on its own.
"""
