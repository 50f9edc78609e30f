"""One client over several providers: failover that never pays twice, and shared rate limits.

`AvatarRouter` and `AsyncAvatarRouter` hold one `AvatarClient` / `AsyncAvatarClient` per
provider and route each creation to the first provider able to take it. The routing rule is
written once, here, as flows in the style of `_base_client`: they yield the steps of the chosen
client's own flows (tagged with the provider, so the driver sends them with that client), plus
the router's own steps (rate-limit slots, route events). Both routers only drive these flows.

The failover rule: move on only when the answer proves that no task was created. An answer
that names a task (a task id anywhere in it, whatever its HTTP status or body code says) proves
nothing of the kind: the task may exist, and the error raised carries its id (`task_id`).

=====================================  =====================================================
At creation, the provider ...          the router ...
=====================================  =====================================================
402 insufficient credits               tries the next provider
429 rate limited                       tries the next provider
455 maintenance                        tries the next provider
505 feature disabled                   tries the next provider
an answer its provider reads so        tries the next provider (the error's `no_task_reason`:
                                       a locked account, a start deadline passed, ...)
connection never made                  tries the next provider (after the client's retries)
timeout / answer lost after sending    raises; the message says the task may exist
5xx, 503, an undecodable answer        raises; the message says the task may exist
422 / 400 refused input, 401, 404      raises (it would fail everywhere, or is a setup error)
any of these, naming a task id         raises; the error's `task_id` is that id (may exist)
task failed after acceptance           raises GenerationFailedError, unless `rerun_failed`
=====================================  =====================================================

Once a task is created, nothing that follows hides it (`_created`): freeing the rate-limit slot
cannot fail the call (a store failure then is logged; the slot frees itself within the lease),
and anything else that fails afterwards (the caller's `on_route` / `on_update`, the wait's
requests) raises `TaskCreatedError` carrying the task, unless the error carries it already
(`WaitTimeoutError`, `GenerationFailedError`).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Generic, Literal, Self, TypeAlias, TypeVar

import attrs
import httpx

from . import _flows as flows
from ._async_client import AsyncAvatarClient, local_media, local_upload
from ._base_client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, DEFAULT_WAIT_TIMEOUT
from ._client import AvatarClient
from ._drive import run_async, run_sync
from ._exceptions import (
    TRANSIENT,
    APIConnectionError,
    AuthenticationError,
    AvatarError,
    FeatureDisabledError,
    GenerationFailedError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    WaitTimeoutError,
)
from ._flows import OnUpdate
from ._inputs import Media, TaskInput, check_task_id, check_task_input
from ._models import Provider, Task
from ._providers import PROVIDERS, adapter_class
from ._ratelimit import (
    LEASE,
    MemoryRateLimitStore,
    RateLimit,
    RateLimiterError,
    RateLimitStore,
    account_key,
    checked_wait,
)
from ._redact import cut
from ._steps import Call, Clock, Done, Flow, Notify, Send, Sleep, advance
from ._uploads import FileSource, UploadFile, prepare_upload

__all__ = [
    "AsyncAvatarRouter",
    "AvatarRouter",
    "DeadlineExceededError",
    "NoProviderError",
    "RouteEvent",
    "TaskCreatedError",
    "failover_reason",
]

T = TypeVar("T")
ClientT = TypeVar("ClientT", AvatarClient, AsyncAvatarClient)
TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)
logger = logging.getLogger("kling_avatar")

Prefer: TypeAlias = Literal["priority", "price", "credits"]
DEFAULT_COOLDOWN = 60.0

# The answers to a creation that prove no task was made: (the class it must be, what it means).
_NO_TASK: dict[int, tuple[type[AvatarError], str]] = {
    402: (InsufficientCreditsError, "insufficient credits"),
    429: (RateLimitError, "rate limited"),
    455: (ServiceUnavailableError, "under maintenance"),
    505: (FeatureDisabledError, "feature disabled"),
}
# Definite answers that are not worth trying elsewhere: the input or the setup is at fault.
_REFUSED: tuple[type[AvatarError], ...] = (
    InvalidRequestError,
    AuthenticationError,
    NotFoundError,
    GenerationFailedError,
)


def failover_reason(error: AvatarError) -> str | None:
    """Why `error`, answered to a task creation, proves that no task was created (the reason
    to try the next provider); None when it does not. An answer that names a task never does."""
    if error.task_id is not None:
        return None
    if isinstance(error, APIConnectionError):
        return None if error.request_sent else "connection never made"
    if error.no_task_reason:  # the provider's own reading of its answer
        return error.no_task_reason
    known = _NO_TASK.get(error.code) if error.code is not None else None
    if known is not None and isinstance(error, known[0]):
        return f"{known[1]} ({error.code})"
    return None


def _upload_failover_reason(error: AvatarError) -> str | None:
    # Nothing is paid before the creation, so any transient failure of an upload may move on;
    # a file refused here would be refused everywhere.
    reason = failover_reason(error)
    if reason is None and isinstance(error, TRANSIENT):
        reason = f"{type(error).__name__}" + (f" ({error.code})" if error.code else "")
    return reason


class NoProviderError(AvatarError):
    """Every provider was skipped; no task was created. `skipped` says who and why."""

    def __init__(self, message: str, *, skipped: Sequence[RouteEvent]) -> None:
        super().__init__(message)
        self.skipped = tuple(skipped)


class DeadlineExceededError(AvatarError, TimeoutError):
    """The call's `deadline` passed before a task was created; no task was created."""


class TaskCreatedError(AvatarError):
    """The task was created (and is paid for), then something after the creation failed: the
    caller's `on_route` or `on_update` raised, or waiting for the task did. `task` is the task
    (`task_id` its id, `provider` where it is); `__cause__` is what failed. Use the task: do not
    create it again."""

    def __init__(self, task: Task, failure: BaseException) -> None:
        what = failure.message if isinstance(failure, AvatarError) else str(failure)
        super().__init__(
            f"task {task.id} was created at {task.provider}, then "
            f"{type(failure).__name__}: {cut(what, 500) or 'no message'}; the task exists"
            " (and is paid for): use it, do not create it again",
            provider=task.provider,
            task_id=task.id,
        )
        self.task = task


@attrs.frozen
class RouteEvent:
    """What the router did at one provider: ``skipped`` it (`reason` says why), ``created``
    the task there (`task`), or is ``rerun``ning a failed task elsewhere."""

    provider: Provider
    kind: Literal["skipped", "created", "rerun"]
    reason: str = ""
    task: Task | None = None
    error: AvatarError | None = attrs.field(default=None, repr=False, eq=False)


OnRoute: TypeAlias = Callable[[RouteEvent], object]


RouterFlow: TypeAlias = Flow[T]


@attrs.frozen
class Deadline:
    """The end of one whole call (None: unbounded), across retries, failovers and polls."""

    at: float | None
    clock: Callable[[], float]

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - self.clock()

    def bound(self, seconds: float) -> float:
        left = self.remaining()
        return seconds if left is None else max(0.0, min(seconds, left))


class BaseRouter(Generic[ClientT, TransportT]):
    _client_class: ClassVar[type[Any]]

    def __init__(
        self,
        providers: Sequence[Provider | str] | None = None,
        *,
        api_keys: Mapping[str, str] | None = None,
        base_urls: Mapping[str, str] | None = None,
        prefer: Prefer = "priority",
        prices: Mapping[str, float] | None = None,
        cooldown: float = DEFAULT_COOLDOWN,
        rate_limits: Mapping[str, RateLimit | tuple[int, float] | None] | None = None,
        rate_limit_store: RateLimitStore | None = None,
        rerun_failed: bool = False,
        deadline: float | None = None,
        on_route: OnRoute | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_delay: float = 0.5,
        poll_interval: float | None = None,
        transport: TransportT | None = None,
    ) -> None:
        if providers is None:
            # Every provider a key is given for, in the default order (all of them when none
            # is: the first then says which key is missing).
            given = [
                name
                for name in PROVIDERS
                if (api_keys or {}).get(name) or os.environ.get(adapter_class(name).key_env)
            ]
            providers = given or PROVIDERS
        if isinstance(providers, str) or not providers:
            raise InvalidRequestError(
                f"providers: a non-empty list of {', '.join(map(repr, PROVIDERS))}",
                field="providers",
            )
        names: list[Provider] = [adapter_class(p).name for p in providers]
        if len(set(names)) != len(names):
            raise InvalidRequestError(f"providers: listed twice in {names}", field="providers")
        if prefer not in ("priority", "price", "credits"):
            raise InvalidRequestError(
                f"prefer: 'priority', 'price' or 'credits', got {prefer!r}", field="prefer"
            )
        keys = _per_provider(api_keys, names, "api_keys")
        urls = _per_provider(base_urls, names, "base_urls")
        self.providers: tuple[Provider, ...] = tuple(names)
        self.prefer: Prefer = prefer
        self.prices = {
            name: _number(price, f"prices[{name!r}]")
            for name, price in _per_provider(prices, names, "prices").items()
        }
        self.cooldown = _number(cooldown, "cooldown")
        self.rerun_failed = rerun_failed
        self.deadline = deadline
        self.on_route = on_route
        self.rate_limit_store: RateLimitStore = rate_limit_store or MemoryRateLimitStore()
        limits: dict[Provider, RateLimit | None] = {
            n: adapter_class(n).default_rate_limit for n in names
        }
        for name, limit in _per_provider(rate_limits, names, "rate_limits").items():
            try:
                limits[name] = (
                    limit if limit is None or isinstance(limit, RateLimit) else RateLimit(*limit)
                )
            except (TypeError, ValueError) as exc:
                raise InvalidRequestError(
                    f"rate_limits[{name!r}]: (requests, seconds), {exc}", field="rate_limits"
                ) from None
        self.rate_limits = limits
        self.clients: dict[Provider, ClientT] = {}
        self._accounts: dict[Provider, str] = {}
        for name in names:
            kind = adapter_class(name)
            key = keys.get(name)
            self.clients[name] = self._client_class(
                name,
                api_key=key,
                base_url=urls.get(name),
                timeout=timeout,
                max_retries=max_retries,
                retry_delay=retry_delay,
                poll_interval=poll_interval,
                transport=transport,
            )
            # The client has checked the key; the limiter knows the account by a digest of it.
            self._accounts[name] = account_key(name, key or os.environ.get(kind.key_env, ""))
        self._clock: Callable[[], float] = time.monotonic
        self._time: Clock | None = None  # what the router pauses on (None: the machine's)
        self._failed: dict[Provider, tuple[float, str]] = {}

    def use_clock(self, clock: Clock) -> Self:
        """The router's deadlines and each of its clients on ``clock`` (see the clients')."""
        self._clock = clock.monotonic
        self._time = clock
        for client in self.clients.values():
            client.use_clock(clock)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(providers={list(self.providers)!r}, prefer={self.prefer!r})"

    # --- choosing --------------------------------------------------------------------------

    def _deadline(self, seconds: float | None) -> Deadline:
        seconds = self.deadline if seconds is None else seconds
        if seconds is not None and not seconds > 0:
            raise InvalidRequestError(
                f"deadline: must be positive, got {seconds!r}", field="deadline"
            )
        return Deadline(None if seconds is None else self._clock() + seconds, self._clock)

    def _cool(self, name: Provider, reason: str, retry_after: float | None = None) -> None:
        until = self._clock() + max(self.cooldown, retry_after or 0.0)
        self._failed[name] = (until, reason)

    def _cooling(self, name: Provider) -> str | None:
        entry = self._failed.get(name)
        if entry is None or entry[0] <= self._clock():
            return None
        return f"cooling down for {entry[0] - self._clock():.0f}s after: {entry[1]}"

    def _order(
        self, task: TaskInput, clock: Deadline, skips: _Skips, exclude: frozenset[Provider]
    ) -> RouterFlow[list[Provider]]:
        names = [n for n in self.providers if n not in exclude]
        ready = [n for n in names if self._cooling(n) is None]
        if ready:
            for name in names:
                if (why := self._cooling(name)) is not None:
                    yield from skips.add(name, why)
        else:
            ready = names  # every provider failed recently: try them all anyway, in order
        if self.prefer == "priority" or len(ready) < 2:
            return ready
        ranked: list[tuple[bool, float, int, Provider]] = []
        for index, name in enumerate(ready):
            if self.prefer == "price":
                value = yield from self._price(name, task, clock, skips)
            else:
                value = yield from self._balance(name, clock, skips)
            if value is not False:
                ranked.append((value is None, float(value or 0.0), index, name))
        return [name for *_, name in sorted(ranked)]

    def _price(
        self, name: Provider, task: TaskInput, clock: Deadline, skips: _Skips
    ) -> RouterFlow[float | Literal[False] | None]:
        """The task's price at `name` (None: unknown; False: it cannot pay, skipped)."""
        if name in self.prices:
            return float(self.prices[name])
        # The price depends on the mode, not on the media; a local file is not uploaded just
        # to be priced.
        session = self.clients[name].session
        estimate = flows.estimate(session, task, _priced_url(task.image), _priced_url(task.audio))
        try:
            answer = yield from self._via(name, estimate, clock)
        except AvatarError as error:
            logger.info("router: no estimate from %s: %s", name, error)
            return None
        if answer is None:
            return None
        price, affordable = answer
        if affordable is False:
            yield from skips.add(name, f"insufficient credits (estimate: {price:g})")
            return False
        return price

    def _balance(
        self, name: Provider, clock: Deadline, skips: _Skips
    ) -> RouterFlow[float | Literal[False] | None]:
        """Minus the credits left at `name` (None: unknown; False: none left, skipped)."""
        try:
            credits = yield from self._via(name, flows.credits(self.clients[name].session), clock)
        except AvatarError as error:
            logger.info("router: no balance from %s: %s", name, error)
            return None
        if credits <= 0:
            yield from skips.add(name, f"no credits left (balance {credits:g})")
            return False
        return -credits

    # --- the flows ---------------------------------------------------------------------------

    def _via(
        self, name: Provider, flow: Flow[T], clock: Deadline, *, task_id: str = ""
    ) -> RouterFlow[T]:
        """Runs one of `name`'s flows (`_flows`), its requests and pauses bounded by `clock`."""
        client = self.clients[name]
        reply: object = None
        error: BaseException | None = None
        try:
            while not isinstance(step := advance(flow, reply, error), Done):
                reply, error = None, None
                if isinstance(step, Sleep):
                    step = Sleep(clock.bound(step.seconds), step.wake, step.clock)
                elif isinstance(step, Send) and clock.at is not None:
                    left = clock.bound(step.kwargs.get("timeout", client.timeout))
                    if left <= 0:
                        raise self._past_deadline(name, task_id)
                    step = Send(step.channel, step.server, {**step.kwargs, "timeout": left})
                try:
                    reply = yield step
                except Exception as exc:  # a step's failure, for the client's flow to read
                    error = exc
            return step.value
        finally:
            flow.close()

    def _past_deadline(self, name: Provider, task_id: str) -> AvatarError:
        if task_id:
            return WaitTimeoutError(
                f"the call's deadline passed while waiting for task {task_id}",
                provider=name,
                task_id=task_id,
            )
        return DeadlineExceededError(
            "the call's deadline passed before a task was created; no task was created",
            provider=name,
        )

    def _acquire(self, name: Provider, limit: RateLimit, clock: Deadline) -> RouterFlow[str | None]:
        """A rate-limit slot for one creation at `name`, waited for; None when the next slot
        comes after the deadline."""
        token = uuid.uuid4().hex
        while True:
            try:
                store = self.rate_limit_store
                answer = yield Call(
                    store.acquire, (self._accounts[name], limit, token), store.acquire_async
                )
            except AvatarError:
                raise
            except Exception as exc:  # a store of the caller's own: still a typed error
                raise RateLimiterError(
                    f"the rate-limit store failed: {type(exc).__name__}", provider=name
                ) from exc
            # Every store's answer is checked: a number in [0, window], else no slot is taken.
            wait = checked_wait(answer, limit)
            if wait == 0:
                return token
            left = clock.remaining()
            if left is not None and wait > left:
                return None
            logger.debug("router: %s rate limit, next slot in %.2fs", name, wait)
            yield Sleep(wait, clock=self._time)

    def _release(self, name: Provider, limit: RateLimit, token: str) -> RouterFlow[None]:
        """Frees the slot of a creation whose answer is in. It never fails the call: after a
        creation, that would hide the task; after an ambiguous answer, replace its message."""
        try:
            store = self.rate_limit_store
            yield Call(store.release, (self._accounts[name], limit, token), store.release_async)
        except Exception as exc:
            logger.warning(
                "router: could not free the %s rate-limit slot (it frees itself within %g s): %s",
                name,
                LEASE,
                exc,
            )

    def _created(self, task: Task, after: RouterFlow[T]) -> RouterFlow[T]:
        """Runs `after`, everything that follows the creation of `task`: whatever fails there,
        the caller still learns of the task (the one place that guards it)."""
        try:
            return (yield from after)
        except (TaskCreatedError, WaitTimeoutError, GenerationFailedError):
            raise  # these carry the task (or its id) already
        except Exception as exc:
            raise TaskCreatedError(task, exc) from exc
        except BaseException as exc:  # cancelled, interrupted, or the flow closed unfinished
            logger.warning(
                "router: task %s was created at %s; the call ended (%s) before returning it",
                task.id,
                task.provider,
                type(exc).__name__,
            )
            raise

    def _settle(
        self, name: Provider, created: Task, skips: _Skips, slot: tuple[RateLimit, str] | None
    ) -> RouterFlow[Task]:
        """What follows a creation at `name`: the slot freed, the cool-down lifted, the route
        announced."""
        if slot is not None:
            yield from self._release(name, *slot)
        self._failed.pop(name, None)
        yield from skips.created(name, created)
        return created

    def _route(
        self,
        task: TaskInput,
        clock: Deadline,
        on_route: OnRoute | None,
        exclude: frozenset[Provider] = frozenset(),
    ) -> RouterFlow[Task]:
        """Creates the task at the first provider able to take it, never at two."""
        skips = _Skips(on_route or self.on_route)
        order = yield from self._order(task, clock, skips, exclude)
        for name in order:
            session = self.clients[name].session
            try:
                image = yield from self._via(name, flows.media(session, task.image), clock)
                audio = yield from self._via(name, flows.media(session, task.audio), clock)
            except AvatarError as error:
                reason = _upload_failover_reason(error)
                if reason is None:
                    raise
                self._cool(name, f"upload: {reason}", error.retry_after)
                yield from skips.add(name, f"upload failed: {reason}", error)
                continue
            limit = self.rate_limits.get(name)
            token = None
            if limit is not None:
                token = yield from self._acquire(name, limit, clock)
                if token is None:
                    yield from skips.add(name, "rate limit: no slot before the deadline")
                    continue
            slot = None if limit is None or token is None else (limit, token)
            try:
                created = yield from self._via(
                    name, flows.submit(session, task, image, audio), clock
                )
            except AvatarError as error:
                if slot is not None:
                    yield from self._release(name, *slot)
                reason = failover_reason(error)
                if reason is None:
                    if error.task_id is not None or not isinstance(
                        error, (*_REFUSED, DeadlineExceededError)
                    ):
                        self._cool(name, type(error).__name__)
                        named = (
                            ""
                            if error.task_id is None
                            else f" (the answer names task {error.task_id})"
                        )
                        error.message += (
                            f"; the task may have been created at {name}{named}, so it was not"
                            " sent to another provider (look for it before trying again)"
                        )
                    raise
                self._cool(name, reason, error.retry_after)
                yield from skips.add(name, reason, error)
                continue
            return (yield from self._created(created, self._settle(name, created, skips, slot)))
        raise NoProviderError(
            "no provider took the task; no task was created: " + skips.summary(),
            skipped=skips.events,
        ) from (skips.events[-1].error if skips.events else None)

    def _task_input(self, args: tuple[object, object, object, object, object]) -> TaskInput:
        # The longest prompt any of the providers takes: a provider that takes less refuses it.
        longest = max(client.max_prompt for client in self.clients.values())
        return check_task_input(*args, max_prompt=longest)

    def _create_flow(
        self,
        args: tuple[object, object, object, object, object],
        deadline: float | None,
        on_route: OnRoute | None,
    ) -> RouterFlow[Task]:
        clock = self._deadline(deadline)
        return (yield from self._route(self._task_input(args), clock, on_route))

    def _generate_flow(
        self,
        args: tuple[object, object, object, object, object],
        timeout: float,
        on_update: OnUpdate | None,
        deadline: float | None,
        on_route: OnRoute | None,
        rerun_failed: bool | None,
    ) -> RouterFlow[Task]:
        clock = self._deadline(deadline)
        task_input = self._task_input(args)
        rerun = self.rerun_failed if rerun_failed is None else rerun_failed
        tried: set[Provider] = set()
        while True:
            task = yield from self._route(task_input, clock, on_route, frozenset(tried))
            finished = yield from self._created(
                task, self._finish(task, clock, timeout, on_update, on_route, rerun, tried)
            )
            if finished is not None:
                return finished

    def _finish(
        self,
        task: Task,
        clock: Deadline,
        timeout: float,
        on_update: OnUpdate | None,
        on_route: OnRoute | None,
        rerun: bool,
        tried: set[Provider],
    ) -> RouterFlow[Task | None]:
        """Waits for `task`, just created; None when it failed and is to be created again."""
        session = self.clients[task.provider].session
        wait = flows.wait(session, task.id, clock.bound(timeout), on_update)
        try:
            return (yield from self._via(task.provider, wait, clock, task_id=task.id))
        except GenerationFailedError as failed:
            tried.add(task.provider)
            if not rerun or tried.issuperset(self.providers):
                raise
            callback = on_route or self.on_route
            reason = f"task {task.id} failed ({failed.message}); creating it elsewhere"
            logger.info("router: %s: %s", task.provider, reason)
            if callback is not None:
                yield Notify(callback, RouteEvent(task.provider, "rerun", reason, task))
            return None

    def _named(self, task: Task | str, provider: Provider | str | None) -> tuple[Provider, str]:
        """The provider a task lives at, and its id."""
        if isinstance(task, Task):
            name: Provider = task.provider
            if provider is not None and adapter_class(provider).name != name:
                raise InvalidRequestError(
                    f"provider: the task is at {name}, not {provider}", field="provider"
                )
        elif provider is not None:
            name = adapter_class(provider).name
        elif len(self.providers) == 1:
            name = self.providers[0]
        else:
            raise InvalidRequestError(
                "provider: a task id alone does not say where the task is: pass the Task, "
                "or provider=",
                field="provider",
            )
        if name not in self.clients:
            raise InvalidRequestError(
                f"provider: {name} is not one of this router's {list(self.providers)}",
                field="provider",
            )
        return name, check_task_id(task.id if isinstance(task, Task) else task)

    def _get_flow(self, task: Task | str, provider: Provider | str | None) -> RouterFlow[Task]:
        name, task_id = self._named(task, provider)
        return (
            yield from self._via(
                name, flows.get(self.clients[name].session, task_id), Deadline(None, self._clock)
            )
        )

    def _cancel_flow(self, task: Task | str, provider: Provider | str | None) -> RouterFlow[bool]:
        name, task_id = self._named(task, provider)
        return (
            yield from self._via(
                name, flows.cancel(self.clients[name].session, task_id), Deadline(None, self._clock)
            )
        )

    def _wait_flow(
        self,
        task: Task | str,
        provider: Provider | str | None,
        timeout: float,
        on_update: OnUpdate | None,
        not_found_grace: float | None,
        deadline: float | None,
    ) -> RouterFlow[Task]:
        name, task_id = self._named(task, provider)
        clock = self._deadline(deadline)
        session = self.clients[name].session
        wait = flows.wait(session, task_id, clock.bound(timeout), on_update, not_found_grace)
        return (yield from self._via(name, wait, clock, task_id=task_id))

    def _upload_flow(
        self, source: object, content_type: str | None, provider: Provider | str | None
    ) -> RouterFlow[str]:
        file: UploadFile = prepare_upload(source, content_type, field="path_or_bytes")
        names = [adapter_class(provider).name] if provider is not None else list(self.providers)
        skips = _Skips(self.on_route)
        clock = Deadline(None, self._clock)
        for name in names:
            if name not in self.clients:
                raise InvalidRequestError(f"provider: {name} is not one of this router's")
            try:
                upload = flows.upload(self.clients[name].session, file)
                return (yield from self._via(name, upload, clock))
            except AvatarError as error:
                reason = _upload_failover_reason(error)
                if reason is None or provider is not None:
                    raise
                yield from skips.add(name, f"upload failed: {reason}", error)
        raise NoProviderError(
            "no provider took the upload: " + skips.summary(), skipped=skips.events
        )

    def _credits_flow(self, provider: Provider | str) -> RouterFlow[float]:
        name = adapter_class(provider).name
        if name not in self.clients:
            raise InvalidRequestError(f"provider: {name} is not one of this router's")
        return (
            yield from self._via(
                name, flows.credits(self.clients[name].session), Deadline(None, self._clock)
            )
        )


class _Skips:
    """The providers one routing skipped, reported as they happen."""

    def __init__(self, callback: OnRoute | None) -> None:
        self.callback = callback
        self.events: list[RouteEvent] = []

    def add(
        self, name: Provider, reason: str, error: AvatarError | None = None
    ) -> RouterFlow[None]:
        event = RouteEvent(name, "skipped", reason, error=error)
        self.events.append(event)
        logger.info("router: skipped %s: %s", name, reason)
        if self.callback is not None:
            yield Notify(self.callback, event)

    def created(self, name: Provider, task: Task) -> RouterFlow[None]:
        why = f"after skipping {self.summary()}" if self.events else "first choice"
        logger.info("router: %s took task %s (%s)", name, task.id, why)
        if self.callback is not None:
            yield Notify(self.callback, RouteEvent(name, "created", why, task))

    def summary(self) -> str:
        return "; ".join(f"{e.provider}: {e.reason}" for e in self.events) or "none tried"


def _per_provider(
    values: Mapping[str, T] | None, names: Sequence[Provider], what: str
) -> dict[Provider, T]:
    """The entries of a per-provider mapping for this router's providers; a key that names no
    provider at all (a typo) is an error, one for a provider not routed to is ignored."""
    out: dict[Provider, T] = {}
    for key, value in (values or {}).items():
        try:
            name = adapter_class(key).name
        except InvalidRequestError:
            raise InvalidRequestError(
                f"{what}: {key!r} is not a provider ({' or '.join(map(repr, PROVIDERS))})",
                field=what,
            ) from None
        if name in names:
            out[name] = value
    return out


def _number(value: object, what: str) -> float:
    """A finite number >= 0 from the caller, or InvalidRequestError naming the argument."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e12:
        return float(value)
    raise InvalidRequestError(f"{what}: must be a number >= 0, got {value!r:.40}", field=what)


def _priced_url(media: str | UploadFile) -> str:
    # RFC 2606's reserved name: nothing is ever fetched from it.
    return media if isinstance(media, str) else f"https://example.com/{media.file_name}"


class AvatarRouter(BaseRouter[AvatarClient, httpx.BaseTransport]):
    """One client over several providers, in priority order (``AvatarRouter(["apikley",
    "crun"])``; by default every provider a key is given for, in the order apikley, crun,
    fal): each task is created at the first provider able to take it, and never at two.

    Keys and base URLs come from the environment as for `AvatarClient`, or per provider from
    `api_keys` / `base_urls`. A creation moves on to the next provider only when the answer
    proves no task was made (402, 429, 455, 505 naming no task, or a connection never made);
    after an ambiguous outcome it raises, saying the task may exist (`task_id`: the id, when the
    answer named one). Once a task exists, whatever fails afterwards raises `TaskCreatedError`
    carrying it (a rate-limit slot that cannot be freed is only logged). `prefer="price"`
    orders by price (`prices`, else crun's EstimateTask), `prefer="credits"` by the balance
    left; a provider that failed is skipped for `cooldown` seconds. Creations wait for a slot
    of the provider's `rate_limits` (default: Apikley 20 per 10 s, as kie documents) in
    `rate_limit_store` (in memory, or `RedisRateLimitStore` shared across processes).
    `deadline` (seconds) bounds a whole call; `on_route(event)` hears every skip and where the
    task went. The other options are the clients'.
    """

    _client_class = AvatarClient

    def create_task(
        self,
        *,
        image_url: Media,
        audio_url: Media,
        prompt: str = "",
        mode: Literal["std", "pro"] = "pro",
        callback_url: str | None = None,
        deadline: float | None = None,
        on_route: OnRoute | None = None,
    ) -> Task:
        """Creates the task at the first provider able to take it (a local file is uploaded to
        that provider); the Task's `provider` says which."""
        args = (image_url, audio_url, prompt, mode, callback_url)
        return run_sync(self._create_flow(args, deadline, on_route))

    def get_task(self, task: Task | str, *, provider: Provider | str | None = None) -> Task:
        """The task as its provider reports it now (a bare id needs `provider`)."""
        return run_sync(self._get_flow(task, provider))

    def wait_for_task(
        self,
        task: Task | str,
        *,
        provider: Provider | str | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
        not_found_grace: float | None = None,
        deadline: float | None = None,
    ) -> Task:
        """`AvatarClient.wait_for_task` at the task's provider."""
        return run_sync(
            self._wait_flow(task, provider, timeout, on_update, not_found_grace, deadline)
        )

    def generate(
        self,
        *,
        image_url: Media,
        audio_url: Media,
        prompt: str = "",
        mode: Literal["std", "pro"] = "pro",
        callback_url: str | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
        deadline: float | None = None,
        on_route: OnRoute | None = None,
        rerun_failed: bool | None = None,
    ) -> Task:
        """`create_task`, then wait at that provider. A task that fails after acceptance raises
        GenerationFailedError, unless `rerun_failed` (default: the router's, off), which
        creates it again at a provider not yet tried: a second, paid task."""
        args = (image_url, audio_url, prompt, mode, callback_url)
        return run_sync(
            self._generate_flow(args, timeout, on_update, deadline, on_route, rerun_failed)
        )

    def cancel_task(self, task: Task | str, *, provider: Provider | str | None = None) -> bool:
        """`AvatarClient.cancel_task` at the task's provider (a bare id needs `provider`)."""
        return run_sync(self._cancel_flow(task, provider))

    def upload_file(
        self,
        path_or_bytes: FileSource,
        *,
        content_type: str | None = None,
        provider: Provider | str | None = None,
    ) -> str:
        """Uploads to `provider`, or to the first provider that takes it; its URL."""
        return run_sync(self._upload_flow(path_or_bytes, content_type, provider))

    def get_credits(self, provider: Provider | str) -> float:
        """The credits left at `provider`."""
        return run_sync(self._credits_flow(provider))

    def balances(self) -> dict[Provider, float | None]:
        """The credits left at every provider (None where the balance could not be read)."""
        out: dict[Provider, float | None] = {}
        for name in self.providers:
            try:
                out[name] = self.get_credits(name)
            except AvatarError as error:
                logger.info("router: no balance from %s: %s", name, error)
                out[name] = None
        return out

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncAvatarRouter(BaseRouter[AsyncAvatarClient, httpx.AsyncBaseTransport]):
    """The asyncio form of `AvatarRouter`: the same arguments and rules, every method a
    coroutine; `on_route` and `on_update` may be coroutine functions."""

    _client_class = AsyncAvatarClient

    async def create_task(
        self,
        *,
        image_url: Media,
        audio_url: Media,
        prompt: str = "",
        mode: Literal["std", "pro"] = "pro",
        callback_url: str | None = None,
        deadline: float | None = None,
        on_route: OnRoute | None = None,
    ) -> Task:
        """Creates the task at the first provider able to take it (a local file is uploaded to
        that provider); the Task's `provider` says which."""
        image, audio = await local_media(image_url, audio_url)  # read off the loop
        args = (image, audio, prompt, mode, callback_url)
        return await run_async(self._create_flow(args, deadline, on_route))

    async def get_task(self, task: Task | str, *, provider: Provider | str | None = None) -> Task:
        """The task as its provider reports it now (a bare id needs `provider`)."""
        return await run_async(self._get_flow(task, provider))

    async def wait_for_task(
        self,
        task: Task | str,
        *,
        provider: Provider | str | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,  # noqa: ASYNC109 - a deadline, not a cancel scope
        on_update: OnUpdate | None = None,
        not_found_grace: float | None = None,
        deadline: float | None = None,
    ) -> Task:
        """`AsyncAvatarClient.wait_for_task` at the task's provider."""
        return await run_async(
            self._wait_flow(task, provider, timeout, on_update, not_found_grace, deadline)
        )

    async def generate(
        self,
        *,
        image_url: Media,
        audio_url: Media,
        prompt: str = "",
        mode: Literal["std", "pro"] = "pro",
        callback_url: str | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,  # noqa: ASYNC109 - a deadline, not a cancel scope
        on_update: OnUpdate | None = None,
        deadline: float | None = None,
        on_route: OnRoute | None = None,
        rerun_failed: bool | None = None,
    ) -> Task:
        """`create_task`, then wait at that provider (see `AvatarRouter.generate`)."""
        image, audio = await local_media(image_url, audio_url)  # read off the loop
        args = (image, audio, prompt, mode, callback_url)
        return await run_async(
            self._generate_flow(args, timeout, on_update, deadline, on_route, rerun_failed)
        )

    async def cancel_task(
        self, task: Task | str, *, provider: Provider | str | None = None
    ) -> bool:
        """`AsyncAvatarClient.cancel_task` at the task's provider (a bare id needs `provider`)."""
        return await run_async(self._cancel_flow(task, provider))

    async def upload_file(
        self,
        path_or_bytes: FileSource,
        *,
        content_type: str | None = None,
        provider: Provider | str | None = None,
    ) -> str:
        """Uploads to `provider`, or to the first provider that takes it; its URL."""
        source = await local_upload(path_or_bytes, content_type)  # read off the loop
        return await run_async(self._upload_flow(source, content_type, provider))

    async def get_credits(self, provider: Provider | str) -> float:
        """The credits left at `provider`."""
        return await run_async(self._credits_flow(provider))

    async def balances(self) -> dict[Provider, float | None]:
        """The credits left at every provider (None where the balance could not be read)."""
        out: dict[Provider, float | None] = {}
        for name in self.providers:
            try:
                out[name] = await self.get_credits(name)
            except AvatarError as error:
                logger.info("router: no balance from %s: %s", name, error)
                out[name] = None
        return out

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
