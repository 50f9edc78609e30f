"""The callback receiver: an ASGI app that takes both providers' completion POSTs.

It authenticates what it can (a kie.ai signature for Apikley when a webhook key is set; for
both, a per-URL token bound to the receiver's secret, since crun signs nothing), trusts no body
(every callback is confirmed with one `get_task`), hands each finished task on once, and wakes
any `wait_for_task(..., receiver=...)` waiting for it, in whatever thread or event loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import hmac
import inspect
import json
import logging
import secrets
import threading
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Self, TypeAlias
from urllib.parse import urlsplit

from ._callbacks import (
    Headers,
    callback_task_id,
    check_tolerance,
    parse_callback,
    verify_callback_signature,
)
from ._exceptions import (
    AvatarError,
    InvalidRequestError,
    InvalidSignatureError,
    NotFoundError,
    UnexpectedResponseError,
)
from ._http_guard import BodyRefused, read_body
from ._inputs import check_task_id, check_url, positive_int, positive_seconds
from ._models import Provider, Task, TaskState
from ._providers import PROVIDERS, adapter_class
from ._retry import Backoff
from ._seen import MemorySeenStore, SeenStore

if TYPE_CHECKING:
    from ._async_client import AsyncAvatarClient
    from ._client import AvatarClient

__all__ = ["Receiver", "TaskNotKnownYet", "Watch"]

logger = logging.getLogger("kling_avatar.receiver")

Handler: TypeAlias = Callable[[Task], object] | Callable[[Task], Awaitable[object]]
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
# How long one delivery may hold its task's hand-on claim (the handler's time included) before
# another process may take it over: a claim left by a process that died expires by itself.
_CLAIM_TTL = 600.0
_RETRY_AFTER = 5  # seconds, in the Retry-After of answers asking the provider to come back
_FINAL_STATES = (TaskState.SUCCEEDED, TaskState.FAILED)
_RECENT_TASKS = 4096  # confirmed finished tasks kept for waiters that start late
_NONCE_BYTES = 12
_MAC_CHARS = 32  # 192 bits of base64url
_MIN_SECRET = 16


class TaskNotKnownYet(AvatarError):
    """Raised by a receiver's handler for a task it has no record of yet: the provider's
    callback came before the creation's answer was stored. The delivery is not marked seen and
    is answered 503 with Retry-After, so the provider sends it again and the retry, once the
    task is known, is handed on."""


class _Refused(Exception):
    """An answer other than success, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Watch:
    """One waiter's interest in one task. `deliver` may be called from any thread; `wait` blocks
    the calling thread, `wait_async` the calling event loop (woken with call_soon_threadsafe)."""

    def __init__(self, receiver: Receiver, key: tuple[str, str]) -> None:
        self._receiver = receiver
        self.key = key
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
        self._receiver._unwatch(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_secret(secret: str | bytes | None) -> bytes:
    if secret is None:
        return secrets.token_bytes(32)
    raw = secret.encode() if isinstance(secret, str) else secret
    if not isinstance(raw, bytes) or len(raw) < _MIN_SECRET:
        raise InvalidRequestError(
            f"secret: must be at least {_MIN_SECRET} bytes of str or bytes", field="secret"
        )
    return raw


class Receiver:
    """An ASGI app receiving crun's and Apikley's completion callbacks at `public_url`.

    - `callback_url(provider)` mints the URL to create a task with: ``<public_url>/<provider>/
      <nonce>.<mac>``, the mac an HMAC of provider and nonce under `secret`, so a POST to a URL
      the receiver did not mint is refused (403). Several processes behind one `public_url` must
      share `secret` (without one, each process draws its own and its URLs die with it).
    - Apikley's callbacks must carry a valid kie.ai signature when `webhook_key` is set (401).
    - Every callback is confirmed with one `get_task` through the client given for its provider
      (`clients=` or `add_client`): the body is only the provider's claim, and a non-final one
      just triggers that re-read. When the answer names the callback URL the task was created
      with, it must be the URL the callback came to (403 otherwise).
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
      the fallback for a lost callback.

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
    ) -> None:
        self.public_url = check_url(public_url, "public_url").rstrip("/")
        self._secret = _check_secret(secret)
        self.handler = handler
        self._clients: dict[str, AvatarClient | AsyncAvatarClient] = {}
        for client in clients:
            self.add_client(client)
        if webhook_key is not None and not webhook_key:
            raise InvalidRequestError("webhook_key: empty (anyone could sign)", field="webhook_key")
        self._webhook_key = webhook_key
        self.seen: SeenStore = seen if seen is not None else MemorySeenStore()
        if not (isinstance(max_body, int) and max_body > 0):
            raise InvalidRequestError("max_body: must be a positive integer", field="max_body")
        self.max_body = max_body
        self.max_confirmations = positive_int("max_confirmations", max_confirmations)
        self.tolerance = check_tolerance(tolerance)
        poll = positive_seconds("poll_interval", poll_interval)
        self.fallback_backoff = Backoff(poll, factor=2.0, maximum=10 * poll, jitter=0.1)
        self.delivery_ttl = positive_seconds("delivery_ttl", delivery_ttl)
        self.read_timeout = positive_seconds("read_timeout", read_timeout)
        self._lock = threading.Lock()
        self._watches: dict[tuple[str, str], list[Watch]] = {}
        self._recent: OrderedDict[tuple[str, str], Task] = OrderedDict()
        self._inflight: dict[tuple[str, str, str], asyncio.Task[tuple[int, str]]] = {}
        self._per_url: dict[tuple[str, str], int] = {}  # deliveries in flight per URL token
        self._bound: OrderedDict[tuple[str, str], str] = OrderedDict()  # token -> its task id
        self._task_locks: dict[tuple[int, str, str], tuple[asyncio.Lock, int]] = {}
        self._limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._executor: ThreadPoolExecutor | None = None
        self.handed_on = 0  # tasks given to the handler

    def __repr__(self) -> str:
        # Neither the secret nor the webhook key.
        return f"Receiver(public_url={self.public_url!r}, providers={sorted(self._clients)})"

    # --- configuration ------------------------------------------------------------------

    def close(self) -> None:
        """Stops the receiver's confirmation threads (a read under way finishes by itself)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def add_client(self, client: AvatarClient | AsyncAvatarClient) -> None:
        """The client that confirms callbacks of its provider (one per provider)."""
        self._clients[client.provider] = client

    def callback_url(self, provider: Provider | str) -> str:
        """A fresh callback URL for one task of `provider`, which only this receiver (or one
        with the same secret) accepts."""
        name = adapter_class(provider).name
        nonce = secrets.token_urlsafe(_NONCE_BYTES)
        return f"{self.public_url}/{name}/{nonce}.{self._mac(name, nonce)}"

    def _mac(self, provider: str, nonce: str) -> str:
        message = f"kling-avatar callback\n{provider}\n{nonce}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:_MAC_CHARS]

    def _check_token(self, provider: str, token: str) -> None:
        nonce, dot, mac = token.partition(".")
        if not (dot and 0 < len(nonce) <= 64 and nonce.isascii() and mac.isascii()):
            raise _Refused(403, "not a callback URL this receiver minted")
        if not hmac.compare_digest(mac.encode(), self._mac(provider, nonce).encode()):
            raise _Refused(403, "not a callback URL this receiver minted")

    # --- waking waiters -----------------------------------------------------------------

    def watch(self, provider: str, task_id: str) -> Watch:
        """A subscription to `task_id`'s confirmed completion (already woken if it came)."""
        key = (str(provider), str(task_id))
        watch = Watch(self, key)
        with self._lock:
            self._watches.setdefault(key, []).append(watch)
            done = self._recent.get(key)
        if done is not None:
            watch.deliver(done)
        return watch

    def _unwatch(self, watch: Watch) -> None:
        with self._lock:
            watches = self._watches.get(watch.key, [])
            if watch in watches:
                watches.remove(watch)
            if not watches:
                self._watches.pop(watch.key, None)

    def _wake(self, task: Task) -> None:
        key = (task.provider, task.id)
        with self._lock:
            self._recent[key] = task
            self._recent.move_to_end(key)
            while len(self._recent) > _RECENT_TASKS:
                self._recent.popitem(last=False)
            watches = list(self._watches.get(key, []))
        for watch in watches:
            watch.deliver(task)

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
            status, message = await self._serve(scope, receive)
        except _Refused as refused:
            status, message = refused.status, refused.message
            logger.info("callback refused (%d): %s", status, message)
        body = json.dumps({"code": status, "msg": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        if status == 405:
            headers.append((b"allow", b"POST"))
        elif status in (429, 503):
            headers.append((b"retry-after", b"%d" % _RETRY_AFTER))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _serve(self, scope: Scope, receive: Receive) -> tuple[int, str]:
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        if root and path.startswith(root):  # Starlette's Mount keeps the full path
            path = path[len(root) :]
        parts = [part for part in path.split("/") if part]
        if len(parts) != 2 or parts[0] not in PROVIDERS:
            raise _Refused(404, "no such callback endpoint")
        if scope.get("method") != "POST":
            raise _Refused(405, "callbacks are POSTed")
        provider, token = parts
        self._check_token(provider, token)
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
        body = await self._read_body(headers, receive)
        return await self._deliver(provider, body, headers, token)

    async def _read_body(self, headers: list[tuple[bytes, bytes]], receive: Receive) -> bytes:
        try:
            return await read_body(headers, receive, limit=self.max_body, within=self.read_timeout)
        except BodyRefused as refused:
            raise _Refused(refused.status, refused.message) from None

    # --- one delivery -------------------------------------------------------------------

    async def _deliver(
        self, provider: str, body: bytes | str, headers: Headers, token: str
    ) -> tuple[int, str]:
        """Handles one callback body (already past the URL token check): the HTTP status and
        message to answer, or _Refused."""
        try:
            task_id = check_task_id(callback_task_id(provider, body))
        except (UnexpectedResponseError, InvalidRequestError) as error:
            raise _Refused(400, f"malformed callback: {error.message}") from None
        if len(task_id) > 200:
            raise _Refused(400, "malformed callback: the task id is too long")
        if provider == "apikley" and self._webhook_key is not None:
            try:
                verify_callback_signature(
                    body, headers, self._webhook_key, tolerance=self.tolerance, provider=provider
                )
            except InvalidSignatureError as error:
                raise _Refused(401, error.message) from None
        with self._lock:
            bound = self._bound.get((provider, token))
        if bound is not None and bound != task_id:
            # The provider already told us which task this URL was created with.
            raise _Refused(403, "this callback URL was minted for another task")
        try:
            claimed: Task | None = parse_callback(provider, body)
        except AvatarError:
            claimed = None  # re-read below all the same: the API, not the body, decides
        # A retry of a delivery already handed on costs no read (a forged body claiming so
        # can only get that acknowledgement).
        if (
            claimed is not None
            and claimed.done
            and await self._seen_call("__contains__", _delivery_key(claimed))
        ):
            return 200, "duplicate"
        # A retry that comes while the first delivery is still being confirmed (the provider
        # gave up waiting for our answer) shares that delivery's one read and one hand-on.
        key = (provider, task_id, token)
        running = self._inflight.get(key)
        if running is not None and running.get_loop() is asyncio.get_running_loop():
            status, message = await asyncio.shield(running)
            return (200, "duplicate") if status == 200 else (status, message)
        url = (provider, token)
        with self._lock:
            if self._per_url.get(url, 0) >= _PER_URL_CONFIRMATIONS:
                refused = True
            else:
                refused = False
                self._per_url[url] = self._per_url.get(url, 0) + 1
        if refused:
            raise _Refused(429, "too many callbacks in flight for this URL; retry later")
        running = asyncio.ensure_future(self._confirm_and_hand_on(provider, task_id, token))
        running.add_done_callback(lambda _: self._release_url(url))
        self._inflight[key] = running
        try:
            return await asyncio.shield(running)
        finally:
            if running.done():
                self._inflight.pop(key, None)
            else:  # this request was cancelled; the delivery goes on and cleans up after
                running.add_done_callback(lambda _: self._inflight.pop(key, None))

    def _release_url(self, url: tuple[str, str]) -> None:
        with self._lock:
            left = self._per_url.get(url, 1) - 1
            if left > 0:
                self._per_url[url] = left
            else:
                self._per_url.pop(url, None)

    def _bind(self, provider: str, token: str, task_id: str) -> None:
        with self._lock:
            self._bound[(provider, token)] = task_id
            self._bound.move_to_end((provider, token))
            while len(self._bound) > _RECENT_TASKS:
                self._bound.popitem(last=False)

    async def _confirm_and_hand_on(
        self, provider: str, task_id: str, token: str
    ) -> tuple[int, str]:
        async with self._one_read_per_task(provider, task_id):
            task = await self._confirm(provider, task_id)
        registered = adapter_class(provider)().registered_callback_url(task)
        if registered is not None:
            if _token_of(registered) != token:
                # The provider says the task was created with another URL: a leaked URL can
                # speak only for its own task.
                raise _Refused(403, "this callback URL was minted for another task")
            self._bind(provider, token, task_id)
        if not task.done:
            return 202, f"task {task_id} is not finished yet ({task.provider_state})"
        return await self._hand_on(task)

    async def _hand_on(self, task: Task) -> tuple[int, str]:
        """Gives a confirmed final task to the handler unless a final state of it already was."""
        key = _delivery_key(task)
        if await self._seen_call("__contains__", key):
            self._wake(task)
            return 200, "duplicate"
        # One delivery of a task at a time, across every receiver sharing `seen`: it stays
        # unmarked until the handler has taken it, so a retry meanwhile must not pass it.
        claim = f"handing:{task.provider}:{task.id}"
        if not await self._seen_call("add", claim, _CLAIM_TTL):
            raise _Refused(503, f"task {task.id} is being handed on; retry later")
        try:
            first = await self._handed_on_as(task)
            if first is not None and first is not task.state:
                logger.warning(
                    "provider contract breach: %s task %r was handed on as %s and is now "
                    "confirmed %s; the first final state stands, not handed on again",
                    task.provider,
                    task.id,
                    first.value,
                    task.state.value,
                )
                return 200, f"duplicate (handed on as {first.value} already)"
            self._wake(task)
            if first is not None:
                return 200, "duplicate"
            if self.handler is not None:
                try:
                    await _call_handler(self.handler, task)
                except TaskNotKnownYet:
                    logger.info("the handler does not know task %r yet; asked for a retry", task.id)
                    raise _Refused(
                        503, f"task {task.id} is not known here yet; retry later"
                    ) from None
                except Exception:
                    logger.exception("the callback handler failed on task %r", task.id)
                    raise _Refused(500, "the handler failed; retry later") from None
            # Marked only now: had the process died in the handler, the retry is handed on.
            await self._seen_call("add", key, self.delivery_ttl)
            self.handed_on += 1
            return 200, "success"
        finally:
            with contextlib.suppress(_Refused):  # unreleased, it expires by itself
                await self._seen_call("discard", claim)

    async def _handed_on_as(self, task: Task) -> TaskState | None:
        for state in (task.state, *(s for s in _FINAL_STATES if s is not task.state)):
            if await self._seen_call("__contains__", _delivery_key(task, state)):
                return state
        return None

    @contextlib.asynccontextmanager
    async def _one_read_per_task(self, provider: str, task_id: str) -> AsyncIterator[None]:
        # Reads of one task wait for each other (a fresh read each, never one started before
        # this callback came: that could be from before the task finished).
        key = (id(asyncio.get_running_loop()), provider, task_id)
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

    async def _seen_call(self, method: str, *args: object) -> Any:
        call = getattr(self.seen, method)
        try:
            if getattr(self.seen, "blocking", True):
                return await asyncio.to_thread(call, *args)
            return call(*args)
        except AvatarError as error:
            raise _Refused(503, error.message) from None

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.max_confirmations, thread_name_prefix="kling-receiver-confirm"
                )
            return self._executor

    def _limit(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._lock:
            limit = self._limits.get(loop)
            if limit is None:
                limit = self._limits[loop] = asyncio.Semaphore(self.max_confirmations)
            return limit

    async def _confirm(self, provider: str, task_id: str) -> Task:
        client = self._clients.get(provider)
        if client is None:
            raise _Refused(503, f"no {provider} client to confirm callbacks with")
        try:
            async with self._limit():
                if inspect.iscoroutinefunction(client.get_task):
                    task = await client.get_task(task_id)
                else:  # a blocking client: off the event loop, on the receiver's own threads
                    read = functools.partial(client.get_task, task_id)
                    task = await asyncio.get_running_loop().run_in_executor(self._pool(), read)
        except (NotFoundError, InvalidRequestError):
            raise _Refused(400, f"the provider has no task {task_id!r}") from None
        except AvatarError as error:
            raise _Refused(
                503, f"could not confirm with the provider: {type(error).__name__}"
            ) from None
        if not isinstance(task, Task) or task.id != task_id:
            raise _Refused(503, "the provider answered about another task")
        return task


async def _call_handler(handler: Handler, task: Task) -> None:
    # A blocking handler (a database write, say) must not stall the loop serving callbacks.
    if inspect.iscoroutinefunction(handler):
        await handler(task)
        return
    result = await asyncio.to_thread(handler, task)
    if inspect.isawaitable(result):
        await result


def _token_of(url: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    return path.rstrip("/").rsplit("/", 1)[-1]


def _delivery_key(task: Task, state: TaskState | None = None) -> str:
    return f"delivery:{task.provider}:{task.id}:{(state or task.state).value}"


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
