"""The callback receiver: an ASGI app that takes every provider's completion POSTs.

It authenticates what it can (a kie.ai signature for Apikley when a webhook key is set, the
signature fal.ai makes over the body with its published keys; for all, a per-URL token bound to
the receiver's secret, since crun signs nothing), trusts no body it cannot verify (a callback
whose body the provider did not sign is confirmed with one `get_task`), hands each finished
task on once, and wakes
any `wait_for_task(..., receiver=...)` waiting for it, in whatever thread or event loop.

What it does with a callback is `_delivery`'s flows; this module reads the HTTP request within
its bounds, drives those flows on the serving loop, keeps what is concurrent by nature (a retry
sharing the delivery in flight, one read of a task at a time, the confirmation threads), and
answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from ._bus import WakeBus
from ._delivery import (
    DUPLICATE,
    Answer,
    Deliveries,
    Delivery,
    Handler,
    Refused,
    TaskNotKnownYet,
    Tokens,
)
from ._drive import run_async, run_sync
from ._exceptions import InvalidRequestError
from ._http_guard import BodyRefused, read_body
from ._inputs import check_url, positive_int, positive_seconds
from ._models import Provider, Task
from ._providers import PROVIDERS, adapter_class
from ._retry import Backoff
from ._seen import MemorySeenStore, SeenStore
from ._steps import Flow
from ._waiters import Waiters, Watch
from ._wakes import Wakes

if TYPE_CHECKING:
    from ._async_client import AsyncAvatarClient
    from ._client import AvatarClient

__all__ = ["CallbackUrl", "Receiver", "TaskNotKnownYet", "Watch"]

logger = logging.getLogger("kling_avatar.receiver")

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]

DEFAULT_MAX_BODY = 64 * 1024  # a callback is a few KB
DEFAULT_DELIVERY_TTL = 7 * 24 * 3600.0  # providers stop retrying long before this
DEFAULT_FALLBACK_POLL = 30.0
DEFAULT_READ_TIMEOUT = 10.0
# Provider reads confirming callbacks at once, on the receiver's own threads for a blocking
# client: a flood of forged callbacks must not take asyncio's default executor, which the
# handler and everything else in the process share.
DEFAULT_MAX_CONFIRMATIONS = 8
# Deliveries of distinct tasks being confirmed at once through one callback URL. A URL is
# minted for one task, so a provider never needs more; a leaked URL gets no more than this
# share of the confirmations, the rest are refused at once (429) without a read.
_PER_URL_CONFIRMATIONS = 2
_RETRY_AFTER = 5  # seconds, in the Retry-After of answers asking the provider to come back


@attrs.frozen
class CallbackUrl:
    """A callback URL minted for one task (`Receiver.mint`), and its nonce: the key to record a
    creation under before it is sent, which the callback's handler is given back."""

    provider: Provider
    nonce: str
    url: str = attrs.field(repr=False)  # whoever holds it can post callbacks


class Receiver:
    """An ASGI app receiving crun's and Apikley's completion callbacks at `public_url`.

    - `callback_url(provider)` mints the URL to create a task with: ``<public_url>/<provider>/
      <nonce>.<mac>``, the mac an HMAC of provider and nonce under `secret`, so a POST to a URL
      the receiver did not mint is refused (403). Several processes behind one `public_url` must
      share `secret` (without one, each process draws its own and its URLs die with it).
    - Apikley's callbacks must carry a valid kie.ai signature when `webhook_key` is set (401).
      A provider that signs the body with its own published keys (fal.ai) is always checked:
      a callback that does not verify, is more than `tolerance` seconds old, or comes a second
      time is refused (401); one that verifies is handed on as its body says, with no read.
    - Every other callback is confirmed with one `get_task` through the client given for its
      provider (`clients=` or `add_client`): the body is only the provider's claim, and a
      non-final one just triggers that re-read. When the answer names the callback URL the task
      was created with, it must be the URL the callback came to (403 otherwise).
    - Each finished task goes to `handler` (sync or async) once, in the first final state the
      provider's API confirmed: a later delivery of the same task is acknowledged as a
      duplicate and not handed on again; one whose confirmed final state differs (failed,
      then succeeded) is logged as a provider contract breach and not handed on either.
      `seen` decides what was seen (`MemorySeenStore` by default, `RedisSeenStore` for several
      processes), so "once" lasts as long as `seen` remembers. A delivery is marked seen only
      after the handler returned: when it raises `TaskNotKnownYet` (the callback beat the
      creation's answer) the answer is 503 with Retry-After, when it raises anything else
      500, and the provider's retry is handed on.
    - Confirmations are bounded: one at a time per task id, at most two tasks per callback URL
      (more are refused at once with 429, without a read), at most `max_confirmations` in all
      (a blocking client's reads run on the receiver's own threads, not asyncio's default
      executor); a URL already confirmed for one task refuses other task ids at once (403).
    - Answers: 200 accepted or duplicate, 202 not finished yet, 400 malformed, 401 bad signature,
      403 bad URL token, 404 unknown path, 405 not a POST, 408 body too slow, 413 body over
      `max_body` (read as a stream, stopped at the cap), 429 too many callbacks in flight on
      one URL; 5xx only for its own failures (the handler's, the seen-store's, the provider's
      API during confirmation) and for a task the handler does not know yet, so the provider
      retries.
    - `wait_for_task(..., receiver=self)` and `generate(..., receiver=self)` return as soon as
      the task's callback is confirmed, polling every `poll_interval` seconds (backing off) as
      the fallback for a lost callback. With a `bus` (`RedisWakeBus`) shared by the receivers
      of several processes (and the same `secret`), a callback confirmed by any of them wakes
      the waiters of all of them.
    - `mint(provider)` gives the callback URL with its nonce before the task is created; a
      handler that takes a `nonce` keyword is given the nonce of the URL the callback came
      to, so a record saved under it before the creation is found even when the task id never
      was saved (the process died in between).

    Mount it in FastAPI or Starlette with ``app.mount("/callbacks", receiver)``, or serve it
    alone. An `AsyncAvatarClient` given for confirmation must live on the loop that serves the
    receiver; pass a blocking `AvatarClient` otherwise (it is run in a worker thread).
    """

    def __init__(
        self,
        public_url: str,
        *,
        secret: str | bytes | None = None,
        handler: Handler | None = None,
        clients: Iterable[AvatarClient | AsyncAvatarClient] = (),
        webhook_key: str | bytes | None = None,
        seen: SeenStore | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        tolerance: float = 300.0,
        poll_interval: float = DEFAULT_FALLBACK_POLL,
        delivery_ttl: float = DEFAULT_DELIVERY_TTL,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_confirmations: int = DEFAULT_MAX_CONFIRMATIONS,
        bus: WakeBus | None = None,
    ) -> None:
        self.public_url = check_url(public_url, "public_url").rstrip("/")
        self._tokens = Tokens(secret)
        self._deliveries = Deliveries(
            handler=handler,
            seen=seen if seen is not None else MemorySeenStore(),
            webhook_key=webhook_key,
            tolerance=tolerance,
            delivery_ttl=delivery_ttl,
            wake=self._confirmed_final,
            in_threads=self._in_threads,
        )
        for client in clients:
            self.add_client(client)
        if not (isinstance(max_body, int) and max_body > 0):
            raise InvalidRequestError("max_body: must be a positive integer", field="max_body")
        self.max_body = max_body
        self.max_confirmations = positive_int("max_confirmations", max_confirmations)
        poll = positive_seconds("poll_interval", poll_interval)
        self.fallback_backoff = Backoff(poll, factor=2.0, maximum=10 * poll, jitter=0.1)
        self.read_timeout = positive_seconds("read_timeout", read_timeout)
        self._lock = threading.Lock()
        self._waiters = Waiters()
        self._inflight: dict[Delivery, asyncio.Task[Answer]] = {}
        self._per_url: dict[tuple[str, str], int] = {}  # deliveries in flight per URL token
        self._task_locks: dict[tuple[int, str, str], tuple[asyncio.Lock, int]] = {}
        self._limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._executor: ThreadPoolExecutor | None = None
        # Waking across processes: every confirmed final task goes out on the bus
        # (_confirmed_final), and what other processes confirmed comes in as a local one would.
        self.wakes = None if bus is None else Wakes(bus, self._tokens.secret, self._waiters.wake)

    def __repr__(self) -> str:
        # Neither the secret nor the webhook key.
        providers = sorted(self._deliveries.clients)
        return f"Receiver(public_url={self.public_url!r}, providers={providers})"

    # --- configuration ------------------------------------------------------------------

    @property
    def handler(self) -> Handler | None:
        """What each finished task is handed on to, once."""
        return self._deliveries.handler

    @handler.setter
    def handler(self, handler: Handler | None) -> None:
        self._deliveries.handler = handler

    @property
    def seen(self) -> SeenStore:
        """What decides whether a task was handed on already."""
        return self._deliveries.seen

    @property
    def tolerance(self) -> float:
        return self._deliveries.tolerance

    @property
    def delivery_ttl(self) -> float:
        return self._deliveries.delivery_ttl

    @property
    def handed_on(self) -> int:
        """How many tasks went to the handler."""
        return self._deliveries.handed_on

    def close(self) -> None:
        """Stops the receiver's confirmation threads (a read under way finishes by itself) and
        its wake-bus listener (for good: its waiters then learn of other processes' callbacks
        by polling)."""
        if self.wakes is not None:
            self.wakes.close()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def add_client(self, client: AvatarClient | AsyncAvatarClient) -> None:
        """The client that confirms callbacks of its provider (one per provider)."""
        self._deliveries.clients[client.provider] = client

    def callback_url(self, provider: Provider | str) -> str:
        """A fresh callback URL for one task of `provider`, which only this receiver (or one
        with the same secret) accepts."""
        return self.mint(provider).url

    def mint(self, provider: Provider | str) -> CallbackUrl:
        """A fresh callback URL for one task of `provider`, with its nonce (random, unique)."""
        name = adapter_class(provider).name
        token, nonce = self._tokens.mint(name)
        return CallbackUrl(provider=name, nonce=nonce, url=f"{self.public_url}/{name}/{token}")

    # --- waking waiters -----------------------------------------------------------------

    def watch(self, provider: str, task_id: str) -> Watch:
        """A subscription to `task_id`'s confirmed completion (already woken if it came)."""
        if self.wakes is not None:
            self.wakes.listen()
        return self._waiters.watch(provider, task_id)

    def _confirmed_final(self, task: Task) -> Awaitable[None] | None:
        """The one place a task the provider's API confirmed final goes: it wakes the local
        waits on it, and (with a bus) is published for other processes' (an awaitable, which
        the driver awaits)."""
        self._waiters.wake(task)
        return None if self.wakes is None else self.wakes.publish(task)

    # --- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            self.close()
            return
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        try:
            answer = await self._serve(scope, receive)
        except Refused as refused:
            answer = refused.answer
            logger.info("callback refused (%d): %s", answer.status, answer.message)
        status = answer.status
        body = json.dumps({"code": status, "msg": answer.message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        if status == 405:
            headers.append((b"allow", b"POST"))
        elif status in (429, 503):
            headers.append((b"retry-after", b"%d" % _RETRY_AFTER))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _serve(self, scope: Scope, receive: Receive) -> Answer:
        provider, token = _route(scope)
        self._tokens.check(provider, token)  # before a byte of the body is read
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        body = await self._read_body(headers, receive)
        admitted = await run_async(self._deliveries.admit(provider, token, body, headers))
        if isinstance(admitted, Answer):
            return admitted
        return await self._shared(admitted)

    async def _read_body(self, headers: list[tuple[bytes, bytes]], receive: Receive) -> bytes:
        try:
            return await read_body(headers, receive, limit=self.max_body, within=self.read_timeout)
        except BodyRefused as refused:
            raise Refused(refused.status, refused.message) from None

    # --- confirming, in flight ----------------------------------------------------------

    async def _shared(self, delivery: Delivery) -> Answer:
        """`delivery` confirmed and handed on. A retry that comes while the first delivery is
        still being confirmed (the provider gave up waiting for our answer) shares that
        delivery's one read and one hand-on; at most a few distinct ones per URL at once."""
        running = self._inflight.get(delivery)
        if running is not None and running.get_loop() is asyncio.get_running_loop():
            answer = await asyncio.shield(running)
            return DUPLICATE if answer.status == 200 else answer
        url = (delivery.provider, delivery.token)
        with self._lock:
            refused = self._per_url.get(url, 0) >= _PER_URL_CONFIRMATIONS
            if not refused:
                self._per_url[url] = self._per_url.get(url, 0) + 1
        if refused:
            raise Refused(429, "too many callbacks in flight for this URL; retry later")
        running = asyncio.ensure_future(self._confirm_and_hand_on(delivery))
        running.add_done_callback(lambda _: self._release_url(url))
        self._inflight[delivery] = running
        try:
            return await asyncio.shield(running)
        finally:
            if running.done():
                self._inflight.pop(delivery, None)
            else:  # this request was cancelled; the delivery goes on and cleans up after
                running.add_done_callback(lambda _: self._inflight.pop(delivery, None))

    def _release_url(self, url: tuple[str, str]) -> None:
        with self._lock:
            left = self._per_url.get(url, 1) - 1
            if left > 0:
                self._per_url[url] = left
            else:
                self._per_url.pop(url, None)

    async def _confirm_and_hand_on(self, delivery: Delivery) -> Answer:
        async with self._one_read_per_task(delivery), self._limit():
            task = await run_async(self._deliveries.confirm(delivery))
        return await run_async(self._deliveries.hand_on(task, delivery.token.partition(".")[0]))

    @contextlib.asynccontextmanager
    async def _one_read_per_task(self, delivery: Delivery) -> AsyncIterator[None]:
        # Reads of one task wait for each other (a fresh read each, never one started before
        # this callback came: that could be from before the task finished).
        key = (id(asyncio.get_running_loop()), delivery.provider, delivery.task_id)
        with self._lock:
            lock, users = self._task_locks.get(key, (asyncio.Lock(), 0))
            self._task_locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            with self._lock:
                lock, users = self._task_locks[key]
                if users > 1:
                    self._task_locks[key] = (lock, users - 1)
                else:
                    del self._task_locks[key]

    def _limit(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            limit = self._limits.get(loop)
            if limit is None:
                limit = self._limits[loop] = asyncio.Semaphore(self.max_confirmations)
            return limit

    async def _in_threads(self, read: Flow[Task]) -> Task:
        """A blocking client's read, driven on the receiver's own threads."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.max_confirmations, thread_name_prefix="kling-receiver-confirm"
                )
            pool = self._executor
        return await asyncio.get_running_loop().run_in_executor(pool, run_sync, read)


def _route(scope: Scope) -> tuple[str, str]:
    """The provider and the URL token a request's path names (404, 405 otherwise)."""
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    if root and path.startswith(root):  # Starlette's Mount keeps the full path
        path = path[len(root) :]
    parts = [part for part in path.split("/") if part]
    if len(parts) != 2 or parts[0] not in PROVIDERS:
        raise Refused(404, "no such callback endpoint")
    if scope.get("method") != "POST":
        raise Refused(405, "callbacks are POSTed")
    return parts[0], parts[1]


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
