"""What a callback receiver does with one callback, as flows (`_steps`): no I/O of its own.

The receiver (`_receiver.Receiver`, the ASGI app) checks the URL's token (`Tokens`), reads the
body within its bounds, and drives three flows with `_drive.run_async`, keeping between them only
what is concurrent by nature (a retry sharing the delivery in flight, one read of a task at a
time):

- `Deliveries.admit`: the body read as a callback (the task id it names), its signature checked
  where the provider signs callbacks (with the provider's published keys, fetched through its
  client and kept, where it signs so; a replay of such a signed callback refused), the URL held
  to the task it was confirmed for, and a retry of a delivery already handed on answered at
  once;
- `Deliveries.confirm`: the task read back through the client of its provider, with that
  client's own flow (`_flows.get`: in this flow for an async client; for a blocking one,
  `run_sync` of it on the receiver's threads), and the URL checked against the one the provider
  says the task was created with; a callback whose body the provider signed (a
  `PublishedKeySigning`) is the provider's word and needs no read;
- `Deliveries.hand_on`: a confirmed final task woken to local waits and given to the handler
  once, across every receiver sharing the seen store.

A refusal is `Refused`: the HTTP status and message the receiver answers.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import inspect
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar, cast
from urllib.parse import urlsplit

import attrs

from . import _flows as flows
from ._callbacks import (
    Headers,
    callback_task_id,
    check_tolerance,
    header_map,
    parse_callback,
    verify_callback_signature,
    verify_published_signature,
)
from ._drive import run_sync
from ._exceptions import (
    AvatarError,
    InvalidRequestError,
    InvalidSignatureError,
    NotFoundError,
    UnexpectedResponseError,
)
from ._inputs import check_task_id, positive_seconds
from ._models import Task, TaskState
from ._providers import adapter_class
from ._seen import SeenStore
from ._signatures import PublishedKeySigning
from ._steps import Call, Flow, Notify
from ._transport import AsyncChannel

if TYPE_CHECKING:
    from ._async_client import AsyncAvatarClient
    from ._client import AvatarClient

__all__ = [
    "DUPLICATE",
    "Answer",
    "Deliveries",
    "Delivery",
    "Handler",
    "Refused",
    "TaskNotKnownYet",
    "Tokens",
]

T = TypeVar("T")
logger = logging.getLogger("kling_avatar.receiver")


class NonceHandler(Protocol):
    """A handler that also takes the nonce of the callback URL the task's callback came to."""

    def __call__(self, task: Task, *, nonce: str) -> object: ...


Handler: TypeAlias = Callable[[Task], object] | Callable[[Task], Awaitable[object]] | NonceHandler

# How long one delivery may hold its task's hand-on claim (the handler's time included) before
# another process may take it over: a claim left by a process that died expires by itself.
_CLAIM_TTL = 600.0
_FINAL_STATES = (TaskState.SUCCEEDED, TaskState.FAILED)
_RECENT_BINDINGS = 4096  # callback URLs remembered with the task each was confirmed for
_MAX_TASK_ID = 200
_NONCE_BYTES = 12
_MAC_CHARS = 32  # 192 bits of base64url
_MIN_SECRET = 16
_ANOTHER_TASK = "this callback URL was minted for another task"
# A provider's published keys are fetched again when none verifies a signature, at most this
# often: a key rotated in shows up, and forged callbacks cannot make a fetch each.
_KEYS_REFRESH = 60.0


class TaskNotKnownYet(AvatarError):
    """Raised by a receiver's handler for a task it has no record of yet: the provider's
    callback came before the creation's answer was stored. The delivery is not marked seen and
    is answered 503 with Retry-After, so the provider sends it again and the retry, once the
    task is known, is handed on."""


@attrs.frozen
class Answer:
    """What the receiver answers a callback: an HTTP status and a message."""

    status: int
    message: str


DUPLICATE = Answer(200, "duplicate")


class Refused(Exception):
    """An answer other than success, raised out of a flow."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.answer = Answer(status, message)


@attrs.frozen
class Delivery:
    """A callback admitted for confirmation: the task it names, at the URL it came to; `signed`
    the task its body says, when the provider signed the body (then no read confirms it)."""

    provider: str
    task_id: str
    token: str
    signed: Task | None = attrs.field(default=None, eq=False)


def _check_secret(secret: str | bytes | None) -> bytes:
    if secret is None:
        return secrets.token_bytes(32)
    raw = secret.encode() if isinstance(secret, str) else secret
    if not isinstance(raw, bytes) or len(raw) < _MIN_SECRET:
        raise InvalidRequestError(
            f"secret: must be at least {_MIN_SECRET} bytes of str or bytes", field="secret"
        )
    return raw


class Tokens:
    """The last part of a callback URL: ``<nonce>.<mac>``, the mac an HMAC of the provider and
    the nonce under the receiver's secret (a fresh one drawn when None is given)."""

    def __init__(self, secret: str | bytes | None) -> None:
        self.secret = _check_secret(secret)  # shared by every process behind one public URL

    def __repr__(self) -> str:
        return "Tokens()"  # never the secret

    def mint(self, provider: str) -> tuple[str, str]:
        """A fresh token for `provider`, and its nonce."""
        nonce = secrets.token_urlsafe(_NONCE_BYTES)
        return f"{nonce}.{self._mac(provider, nonce)}", nonce

    def check(self, provider: str, token: str) -> None:
        """Refuses (403) a token this secret did not mint for `provider`."""
        nonce, dot, mac = token.partition(".")
        if not (dot and 0 < len(nonce) <= 64 and nonce.isascii() and mac.isascii()):
            raise Refused(403, "not a callback URL this receiver minted")
        if not hmac.compare_digest(mac.encode(), self._mac(provider, nonce).encode()):
            raise Refused(403, "not a callback URL this receiver minted")

    def _mac(self, provider: str, nonce: str) -> str:
        message = f"kling-avatar callback\n{provider}\n{nonce}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:_MAC_CHARS]


class Deliveries:
    """The receiver's rules for callbacks, each a flow (see the module's docstring).

    `clients` confirm callbacks, one per provider. `wake` is told of every task confirmed final
    (the receiver wakes the local waits on it); `in_threads` drives a blocking client's read
    (`run_sync` of it) off the event loop, on the receiver's own threads.
    """

    def __init__(
        self,
        *,
        handler: Handler | None,
        seen: SeenStore,
        webhook_key: str | bytes | None,
        tolerance: float,
        delivery_ttl: float,
        wake: Callable[[Task], object],
        in_threads: Callable[[Flow[Any]], Awaitable[Any]],
    ) -> None:
        if webhook_key is not None and not webhook_key:
            raise InvalidRequestError("webhook_key: empty (anyone could sign)", field="webhook_key")
        self.handler = handler
        self.seen = seen
        self.webhook_key = webhook_key
        self.tolerance = check_tolerance(tolerance)
        self.delivery_ttl = positive_seconds("delivery_ttl", delivery_ttl)
        self.clients: dict[str, AvatarClient | AsyncAvatarClient] = {}
        self.handed_on = 0  # tasks given to the handler
        self._wake = wake
        self._in_threads = in_threads
        # URL -> the task the provider said it was created for. Each step is one call on the
        # OrderedDict (atomic) and any interleaving of them leaves a valid map: the loops of
        # several threads share it without a lock.
        self._bound: OrderedDict[tuple[str, str], str] = OrderedDict()
        # provider -> (when fetched, its published keys), for the providers that sign with them.
        self._key_sets: dict[str, tuple[float, tuple[bytes, ...]]] = {}

    # --- the flows ----------------------------------------------------------------------

    def admit(
        self, provider: str, token: str, body: bytes, headers: Headers
    ) -> Flow[Delivery | Answer]:
        """The callback to confirm, or the answer when it needs no confirmation."""
        try:
            task_id = check_task_id(callback_task_id(provider, body))
        except (UnexpectedResponseError, InvalidRequestError) as error:
            raise Refused(400, f"malformed callback: {error.message}") from None
        if len(task_id) > _MAX_TASK_ID:
            raise Refused(400, "malformed callback: the task id is too long")
        signing = adapter_class(provider).signs_callbacks
        signed: Task | None = None
        if isinstance(signing, PublishedKeySigning):
            signed = yield from self._signed(provider, task_id, body, headers, signing)
        elif self.webhook_key is not None and signing:
            try:
                verify_callback_signature(
                    body, headers, self.webhook_key, tolerance=self.tolerance, provider=provider
                )
            except InvalidSignatureError as error:
                raise Refused(401, error.message) from None
        bound = self._bound.get((provider, token))
        if bound is not None and bound != task_id:
            # The provider already told us which task this URL was created with.
            raise Refused(403, _ANOTHER_TASK)
        claimed: Task | None = signed
        if claimed is None:
            try:
                claimed = parse_callback(provider, body)
            except AvatarError:
                claimed = None  # confirmed all the same: the API, not the body, decides
        # A retry of a delivery already handed on costs no read (a forged body claiming so
        # can only get that acknowledgement).
        if (
            claimed is not None
            and claimed.done
            and (yield from self._store(self.seen.__contains__, delivery_key(claimed)))
        ):
            return DUPLICATE
        return Delivery(provider, task_id, token, signed)

    def confirm(self, delivery: Delivery) -> Flow[Task]:
        """The task as the provider's API reports it now (the body is only its claim), or as
        the body says when the provider signed the body itself."""
        if delivery.signed is not None:
            return delivery.signed
        provider, task_id = delivery.provider, delivery.task_id
        client = self.clients.get(provider)
        if client is None:
            raise Refused(503, f"no {provider} client to confirm callbacks with")
        session = client.session
        try:
            task = yield from self._through(client, flows.get(session, task_id))
        except (NotFoundError, InvalidRequestError):
            raise Refused(400, f"the provider has no task {task_id!r}") from None
        except AvatarError as error:
            raise Refused(
                503, f"could not confirm with the provider: {type(error).__name__}"
            ) from None
        if not isinstance(task, Task) or task.id != task_id:
            raise Refused(503, "the provider answered about another task")
        registered = session.adapter.registered_callback_url(task)
        if registered is not None:
            if _token_of(registered) != delivery.token:
                # The provider says the task was created with another URL: a leaked URL can
                # speak only for its own task.
                raise Refused(403, _ANOTHER_TASK)
            self._bind(provider, delivery.token, task_id)
        return task

    def hand_on(self, task: Task, nonce: str = "") -> Flow[Answer]:
        """Gives a confirmed final task to the handler unless a final state of it already was;
        `nonce` is the one of the callback URL it came to (for a handler that takes it)."""
        if not task.done:
            return Answer(202, f"task {task.id} is not finished yet ({task.provider_state})")
        key = delivery_key(task)
        if (yield from self._store(self.seen.__contains__, key)):
            yield Notify(self._wake, task)
            return DUPLICATE
        # One delivery of a task at a time, across every receiver sharing `seen`: it stays
        # unmarked until the handler has taken it, so a retry meanwhile must not pass it.
        claim = f"handing:{task.provider}:{task.id}"
        if not (yield from self._store(self.seen.add, claim, _CLAIM_TTL)):
            raise Refused(503, f"task {task.id} is being handed on; retry later")
        # Released however the hand-on ends; a flow closed unfinished (its receiver stopped)
        # leaves the claim to expire by itself.
        try:
            answer = yield from self._claimed(task, key, nonce)
        except Exception:
            yield from self._release(claim)
            raise
        yield from self._release(claim)
        return answer

    # --- their parts ----------------------------------------------------------------------

    def _through(self, client: AvatarClient | AsyncAvatarClient, flow: Flow[T]) -> Flow[T]:
        """One of `client`'s flows: an async client's on the serving loop, a blocking one's
        off it, on the receiver's threads."""
        if isinstance(client.session.channel, AsyncChannel):
            return (yield from flow)
        result: T = yield Call(run_sync, (flow,), self._in_threads)
        return result

    def _signed(
        self,
        provider: str,
        task_id: str,
        body: bytes,
        headers: Headers,
        signing: PublishedKeySigning,
    ) -> Flow[Task | None]:
        """The task a callback signed with the provider's published keys says, once the
        signature is checked (401 otherwise) and the signed callback is new (401 for a replay);
        None when the body, though genuine, does not read as a task (a read confirms it)."""
        keys = yield from self._key_set(provider, signing)
        try:
            verify_published_signature(
                body, headers, keys, provider=provider, tolerance=self.tolerance
            )
        except InvalidSignatureError as error:
            fetched = self._key_sets.get(provider, (0.0, ()))[0]
            if time.monotonic() - fetched < _KEYS_REFRESH:
                raise Refused(401, error.message) from None
            keys = yield from self._key_set(provider, signing, refresh=True)
            try:
                verify_published_signature(
                    body, headers, keys, provider=provider, tolerance=self.tolerance
                )
            except InvalidSignatureError as again:
                raise Refused(401, again.message) from None
        # The same signed callback a second time is a replay: a provider's retry is signed anew.
        stamp = header_map(headers).get(signing.timestamp_header.lower(), "").strip()
        replay = f"signed:{provider}:{task_id}.{stamp}"
        if not (yield from self._store(self.seen.add, replay, 2 * self.tolerance + 1)):
            raise Refused(401, "this signed callback was already received (a replay?)")
        try:
            return parse_callback(provider, body)
        except AvatarError:
            return None

    def _key_set(
        self, provider: str, signing: PublishedKeySigning, *, refresh: bool = False
    ) -> Flow[tuple[bytes, ...]]:
        """The provider's published keys: kept `signing.keys_max_age` at most, fetched through
        its client (a bounded request, without the API key)."""
        kept = self._key_sets.get(provider)
        if kept is not None and not refresh and time.monotonic() - kept[0] < signing.keys_max_age:
            return kept[1]
        client = self.clients.get(provider)
        op = None if client is None else client.session.adapter.callback_keys()
        if client is None or op is None:
            raise Refused(503, f"no {provider} client to fetch its signing keys with")
        try:
            keys = yield from self._through(client, flows.call(client.session, op))
        except AvatarError as error:
            raise Refused(
                503, f"could not fetch the provider's signing keys: {type(error).__name__}"
            ) from None
        self._key_sets[provider] = (time.monotonic(), keys)
        return keys

    def _claimed(self, task: Task, key: str, nonce: str) -> Flow[Answer]:
        first = yield from self._handed_on_as(task)
        if first is not None and first is not task.state:
            logger.warning(
                "provider contract breach: %s task %r was handed on as %s and is now "
                "confirmed %s; the first final state stands, not handed on again",
                task.provider,
                task.id,
                first.value,
                task.state.value,
            )
            return Answer(200, f"duplicate (handed on as {first.value} already)")
        yield Notify(self._wake, task)
        if first is not None:
            return DUPLICATE
        if self.handler is not None:
            try:
                yield from _call(self.handler, task, nonce)
            except TaskNotKnownYet:
                logger.info("the handler does not know task %r yet; asked for a retry", task.id)
                raise Refused(503, f"task {task.id} is not known here yet; retry later") from None
            except Exception:
                logger.exception("the callback handler failed on task %r", task.id)
                raise Refused(500, "the handler failed; retry later") from None
        # Marked only now: had the process died in the handler, the retry is handed on.
        yield from self._store(self.seen.add, key, self.delivery_ttl)
        self.handed_on += 1
        return Answer(200, "success")

    def _handed_on_as(self, task: Task) -> Flow[TaskState | None]:
        for state in (task.state, *(s for s in _FINAL_STATES if s is not task.state)):
            if (yield from self._store(self.seen.__contains__, delivery_key(task, state))):
                return state
        return None

    def _release(self, claim: str) -> Flow[None]:
        with contextlib.suppress(Refused):  # unreleased, it expires by itself
            yield from self._store(self.seen.discard, claim)

    def _store(self, method: Callable[..., T], *args: object) -> Flow[T]:
        """`method` of the seen store called: in a thread for a store that does I/O, at once
        for one that does not; its failure is a 503 (the provider retries)."""
        at_once = None if getattr(self.seen, "blocking", True) else _at_once(method)
        try:
            result: T = yield Call(method, args, at_once)
        except AvatarError as error:
            raise Refused(503, error.message) from None
        return result

    def _bind(self, provider: str, token: str, task_id: str) -> None:
        key = (provider, token)
        self._bound.pop(key, None)
        self._bound[key] = task_id
        while len(self._bound) > _RECENT_BINDINGS:
            with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                self._bound.popitem(last=False)


def _call(handler: Handler, task: Task, nonce: str) -> Flow[None]:
    """The handler's call: a coroutine function awaited on the serving loop (`Notify`), any
    other in a thread (`Call`): a blocking handler (a database write, say) must not stall the
    loop serving callbacks. A handler with a `nonce` parameter is given the URL's nonce."""
    call = cast(
        Callable[[Task], object],
        functools.partial(cast(Any, handler), nonce=nonce) if _takes_nonce(handler) else handler,
    )
    if inspect.iscoroutinefunction(handler):
        yield Notify(call, task)
        return
    result = yield Call(call, (task,))
    if inspect.isawaitable(result):
        yield Notify(_itself, result)  # a Notify awaits what its callback returns


def _takes_nonce(handler: Handler) -> bool:
    try:
        parameter = inspect.signature(handler).parameters.get("nonce")
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return False
    return parameter is not None and parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )


def _itself(value: T) -> T:
    return value


def _at_once(method: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    async def called(*args: object) -> T:
        return method(*args)

    return called


def _token_of(url: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    return path.rstrip("/").rsplit("/", 1)[-1]


def delivery_key(task: Task, state: TaskState | None = None) -> str:
    """The seen store's key of `task` handed on in `state` (by default its own)."""
    return f"delivery:{task.provider}:{task.id}:{(state or task.state).value}"
