"""The ``interpreter`` strategy and its vetting rule, registered through futstrat's public hooks.

On a Python without subinterpreters the strategy is still listed, with the reason in its description,
and every run of it is refused with that reason: ``futstrat run pi --strategy interpreter`` then says
what to install or upgrade instead of "unknown strategy".
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from futstrat import Combination, ExecutorConfig, StrategySpec, hookimpl
from futstrat.builtin.thread_executor import WORKER_THREAD_PREFIX
from futstrat_interpreters.executor import SubinterpreterPoolExecutor
from futstrat_interpreters.support import unavailable_reason

STRATEGY = "interpreter"
#: futstrat's built-in backend of ``multiprocessing.shared_memory`` blocks.
SHM = "shm"
#: futstrat's packages import their whole API in ``__init__``; a worker needs only its task's modules.
DEFERRED_PACKAGES = ("futstrat",)

RAW_MEMORY_REASON = (
    "sharing {sharing!r} is raw shared memory, which reaches another interpreter only by inheritance"
    " when a process starts; a subinterpreter receives everything by pickle, and raw multiprocessing"
    " memory (RawValue, RawArray) refuses to be pickled: use sharing 'manager' (every slot kind) or 'none'"
)
SHM_REASON = (
    "sharing {sharing!r} is raw shared memory guarded by multiprocessing locks: a subinterpreter could"
    " attach its shared_memory blocks by name, but the locks reach only a process started from this one"
    " (they refuse to be pickled into an interpreter), and futstrat hands the blocks only to pools whose"
    " workers inherit them: use sharing 'manager' (every slot kind) or 'none'"
)
IN_PROCESS_REASON = (
    "sharing {sharing!r} only works inside one interpreter, and {strategy!r} runs each task in a"
    " subinterpreter that receives everything by pickle"
)


def make_interpreter_pool(config: ExecutorConfig) -> Executor:
    return SubinterpreterPoolExecutor(
        config.workers,
        initializer=config.initializer,
        initargs=config.initargs,
        # The prefix futstrat's command line looks for: a worker still running once the command is done
        # (one waiting for a thread a task left in its interpreter) makes it end the process at once,
        # which Python's own exit cannot do, as it finalizes that interpreter and joins the thread.
        thread_name_prefix=f"{WORKER_THREAD_PREFIX}-interpreter",
        deferred_packages=DEFERRED_PACKAGES,
    )


def interpreter_spec() -> StrategySpec:
    """The strategy as futstrat's vetting rules must see it.

    ``crosses_processes`` is False, since the tasks stay in this process, and ``pickles_tasks`` True,
    since every task, argument and result is pickled across an interpreter boundary and nothing
    in-process (a lock) can be shared. ``supports_initializer`` is True: the pool runs the initializer
    in each subinterpreter first; ``carries_raw_shared_memory`` is False because it gets its arguments
    pickled, so it cannot hand over raw shared memory. Futures stay in the parent thread that owns each
    interpreter, so tasks cannot wait on each other's futures. ``workers_in_this_process`` is True: a
    process a task starts is a child of futstrat's own process, which kills it after the run.
    """
    description = "a pool of subinterpreters, one GIL each, each driven by its own thread"
    reason = unavailable_reason()
    if reason is not None:
        description += f" (unavailable: {reason})"
    return StrategySpec(
        name=STRATEGY,
        description=description,
        factory=make_interpreter_pool,
        crosses_processes=False,
        pickles_tasks=True,
        workers_in_this_process=True,
        supports_initializer=True,
        carries_raw_shared_memory=False,
        shares_futures=False,
        uses_start_method=False,
    )


def refusal_reason(combination: Combination) -> str | None:
    """Why this strategy cannot run the combination, or None; other strategies are not judged here.

    What reaches a subinterpreter is what pickles: Manager proxies serve every slot kind (counter,
    array, mapping, read-only data), each interpreter rebuilding them with the parent's key. Raw
    multiprocessing memory and the ``shm`` backend's locks cross only into a process started from
    this one, and a ``threading.Lock`` not even that: those backends are refused with the reason.
    """
    if combination.strategy.factory is not make_interpreter_pool:
        return None
    reason = unavailable_reason()
    if reason is not None:
        return f"strategy {combination.strategy.name!r} is unavailable: {reason}"
    sharing = combination.sharing
    if sharing.open is None:
        return None
    if sharing.raw_shared_memory:
        reason = SHM_REASON if sharing.name == SHM else RAW_MEMORY_REASON
        return reason.format(sharing=sharing.name)
    if not sharing.crosses_processes:
        return IN_PROCESS_REASON.format(sharing=sharing.name, strategy=combination.strategy.name)
    return None


@hookimpl
def futstrat_register_strategies(register: Callable[[StrategySpec], None]) -> None:
    register(interpreter_spec())


@hookimpl
def futstrat_veto(combination: Combination) -> str | None:
    return refusal_reason(combination)
