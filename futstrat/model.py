"""The value objects every part of futstrat speaks in.

They are frozen attrs classes so that a spec registered by one plugin cannot be altered by another, and
so that a report can be compared, hashed and turned into JSON without surprises.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, overload

import attrs
from attrs import field, frozen

from futstrat.shared_state import SharedStateNeed, Slot, legacy_slots

if TYPE_CHECKING:
    from concurrent.futures import Executor

#: Every start method a strategy may declare; which of them this platform offers is asked at run time.
ALL_START_METHODS = ("fork", "spawn", "forkserver")

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


def _valid_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not NAME_PATTERN.match(value):
        raise ValueError(
            f"{type(instance).__name__}.{attribute.name} must be lower-case words joined by '-' or '_'"
            f" (like 'pool-map'), not {value!r}"
        )


def _one_line(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip() or "\n" in value:
        raise ValueError(f"{type(instance).__name__}.{attribute.name} must be one non-empty line")


class Dispatch(enum.Enum):
    """How the runner hands tasks to an executor."""

    SUBMIT = "submit"  # one future per chunk of tasks (a chunk is one task when tasks are long)
    MAP = "map"  # executor.map, results in order, in chunks
    MAP_UNORDERED = "map-unordered"  # executor.map_unordered, results as they complete


@frozen
class Param:
    """One typed, bounded parameter of a workload (``--param name=value``)."""

    name: str = field(validator=_valid_name)
    kind: type = field(validator=attrs.validators.in_((int, float, str, bool)))
    default: Any
    help: str = field(validator=_one_line)
    minimum: float | None = None
    maximum: float | None = None


@frozen
class Task:
    """One picklable unit of work: a module-level function and its arguments."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


def describe_call(task: Task) -> str:
    """The task as a short call, as it appears in a failure's one line: ``square(1)``."""
    name = getattr(task.fn, "__qualname__", repr(task.fn)).removesuffix(".__wrapped__")  # @futstrat.workload
    args = ", ".join(repr(a) for a in task.args)
    if len(args) > 60:
        args = args[:57] + "..."
    return f"{name}({args})"


class TaskMap(Sequence[Task]):
    """Tasks that each call one function on one item: ``fn(items[0])``, ``fn(items[1])`` ...

    A workload with many small tasks returns one of these instead of building a Task per item: the
    runner ships slices of ``items`` (a ``range`` slices in constant space) and workers call ``fn`` in
    a tight loop, so dispatch costs little more per task than the call itself.
    """

    __slots__ = ("fn", "items")

    def __init__(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> None:
        self.fn = fn
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> Task: ...
    @overload
    def __getitem__(self, index: slice) -> TaskMap: ...
    def __getitem__(self, index: int | slice) -> Task | TaskMap:
        if isinstance(index, slice):
            return TaskMap(self.fn, self.items[index])
        return Task(self.fn, (self.items[index],))

    def __repr__(self) -> str:
        return f"TaskMap({getattr(self.fn, '__qualname__', self.fn)}, {len(self)} items)"


@frozen
class Check:
    """The verdict a workload gives on a combined answer."""

    passed: bool
    expected: Any
    detail: str
    #: False when there was nothing to check the answer against: the run is then reported as
    #: unchecked, which is neither passed nor failed.
    checked: bool = True

    @classmethod
    def unchecked(cls, detail: str) -> Check:
        """The verdict when a workload has no expected answer: not passed, not failed."""
        return cls(False, None, detail, checked=False)


@frozen
class PlanContext:
    """What a workload may know when it splits itself into tasks."""

    workers: int
    sharing: str  # the sharing backend's name; "none" means results only come back through futures
    strategy: str


class PeerFutures(Protocol):
    """What a task that waits on its peers' futures is given (thread strategies only)."""

    def wait_for(self, waiter: int, target: int) -> Any: ...


class Workload:
    """A job that splits into picklable tasks, combines their results and checks its own answer.

    Subclass it (or use :func:`futstrat.workload` on a function) and register an instance through
    the ``futstrat_register_workloads`` hook, or name it by its import path: ``futstrat run pkg.mod:name``.
    Only the tasks cross process boundaries; the workload object itself stays in the parent.
    """

    name: str = ""
    description: str = ""
    params: tuple[Param, ...] = ()
    shared_state: SharedStateNeed = SharedStateNeed.NONE
    #: Tasks receive a :class:`PeerFutures` and wait on each other's futures.
    needs_peer_futures: bool = False
    #: Sharing backends to try, best first, when the user names none.
    preferred_sharing: tuple[str, ...] = ("none",)

    def shared_slots(self, params: Mapping[str, Any], plan: PlanContext) -> Mapping[str, Slot]:
        """The named slots of shared state the tasks use (``{"bins": Array("q", 10)}``), which may depend
        on the parameters. A workload with none but ``shared_state`` other than ``NONE`` is a counter
        workload of the first kind: its tasks get the :class:`~futstrat.SharedCounter` itself."""
        return {}

    def tasks(self, params: Mapping[str, Any], plan: PlanContext) -> Iterable[Task]:
        """Split the job. Task functions receive the shared state as a ``shared`` keyword argument
        when the plan's sharing is not ``none`` and the workload uses shared state."""
        raise NotImplementedError

    def combine(self, results: Iterable[Any], params: Mapping[str, Any], shared_value: Any) -> Any:
        """Turn the task results, in task order, (and the final shared value, if any) into the answer.

        ``shared_value`` is None when the run shares nothing; for a workload with slots, a
        :class:`~futstrat.sharing.SharedSnapshot` of each counter, array and mapping slot's final plain
        value; for a counter workload without slots, the counter's final int.

        ``results`` may be a stream that is read once, as the tasks finish: fold it as it comes (a
        sum, a count) and a run of a million tasks needs no more memory than one of a thousand.
        """
        raise NotImplementedError

    def check(self, value: Any, params: Mapping[str, Any], plan: PlanContext, task_count: int) -> Check:
        """Say whether ``value`` is right."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<Workload {self.name!r}>"


@frozen
class ExecutorConfig:
    """Everything an executor factory needs to start a pool for one run."""

    workers: int
    start_method: str | None
    initializer: Callable[..., None] | None = None
    initargs: tuple[Any, ...] = ()
    #: When the run must have ended (a ``time.monotonic()`` value), None outside a run: a factory that
    #: connects somewhere or waits for workers gives up by then, so starting counts against ``--timeout``.
    deadline: float | None = None
    #: The strategy's options (``StrategySpec.params``), each converted and bounded, defaults filled in.
    options: Mapping[str, Any] = field(factory=dict)


def _optional_tuple(names: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if names is None else tuple(names)


def _param_tuple(params: Iterable[Param]) -> tuple[Param, ...]:
    return tuple(params)


@frozen
class StrategySpec:
    """A strategy: how an executor is made and how tasks are handed to it.

    The capability flags are data the vetting rules read, so that a refusal can be explained.
    """

    name: str = field(validator=_valid_name)
    description: str = field(validator=_one_line)
    factory: Callable[[ExecutorConfig], Executor]
    dispatch: Dispatch = Dispatch.SUBMIT
    #: Tasks run in worker processes other than futstrat's own, so a per-task timeout has a worker
    #: process to kill and a task that ends its process ends only its worker.
    crosses_processes: bool = False
    #: Tasks, their arguments and their results are pickled to reach the workers (in another process,
    #: or another interpreter of this one), so everything they touch must pickle and no object of this
    #: process (a lock) can be handed to them. True by default wherever tasks cross processes.
    pickles_tasks: bool = field(default=attrs.Factory(lambda spec: spec.crosses_processes, takes_self=True))
    #: The workers are threads of futstrat's own process (true by default where nothing crosses
    #: processes), so a process a task starts is a child of futstrat, killed when the run ends.
    workers_in_this_process: bool = field(
        default=attrs.Factory(lambda spec: not spec.crosses_processes, takes_self=True)
    )
    #: The factory runs ``ExecutorConfig.initializer(*initargs)`` in each worker before its tasks.
    supports_initializer: bool = True
    #: Raw shared memory (a ``multiprocessing.RawValue`` and its lock) reaches the workers through that
    #: initializer: they are processes this one starts, which inherit it. True by default wherever
    #: there is an initializer; false where it runs elsewhere (another machine, a subinterpreter).
    carries_raw_shared_memory: bool = field(
        default=attrs.Factory(lambda spec: spec.supports_initializer, takes_self=True)
    )
    #: Tasks run at the same time in one process and may wait on each other's futures.
    shares_futures: bool = False
    #: The factory honours ``ExecutorConfig.start_method``.
    uses_start_method: bool = False
    #: Tasks may run concurrently (false only for the serial baseline).
    concurrent: bool = True
    #: Tasks sent to a worker together when the user asks for no size; None lets a pilot choose.
    chunksize: int | None = None
    #: Tasks travel with the standard pickle, so the runner checks one before dispatch and names what
    #: cannot be pickled (set False for executors that use cloudpickle or send nothing anywhere).
    pickles_with_stdlib: bool = True
    #: The start methods the factory can honour, None when it uses none (its workers are threads, or
    #: are started its own way). Left out, it is every method when ``uses_start_method`` is set, else
    #: None; declaring methods implies ``uses_start_method``. The run's method is resolved once, before
    #: vetting, and a method outside this list is refused with the reason.
    start_methods: tuple[str, ...] | None = field(
        default=attrs.Factory(lambda spec: ALL_START_METHODS if spec.uses_start_method else None, takes_self=True),
        converter=_optional_tuple,
        validator=attrs.validators.optional(
            attrs.validators.deep_iterable(attrs.validators.in_(ALL_START_METHODS), attrs.validators.min_len(1))
        ),
    )
    #: The strategy's options (``--option name=value``), typed and bounded like a workload's parameters;
    #: the factory finds their values in ``ExecutorConfig.options``.
    params: tuple[Param, ...] = field(default=(), converter=_param_tuple)

    def __attrs_post_init__(self) -> None:
        if self.start_methods is not None and not self.uses_start_method:
            object.__setattr__(self, "uses_start_method", True)  # declaring the methods says it uses one
        elif self.start_methods is None and self.uses_start_method:
            object.__setattr__(self, "start_methods", ALL_START_METHODS)
        names = [param.name for param in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"StrategySpec {self.name!r} declares an option twice: {', '.join(names)}")


class SharingSession(Protocol):
    """Shared state opened for one run by a sharing backend."""

    def worker_initializer(self) -> tuple[Callable[..., None], tuple[Any, ...]] | None:
        """The initializer and its arguments that install the state in each worker process, if any."""

    def task_argument(self, crosses_processes: bool) -> Any:
        """The picklable ``shared`` argument each task receives."""

    def final_value(self) -> int:
        """The counter's value once every task has finished (the ``counter`` slot's, for a legacy workload).

        A session that serves slots also has ``final_state() -> dict[str, Any]``: each counter, array
        and mapping slot's final plain value (int, list, dict). A session without it serves the legacy
        counter only, and the engine reads this instead."""

    def close(self) -> None:
        """Release what the session holds (a Manager process, shared memory)."""


def _kinds(kinds: Iterable[str]) -> frozenset[str]:
    return frozenset(kinds)


@frozen
class SharingSpec:
    """A sharing backend: how the shared state a workload declares (its slots) reaches the tasks."""

    name: str = field(validator=_valid_name)
    description: str = field(validator=_one_line)
    #: Opens the shared state for one run; None for the backend that shares nothing.
    open: Callable[[SharingRequest], SharingSession] | None
    #: The state can be used from tasks that are pickled to their workers (in other processes or
    #: interpreters): see ``StrategySpec.pickles_tasks``.
    crosses_processes: bool = True
    #: Workers that tasks are pickled to get the state only through the pool's initializer, which
    #: installs it in each of them (see ``StrategySpec.supports_initializer``).
    needs_initializer: bool = False
    #: The state is raw shared memory, which cannot be pickled and reaches only workers that inherit
    #: it from this process (see ``StrategySpec.carries_raw_shared_memory``). True by default wherever
    #: the initializer is needed.
    raw_shared_memory: bool = field(default=attrs.Factory(lambda spec: spec.needs_initializer, takes_self=True))
    #: Opening it starts a process with the run's start method (a Manager's server).
    uses_start_method: bool = False
    #: The slot kinds it serves ("counter", "array", "mapping", "readonly"); vetting refuses a
    #: workload that declares another. A backend written before slots serves the counter only.
    slot_kinds: frozenset[str] = field(default=frozenset({"counter"}), converter=_kinds)


@frozen
class SharingRequest:
    """What a sharing backend is told when it opens."""

    start_method: str | None
    parties: int  # how many tasks start together (for the race barrier)
    #: The tasks are pickled to their workers (``StrategySpec.pickles_tasks``): hand them what pickles.
    crosses_processes: bool
    #: The slots to provide, by name (a workload that declares none gets ``{"counter": Counter()}``).
    slots: Mapping[str, Slot] = field(factory=legacy_slots)


@frozen
class Combination:
    """One workload x strategy x sharing backend, as the vetting hook sees it."""

    workload: Workload
    strategy: StrategySpec
    sharing: SharingSpec
    workers: int
    #: The start method the run will use, resolved once (the user's, else the default), None when
    #: neither the strategy nor the sharing backend starts processes with one.
    start_method: str | None
    #: The strategy's options, converted and with their defaults: what its factory will be given.
    options: Mapping[str, Any] = field(factory=dict)
    #: The run's parameters, from which the workload's shared slots follow.
    params: Mapping[str, Any] = field(factory=dict)


class RunStatus(enum.Enum):
    PASSED = "passed"  # ran and the check passed
    UNCHECKED = "unchecked"  # ran, and there was no expected answer to check it against
    CHECK_FAILED = "check-failed"  # ran, but the answer is wrong
    ERROR = "error"  # a task raised or a worker died
    TIMEOUT = "timeout"  # the watchdog ended the run
    DEADLOCK = "deadlock"  # tasks waited on each other's futures in a cycle


@frozen
class Timings:
    """Seconds spent in each phase of one run."""

    startup: float
    compute: float
    shutdown: float

    @property
    def total(self) -> float:
        return self.startup + self.compute + self.shutdown


@frozen
class RunReport:
    """The outcome of one run; ``to_dict`` is the ``--json`` schema."""

    workload: str
    strategy: str
    sharing: str
    workers: int
    start_method: str | None
    params: Mapping[str, Any]
    status: RunStatus
    value: Any
    check: Check | None
    timings: Timings
    tasks: int
    error: str | None = None
    #: The traceback from the worker where a task raised, when the executor carried it back.
    traceback: str | None = None
    #: The workload method that raised in this process ("items", "tasks", "combine", "check"), if one did.
    failed_in: str | None = None
    #: How many tasks travelled together to a worker (chosen by a pilot when asked for "auto").
    chunksize: int | None = None

    @property
    def ok(self) -> bool:
        """The run did its work and nothing says the answer is wrong (an unchecked answer is ok)."""
        return self.status in (RunStatus.PASSED, RunStatus.UNCHECKED)

    @property
    def tasks_per_second(self) -> float | None:
        """Tasks finished per second of the compute phase."""
        if not self.ok or self.timings.compute <= 0:
            return None
        return self.tasks / self.timings.compute

    def to_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "strategy": self.strategy,
            "sharing": self.sharing,
            "workers": self.workers,
            "start_method": self.start_method,
            "params": dict(self.params),
            "status": self.status.value,
            "ok": self.ok,
            "value": _jsonable(self.value),
            "check": None if self.check is None else attrs.asdict(self.check, value_serializer=_ser),
            "timings": {**attrs.asdict(self.timings), "total": self.timings.total},
            "tasks": self.tasks,
            "error": self.error,
            "traceback": self.traceback,
            "failed_in": self.failed_in,
            "chunksize": self.chunksize,
            "tasks_per_second": self.tasks_per_second,
        }


def _ser(_inst: object, _field: object, value: Any) -> Any:
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return repr(value)


def __getattr__(name: str) -> Any:
    from futstrat.deprecated import RENAMED, renamed

    if name in RENAMED:
        return renamed(globals(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
