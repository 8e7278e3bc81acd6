"""What makes the fresh-thread executor itself: a thread per task, and a bound on how many at once."""

from __future__ import annotations

import threading

from futstrat_example.executor import FreshThreadExecutor


def thread_name() -> str:
    return threading.current_thread().name


def test_every_task_gets_a_thread_of_its_own():
    with FreshThreadExecutor(2) as executor:
        names = [executor.submit(thread_name).result(timeout=10) for _ in range(20)]
    assert len(set(names)) == 20


def test_no_more_than_max_workers_run_at_once():
    running, most = 0, 0
    lock = threading.Lock()
    release = threading.Event()

    def task() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(10)
        with lock:
            running -= 1

    with FreshThreadExecutor(3) as executor:
        futures = [executor.submit(task) for _ in range(12)]
        assert sum(future.running() for future in futures) == 3
        release.set()
    assert most == 3


def test_the_initializer_runs_in_each_new_thread():
    seen = threading.local()

    def initialize(value: str) -> None:
        seen.value = value

    with FreshThreadExecutor(2, initializer=initialize, initargs=("set",)) as executor:
        values = [executor.submit(lambda: seen.value).result(timeout=10) for _ in range(5)]
    assert values == ["set"] * 5
