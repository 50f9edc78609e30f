"""What the mock remembers: accounts, tasks, stored files, calls, callback deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import random
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import attrs
import httpx

from .._registry import PROVIDERS, Provider
from ._accounts import second_key
from ._faults import FaultBook
from ._outgoing import CallbackDelivery, deliver
from ._ratelimit import RateLimiter

# How long a finished task (and a stored file) is kept, in seconds of the mock's clock:
# long enough for any test or demo, short enough that a mock left running stays small.
DEFAULT_EXPIRE_AFTER = 3600.0
# Seconds early a task may be settled by its timer (above the loop's clock resolution).
_EARLY = 0.005
# Callback attempts remembered for `MockServer.callbacks` (the oldest are forgotten).
MAX_CALLBACK_RECORDS = 10_000
# Callback retries as real providers make them: fal.ai documents 10 tries over 2 hours. The
# delay doubles from `DEFAULT_CALLBACK_BACKOFF`: 15 s, 30 s, ... 64 min, 2 h 8 min in all.
DEFAULT_CALLBACK_ATTEMPTS = 10
DEFAULT_CALLBACK_BACKOFF = 15.0
# Result videos kept for their tasks (bytes in all): each result is rendered once; past this,
# the oldest are dropped and their URL answers 410 Gone, never a second render per GET.
MAX_RESULT_BYTES = 256 * 1024 * 1024
# Task ids whose result was dropped, remembered for that 410 (the oldest are forgotten).
MAX_GONE_RESULTS = 100_000

# Credits per task. Neither provider publishes a price for this model; the figures only have
# to be distinct so tests can tell pro from standard.
COST_PRO = 2.0
COST_STD = 1.0

Outcome = Literal["success", "fail"]


@attrs.frozen
class Lifecycle:
    """How one provider's tasks run: what the state machine needs of its module."""

    states: tuple[str, ...]  # the non-terminal states, in order; a task spends `step` in each
    success: str
    failure: str
    # What the task's callback POSTs once it has ended (the body, as the provider sends it).
    callback: Callable[[MockState, Task], dict[str, Any]]
    # The headers that sign a callback with the webhook key; None: the provider signs none.
    signature: Callable[[str, Task], dict[str, str]] | None = None
    # The headers that sign a callback's bytes with the provider's own key, always sent; None:
    # the provider does not sign so.
    sign_body: Callable[[Task, bytes], dict[str, str]] | None = None
    # Where the creation request holds image_url and audio_url (None: at its top level).
    inputs_key: str | None = "input"


@attrs.define(eq=False)
class Task:
    provider: Provider
    lifecycle: Lifecycle
    id: str
    model: str
    param: dict[str, Any]  # the creation request as the caller sent it
    callback_url: str | None
    cost: float
    created_wall: float  # MockState.wall(): Unix seconds
    created_mono: float  # MockState.monotonic(), for the state clock
    step: float  # seconds in each non-terminal state: MockState.step when it was created
    outcome: Outcome = "success"
    fail_code: str = ""
    fail_msg: str = ""
    null_reads_left: int = 0
    settled: bool = False
    account: int = 0  # which of the provider's two accounts created it (_accounts.py)

    @property
    def final_state(self) -> str:
        return self.lifecycle.success if self.outcome == "success" else self.lifecycle.failure


class MockState:
    """All the mutable state of one mock server.

    Requests are served on the server's event loop; a test's thread scripts faults, credits
    and reads counters, so what both touch sits behind one lock.
    """

    def __init__(
        self,
        *,
        step: float,
        credits: float,
        seed: int | None,
        webhook_key: str | None,
        keys: Mapping[Provider, str],
        other_keys: Mapping[Provider, str] | None = None,
        null_reads: Mapping[Provider, int] | None = None,
        callback_attempts: int = DEFAULT_CALLBACK_ATTEMPTS,
        callback_backoff: float = DEFAULT_CALLBACK_BACKOFF,
        rate_limits: Mapping[str, tuple[int, float]] | None = None,
        expire_after: float = DEFAULT_EXPIRE_AFTER,
    ) -> None:
        if not (isinstance(step, int | float) and math.isfinite(step) and step >= 0):
            raise ValueError("step must be a finite number of seconds >= 0")
        if not (isinstance(expire_after, int | float) and expire_after > 0):  # inf: never
            raise ValueError("expire_after must be a number of seconds > 0")
        if isinstance(callback_attempts, bool) or not (
            isinstance(callback_attempts, int) and callback_attempts >= 1
        ):
            raise ValueError("callback_attempts must be a whole number >= 1")
        if not (
            isinstance(callback_backoff, int | float)
            and math.isfinite(callback_backoff)
            and callback_backoff >= 0
        ):
            raise ValueError("callback_backoff must be a finite number of seconds >= 0")
        self.step = float(step)
        self.expire_after = float(expire_after)
        self.webhook_key = webhook_key
        self.keys: dict[Provider, str] = {provider: keys[provider] for provider in PROVIDERS}
        # The second account of each provider (its tasks are its own; the balance is shared).
        self.other_keys: dict[Provider, str] = {
            provider: (other_keys or {}).get(provider) or second_key(key)
            for provider, key in self.keys.items()
        }
        # Reads of a new task that find nothing yet, per provider (see Task.null_reads_left).
        self.null_reads: dict[Provider, int] = dict(null_reads or {})
        self.callback_attempts = callback_attempts
        self.callback_backoff = float(callback_backoff)
        self.base_url = "http://127.0.0.1"
        self.faults = FaultBook(seed)
        self.rate_limiter = RateLimiter(rate_limits)
        self.lock = threading.Lock()
        self.balances: dict[Provider, float] = dict.fromkeys(PROVIDERS, credits)
        self.tasks: dict[str, Task] = {}
        self.media: dict[str, tuple[bytes, str]] = {}
        # presigned upload name -> (the content type asked for, the URL's signature)
        self.presigned: dict[str, tuple[str, str]] = {}
        self.calls: Counter[str] = Counter()
        self.callbacks: deque[CallbackDelivery] = deque(maxlen=MAX_CALLBACK_RECORDS)
        self.errors: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        # Served in the caller's process and loop (kling_avatar.testing.InProcessMock): no
        # worker threads.
        self.in_process = False
        self.offset = 0.0  # seconds the clock was moved forward by advance()
        self.http: httpx.AsyncClient | None = None  # for callbacks and URL uploads
        self.renders: ThreadPoolExecutor | None = None  # result videos, RENDER_SLOTS at once
        self.background: set[asyncio.Future[Any]] = set()
        # Result videos by task id, each rendered once (a render in progress is shared by the
        # GETs that wait for it); see MAX_RESULT_BYTES.
        self.results: OrderedDict[str, bytes] = OrderedDict()
        self.rendering: dict[str, asyncio.Future[bytes]] = {}
        self.gone: OrderedDict[str, None] = OrderedDict()
        self.max_result_bytes = MAX_RESULT_BYTES
        self._result_bytes = 0
        # Set (and replaced) whenever the clock may have moved, so sleeps on the mock's clock
        # (callback retries) end when advance() passes them.
        self._clock_moved: asyncio.Event | None = None
        # Background work asleep on the mock's clock, by when it wakes: the in-process mock's
        # sync side waits for the rest (quiet), not for a callback retry hours of mock time away.
        self.asleep: dict[asyncio.Future[Any], float] = {}
        self._fell_asleep: asyncio.Event | None = None
        # Unsettled tasks by due time, so the clock's moves settle only what is due.
        self._due: list[tuple[float, int, Task]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = 0.0
        # (expiry time, kind, key) in the order things were finished or stored: the mock's
        # clock never goes back, so the oldest is always first.
        self._expiring: deque[tuple[float, str, str]] = deque()
        # Seeded so a run replays the same task ids; nothing here is a secret.
        self._random = random.Random(seed)  # noqa: S311

    # -- ids ---------------------------------------------------------------------------

    def random_bits(self, bits: int) -> int:
        """Seeded random bits, for ids the provider spells its own way."""
        with self.lock:
            return self._random.getrandbits(bits)

    def token(self) -> str:
        with self.lock:
            return f"{self._random.getrandbits(64):016x}"

    # -- credits -----------------------------------------------------------------------

    def charge(self, provider: Provider, cost: float) -> bool:
        """Take ``cost`` from the balance; False (and nothing taken) when it does not cover it."""
        with self.lock:
            if self.balances[provider] < cost or self.balances[provider] <= 0:
                return False
            self.balances[provider] -= cost
            return True

    def set_credits(self, value: float, provider: Provider | None = None) -> None:
        with self.lock:
            for name in (provider,) if provider else PROVIDERS:
                self.balances[name] = value

    # -- the clock ---------------------------------------------------------------------

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def wall(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward: tasks progress (and finish, with callbacks) at once."""
        if not (isinstance(seconds, int | float) and math.isfinite(seconds)):
            raise ValueError("advance takes a finite number of seconds")
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self.lock:
            self.offset += seconds
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.settle_due)

    def settle_due(self) -> None:
        """Settle every task whose time is up (on the loop), then forget what has expired."""
        if self._timer is not None:  # called by advance(), not by the timer: one timer only
            self._timer.cancel()
            self._timer = None
        # The loop's timers may fire a little early (its clock's resolution): what is due
        # within that is due now, as a timer per task would have settled it.
        if self._clock_moved is not None:
            self._clock_moved.set()
            self._clock_moved = None
        now = self.monotonic()
        while self._due and self._due[0][0] <= now + _EARLY:
            self.settle(heapq.heappop(self._due)[2])
        self.expire(now)
        self._wake_for_next()

    def _wake_for_next(self) -> None:
        """One timer, for the next task due (not one per task)."""
        loop = self.loop
        if loop is None or not self._due:  # not serving (a unit test of the state alone)
            return
        due = self._due[0][0]
        if self._timer is not None:
            if self._timer_due <= due:
                return
            self._timer.cancel()
        self._timer_due = due
        self._timer = loop.call_later(max(0.0, due - self.monotonic()), self.settle_due)

    def leave_loop(self) -> None:
        """Forget the loop's timer and futures: they cannot run on the next loop (the
        in-process mock moves to each test's own loop)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.background.clear()
        self.asleep.clear()

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of the mock's clock (on the loop): advance() cuts it short."""
        due = self.monotonic() + seconds
        task = asyncio.current_task()
        if task is not None:
            self.asleep[task] = due
        if self._fell_asleep is not None:
            self._fell_asleep.set()
        try:
            while (left := due - self.monotonic()) > 0:
                if self._clock_moved is None:
                    self._clock_moved = asyncio.Event()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._clock_moved.wait(), left)
        finally:
            if task is not None:
                self.asleep.pop(task, None)

    async def quiet(self) -> None:
        """Wait until the background work is done or asleep until a later time of the clock."""
        while True:
            now = self.monotonic()
            busy = [f for f in self.background if self.asleep.get(f, now) <= now]
            if not busy:
                return
            self._fell_asleep = asyncio.Event()
            nap = asyncio.ensure_future(self._fell_asleep.wait())
            try:
                await asyncio.wait([*busy, nap], return_when=asyncio.FIRST_COMPLETED)
            finally:
                nap.cancel()

    # -- tasks -------------------------------------------------------------------------

    def add_task(self, task: Task) -> None:
        with self.lock:
            self.tasks[task.id] = task
        heapq.heappush(
            self._due, (task.created_mono + self.run_time(task), next(self._order), task)
        )
        self.expire(task.created_mono)
        self._wake_for_next()

    def phase(self, task: Task) -> str:
        """The task's state now; settles it (refund, callback) when it has just ended.

        A settled task is terminal whatever the clock says: the timer that settles it may fire
        a hair before the clock reaches the end of its last state.
        """
        if not task.settled:
            if task.step > 0:
                index = int((self.monotonic() - task.created_mono) // task.step)
                if index < len(task.lifecycle.states):
                    return task.lifecycle.states[index]
            self.settle(task)
        return task.final_state

    def run_time(self, task: Task) -> float:
        return len(task.lifecycle.states) * task.step

    def complete_wall(self, task: Task) -> float:
        return task.created_wall + self.run_time(task)

    def result_url(self, task: Task) -> str:
        return f"{self.base_url}/media/results/{task.id}.mp4"

    def settle(self, task: Task) -> None:
        """End a task once: refund a failure, publish the result, send the callback."""
        with self.lock:
            if task.settled:
                return
            task.settled = True
            if task.outcome == "fail":
                self.balances[task.provider] += task.cost
        self.expire_later("task", task.id)
        if task.callback_url and self.loop is not None:
            body = task.lifecycle.callback(self, task)
            self.spawn(
                deliver(
                    self,
                    task.callback_url,
                    body,
                    lambda payload: self._callback_headers(task, payload),
                )
            )

    def _callback_headers(self, task: Task, payload: bytes) -> dict[str, str]:
        sign = task.lifecycle.signature
        signed = sign(self.webhook_key, task) if sign is not None and self.webhook_key else {}
        own = task.lifecycle.sign_body
        if own is not None:
            signed = {**signed, **own(task, payload)}
        return {"Content-Type": "application/json", **signed}

    def record_callback(self, delivery: CallbackDelivery) -> None:
        with self.lock:
            self.callbacks.append(delivery)

    # -- expiry ------------------------------------------------------------------------

    def expire_later(self, kind: str, key: str) -> None:
        """Forget a finished task or a stored file ``expire_after`` seconds from now."""
        self._expiring.append((self.monotonic() + self.expire_after, kind, key))

    def store_media(self, path: str, data: bytes, mime: str) -> None:
        with self.lock:
            self.media[path] = (data, mime)
        self.expire_later("media", path)
        self.expire(self.monotonic())

    def expire(self, now: float) -> None:
        expiring = self._expiring
        while expiring and expiring[0][0] <= now:
            _, kind, key = expiring.popleft()
            with self.lock:
                if kind == "task":
                    self.tasks.pop(key, None)
                    self._drop_result(key)
                    self.gone.pop(key, None)
                elif kind == "media":
                    self.media.pop(key, None)
                else:
                    self.presigned.pop(key, None)

    # -- result videos -----------------------------------------------------------------

    def keep_result(self, task_id: str, video: bytes) -> None:
        """Keep a task's rendered video; drop the oldest kept ones past max_result_bytes."""
        with self.lock:
            if task_id not in self.tasks:
                return  # expired while it was rendered
            self._drop_result(task_id)
            self.results[task_id] = video
            self._result_bytes += len(video)
            while self._result_bytes > self.max_result_bytes and len(self.results) > 1:
                oldest = next(iter(self.results))
                self._drop_result(oldest)
                self.gone[oldest] = None
                while len(self.gone) > MAX_GONE_RESULTS:
                    self.gone.popitem(last=False)

    def _drop_result(self, task_id: str) -> None:
        video = self.results.pop(task_id, None)
        if video is not None:
            self._result_bytes -= len(video)

    def spawn(self, coroutine: Any) -> None:
        assert self.loop is not None
        future = asyncio.ensure_future(coroutine, loop=self.loop)
        self.background.add(future)
        future.add_done_callback(self.background.discard)

    def record_error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)
