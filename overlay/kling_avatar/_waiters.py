"""Waking the waits that have a receiver: one `Watch` per waiter, woken from any thread.

A receiver confirms a callback on its own event loop; the wait for that task may block another
thread (`AvatarClient.wait_for_task`) or run on another loop (`AsyncAvatarClient`). `Waiters`
keeps the watches by task, and the tasks confirmed final lately, so that a wait that starts
after its callback came is woken at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Self

from ._models import Task

__all__ = ["Waiters", "Watch"]

_RECENT_TASKS = 4096  # confirmed finished tasks kept for waiters that start late


class Watch:
    """One waiter's interest in one task. `deliver` may be called from any thread; `wait` blocks
    the calling thread, `wait_async` the calling event loop (woken with call_soon_threadsafe).
    `on_close` is told when the waiter is done with it."""

    def __init__(self, key: tuple[str, str], on_close: Callable[[Watch], None]) -> None:
        self.key = key
        self._on_close = on_close
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._task: Task | None = None
        self._loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def __repr__(self) -> str:
        return f"Watch(provider={self.key[0]!r}, task_id={self.key[1]!r}, woken={self.woken})"

    @property
    def woken(self) -> bool:
        return self._task is not None

    @property
    def task(self) -> Task | None:
        """The finished task the receiver confirmed, once it has."""
        return self._task

    def deliver(self, task: Task) -> None:
        with self._lock:
            if self._task is not None:
                return
            self._task = task
            loops = list(self._loops)
        self._event.set()
        for loop, event in loops:
            with contextlib.suppress(RuntimeError):  # that loop has closed meanwhile
                loop.call_soon_threadsafe(event.set)

    def wait(self, seconds: float) -> Task | None:
        """Sleeps up to `seconds`, less if the task's callback arrives; the task, or None."""
        if seconds > 0:
            self._event.wait(seconds)
        return self._task

    async def wait_async(self, seconds: float) -> Task | None:
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        with self._lock:
            if self._task is not None or seconds <= 0:
                return self._task
            self._loops.append((loop, event))
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
        finally:
            with self._lock:
                self._loops.remove((loop, event))
        return self._task

    def close(self) -> None:
        self._on_close(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Waiters:
    """The open watches by task, and the tasks confirmed final lately; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[tuple[str, str], list[Watch]] = {}
        self._recent: OrderedDict[tuple[str, str], Task] = OrderedDict()

    def watch(self, provider: str, task_id: str) -> Watch:
        """A subscription to `task_id`'s confirmed completion (already woken if it came)."""
        key = (str(provider), str(task_id))
        watch = Watch(key, self._forget)
        with self._lock:
            self._watches.setdefault(key, []).append(watch)
            done = self._recent.get(key)
        if done is not None:
            watch.deliver(done)
        return watch

    def wake(self, task: Task) -> None:
        """Wakes every watch on `task`, and any that starts later (while it is recent)."""
        key = (task.provider, task.id)
        with self._lock:
            self._recent[key] = task
            self._recent.move_to_end(key)
            while len(self._recent) > _RECENT_TASKS:
                self._recent.popitem(last=False)
            watches = list(self._watches.get(key, []))
        for watch in watches:
            watch.deliver(task)

    def _forget(self, watch: Watch) -> None:
        with self._lock:
            watches = self._watches.get(watch.key, [])
            if watch in watches:
                watches.remove(watch)
            if not watches:
                self._watches.pop(watch.key, None)
