"""The ``shm`` sharing backend: ``multiprocessing.shared_memory`` blocks, attached by name in each worker.

Counters, arrays and read-only data each live in a block of their own. Only the block's name and
layout travel to a worker (in the pool initializer's arguments, with the locks, which may only reach a
process by inheritance), and the worker attaches the block by that name: that works under ``fork``,
``spawn`` and ``forkserver`` alike, and read-only data is never copied again, however large.

A block outlives every process that attached it until someone unlinks it: this session unlinks each
block when it closes, and at the latest when futstrat exits, however the run ended. If futstrat alone
is killed outright, the resource tracker that registered the blocks unlinks them once every worker has
gone too. If the tracker dies with it (the whole process group SIGKILLed, as a CI job's timeout does),
the next ``shm`` session on the machine removes them: each session first removes the blocks whose
creator process is gone (see ``shm_stale``: a block's name carries its creator's pid and pid namespace,
and a block of a live process, of another pid namespace or of another user is never touched).
"""

from __future__ import annotations

import array
import atexit
import contextlib
import os
import pickle
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from futstrat.builtin.shm_stale import new_block_name, remove_stale_blocks
from futstrat.model import SharingRequest, SharingSession, SharingSpec
from futstrat.shared_state import Array, Counter, ReadOnly, buffer_of, readonly_view_of
from futstrat.sharing import (
    BlockArray,
    BlockCell,
    BlockCounter,
    BlockReadOnly,
    InstalledState,
    SharedArray,
    SharedCounter,
    SharedState,
    install_state,
    keep_mapped,
    readonly_view,
)
from futstrat.start_methods import process_context

if TYPE_CHECKING:
    from multiprocessing import shared_memory


class SharedMemorySession:
    """The blocks, locks and start line of one run."""

    def __init__(self, request: SharingRequest) -> None:
        remove_stale_blocks()  # those of earlier runs killed with their resource tracker
        context = process_context(request.start_method)
        self._key = f"shm-{os.urandom(16).hex()}"
        self._blocks: list[shared_memory.SharedMemory] = []
        #: The views of our blocks that this process made, released when the session closes.
        self._views: list[memoryview] = []
        deferred: dict[str, Any] = {}
        here: dict[str, Any] = {}
        try:
            for name, slot in request.slots.items():
                if isinstance(slot, Counter):
                    block = self._new_block(8)
                    lock, barrier = context.Lock(), context.Barrier(request.parties)
                    deferred[name] = BlockCounter(block.name, lock, barrier)
                    here[name] = SharedCounter(BlockCell(self._view(_memory_of(block).cast("q"))), lock, barrier)
                elif isinstance(slot, Array):
                    block = self._new_block(array.array(slot.typecode).itemsize * slot.length)
                    lock = context.Lock()
                    deferred[name] = BlockArray(block.name, slot.typecode, slot.length, lock)
                    cells = self._view(_memory_of(block).cast(slot.typecode))  # type: ignore[call-overload]
                    here[name] = SharedArray(self._view(cells[: slot.length]), lock)
                elif isinstance(slot, ReadOnly) and not request.crosses_processes:
                    here[name] = readonly_view_of(slot.data)  # threads read the data itself: no block
                elif isinstance(slot, ReadOnly):
                    deferred[name], here[name] = self._readonly(slot.data)
                else:
                    raise ValueError(f"sharing 'shm' is raw memory and has no dict for {slot.kind} slot {name!r}")
        except BaseException:
            self.close()
            raise
        self._deferred = SharedState(deferred)
        self._here = SharedState(here)

    def _new_block(self, size: int) -> shared_memory.SharedMemory:
        name = new_block_name()
        from multiprocessing import shared_memory  # only a run that uses it pays for importing it

        block = shared_memory.SharedMemory(name=name, create=True, size=max(size, 1))
        self._blocks.append(block)
        _unlink_at_exit(block.name)
        return block

    def _readonly(self, data: Any) -> tuple[BlockReadOnly, Any]:
        found = buffer_of(data)
        if found is not None:
            payload, layout = found
            block = self._new_block(layout.nbytes)
            _memory_of(block)[: layout.nbytes] = payload
            view = readonly_view(_memory_of(block), layout.as_tuple())
            if isinstance(view, memoryview):
                self._view(view)
            return BlockReadOnly(block.name, layout.as_tuple(), layout.nbytes), view
        pickled = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
        block = self._new_block(len(pickled))
        _memory_of(block)[: len(pickled)] = pickled
        # Threads share the object itself; each worker process loads the pickle once.
        return BlockReadOnly(block.name, None, len(pickled)), data

    def _view(self, view: memoryview) -> memoryview:
        self._views.append(view)
        return view

    @property
    def block_names(self) -> list[str]:
        """The names of the blocks this session made, as ``/dev/shm`` lists them."""
        return [block.name for block in self._blocks]

    def worker_initializer(self) -> tuple[Callable[..., None], tuple[Any, ...]]:
        return install_state, (self._key, self._deferred)

    def task_argument(self, crosses_processes: bool) -> Any:
        return InstalledState(self._key) if crosses_processes else self._here

    def final_value(self) -> int:
        return next((slot.value for slot in vars(self._here).values() if isinstance(slot, SharedCounter)), 0)

    def final_state(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, slot in vars(self._here).items():
            if isinstance(slot, SharedCounter):
                values[name] = slot.value
            elif isinstance(slot, SharedArray):
                values[name] = slot.tolist()
        return values

    def close(self) -> None:
        """Unlink every block (its name goes from ``/dev/shm`` at once; the memory goes with the last
        process that has it mapped), then unmap ours where no view of it is left."""
        for block in self._blocks:
            with contextlib.suppress(FileNotFoundError):
                block.unlink()
            _unlinked(block.name)
        for view in reversed(self._views):
            with contextlib.suppress(BufferError):  # a numpy array still made of it
                view.release()
        self._views = []
        for block in self._blocks:
            try:
                block.close()
            except BufferError:  # something still holds a view: the memory is unmapped when it goes
                keep_mapped(block)
        self._blocks = []


# -- unlinking at exit, whatever happened to the session ------------------------------------------

_pending: set[str] = set()
_pending_lock = threading.Lock()
_registered = False


def _unlink_at_exit(name: str) -> None:
    global _registered
    with _pending_lock:
        _pending.add(name)
        if not _registered:
            atexit.register(unlink_pending)
            _registered = True


def _unlinked(name: str) -> None:
    with _pending_lock:
        _pending.discard(name)


def unlink_pending() -> None:
    """Unlink the blocks of sessions that never closed (an interruption during the clean-up)."""
    with _pending_lock:
        names = list(_pending)
        _pending.clear()
    if not names:
        return
    from multiprocessing import shared_memory

    for name in names:
        with contextlib.suppress(FileNotFoundError, OSError):
            block = shared_memory.SharedMemory(name=name)
            block.close()
            block.unlink()


def _memory_of(block: shared_memory.SharedMemory) -> memoryview:
    memory = block.buf
    assert memory is not None, "the block was closed"
    return memory


def open_shared_memory(request: SharingRequest) -> SharingSession:
    return SharedMemorySession(request)


SHM_SHARING = SharingSpec(
    name="shm",
    description="multiprocessing.shared_memory blocks attached by name in each worker, locks by the initializer",
    open=open_shared_memory,
    needs_initializer=True,
    slot_kinds=frozenset({"counter", "array", "readonly"}),
)
