"""Everything the sync and async clients share: configuration and every operation's logic.

Each operation is written once, as a generator ("flow") that yields the I/O it needs (`Send`,
`Sleep`, `Notify`) and receives the outcome. `AvatarClient` and `AsyncAvatarClient` only drive
flows, with blocking or awaiting I/O, so both behave identically by construction.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, Self, TypeAlias, TypeVar, cast

import attrs
import httpx

from ._download import DownloadPlan, plan_download
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    AvatarError,
    InvalidRequestError,
    UnexpectedResponseError,
)
from ._inputs import check_task_id, check_task_input, check_url, is_loopback_url, positive_int
from ._limits import (
    ACCEPT_ENCODING,
    DEFAULT_MAX_ANSWER_BYTES,
    BoundedBody,
    framed_within,
    too_large,
)
from ._models import Provider, Task
from ._providers import Adapter, GeneratedClient, Operation, Server, adapter_class
from ._redact import Redactor, has_userinfo
from ._retry import Backoff, Retrier
from ._traffic import TrafficRecorder, recorder_for
from ._uploads import UploadFile, prepare_upload
from ._wait import Poller, RunTimes

if TYPE_CHECKING:
    from ._receiver import Receiver, Watch

T = TypeVar("T")
StepT = TypeVar("StepT")
P = ParamSpec("P")
HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)
TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)
logger = logging.getLogger("kling_avatar")

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_WAIT_TIMEOUT = 600.0  # kie.ai: give up after 10-15 minutes
# Requests in flight per client, and connections per server: httpcore's pool does work per
# waiting request x connection on every change, so more requests than connections at once
# (1,000 concurrent generations) cost quadratic time; the client queues the rest itself.
DEFAULT_MAX_CONNECTIONS = 64
_MAX_KEEPALIVE = 20
# Ids of the tasks a client created, with when: a wait on one of them knows the task's age.
_REMEMBERED_CREATIONS = 4096

OnUpdate: TypeAlias = Callable[[Task], object]


@attrs.frozen
class Send:
    server: Server
    kwargs: dict[str, Any] = attrs.field(repr=False)


@attrs.frozen
class Sleep:
    """A pause; with `wake`, cut short by the receiver's callback, whose task is the reply."""

    seconds: float
    wake: Watch | None = None


@attrs.frozen
class Notify:
    callback: OnUpdate
    task: Task


@attrs.frozen
class Done(Generic[T]):
    value: T


Step: TypeAlias = Send | Sleep | Notify
Flow: TypeAlias = Generator[Step, Any, T]


def advance(
    flow: Generator[StepT, Any, T], reply: object, error: BaseException | None
) -> StepT | Done[T]:
    """Resumes `flow` with the outcome of its last step; the next step, or its result."""
    try:
        return flow.throw(error) if error is not None else flow.send(reply)
    except StopIteration as stop:
        return Done(cast(T, stop.value))


def transport_error(
    provider: Provider, exc: httpx.HTTPError | httpx.InvalidURL, redact: Redactor | None = None
) -> AvatarError:
    # Only a failure to connect proves the request never left; a creation is retried only then.
    never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    detail = (redact or Redactor())(detail)
    error: AvatarError
    if isinstance(exc, httpx.TimeoutException):
        error = APITimeoutError(
            f"timed out: {detail}", provider=provider, request_sent=not never_sent
        )
    elif isinstance(exc, httpx.TransportError):
        error = APIConnectionError(
            f"connection failed: {detail}", provider=provider, request_sent=not never_sent
        )
    else:
        # A body that does not decode, endless redirects, a URL from an answer that is none.
        error = UnexpectedResponseError(f"unusable answer: {detail}", provider=provider)
    error.__cause__ = exc
    return error


class Clock(Protocol):
    """Time for a client other than the machine's (``kling_avatar.testing.MockClock``)."""

    def monotonic(self) -> float: ...
    def time(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...
    async def async_sleep(self, seconds: float) -> None: ...


class BaseClient(Generic[HttpT, TransportT]):
    _asynchronous = False  # which kind of transport the traffic recorder wraps

    def __init__(
        self,
        provider: Provider,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_delay: float = 0.5,
        poll_interval: float | None = None,
        transport: TransportT | None = None,
        record_traffic: str | os.PathLike[str] | TrafficRecorder | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        models: Mapping[str, str] | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    ) -> None:
        """`models` names the model sent for each mode (``{"std": ...}``) where the provider
        picks the mode by model name (Apikley); the defaults are the adapter's."""
        kind = adapter_class(provider)
        name: Provider = kind.name
        key = api_key if api_key is not None else os.environ.get(kind.key_env, "")
        if not key:
            raise AuthenticationError(
                f"no API key: pass api_key= or set {kind.key_env}", provider=name
            )
        if not (key.isascii() and key.isprintable()) or any(c.isspace() for c in key):
            # An HTTP header cannot carry it; say so without echoing it.
            raise AuthenticationError(
                "the API key has characters an HTTP header cannot carry", provider=name
            )
        url = base_url or os.environ.get(kind.base_url_env) or kind.default_base_url
        if isinstance(url, str) and has_userinfo(url):
            # httpx would send them as Basic auth in place of Apikley's Bearer key, and every
            # URL shown (log lines, recordings, messages) would carry them: refused, unquoted.
            raise InvalidRequestError(
                f"base_url (or ${kind.base_url_env}): credentials in the URL (user:password@) "
                f"are refused; the API key goes in api_key= or ${kind.key_env}",
                provider=name,
                field="base_url",
            )
        self.provider: Provider = name
        self.base_url = check_url(url, "base_url").rstrip("/")
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.max_connections = positive_int("max_connections", max_connections, name)
        self.max_answer_bytes = positive_int("max_answer_bytes", max_answer_bytes, name)
        self.max_prompt = kind.max_prompt  # the longest prompt the provider takes
        # URLs in answers may name this machine only when the API itself is here (the mock).
        self._adapter: Adapter = kind(key, models, allow_loopback=is_loopback_url(self.base_url))
        self._retry_backoff = Backoff(retry_delay, factor=2.0, maximum=max(8.0, retry_delay))
        schedule = self._adapter.poll_schedule
        # A poll_interval given scales the provider's schedule (its shortest pause becomes it).
        self._poll_scale = 1.0 if poll_interval is None else poll_interval / schedule.bands[0][1]
        self._clock: Callable[[], float] = time.monotonic
        self._wall: Callable[[], float] = time.time
        # What a pause does instead of sleeping (sync: returns; async: awaitable); see use_clock.
        self._pause: Callable[[float], Any] | None = None
        self._created: dict[str, float] = {}
        self._run_times = RunTimes()
        self._transport: TransportT | None = transport
        self._http: dict[Server, HttpT] = {}
        # Opt-in: every exchange, redacted, to a JSON Lines file (kling_avatar._traffic).
        self._recorder = None if record_traffic is None else recorder_for(record_traffic, [key])

    def use_clock(self, clock: Clock) -> Self:
        """Read time from ``clock`` and pause through it instead of sleeping.

        For tests: ``kling_avatar.testing.MockClock`` moves the mock's clock by each pause, so
        a wait of 600 s of task time takes milliseconds with the same polls and deadlines.
        """
        self._clock = clock.monotonic
        self._wall = clock.time
        self._pause = clock.async_sleep if self._asynchronous else clock.sleep
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider!r}, base_url={self.base_url!r})"

    def _generated_client(self, server: Server) -> GeneratedClient:
        """The generated AuthenticatedClient for `server` (it keeps the key out of its repr)."""
        prefix = self._adapter.upload_prefix if server == "upload" else None
        return self._adapter.client(
            self.base_url + (prefix or ""), self.timeout, self._httpx_args()
        )

    def _httpx_args(self) -> dict[str, Any]:
        if self._transport is None and self._recorder is None:
            return {"limits": self._limits()}
        transport: Any = self._transport
        if self._recorder is not None:
            if transport is None:
                default = httpx.AsyncHTTPTransport if self._asynchronous else httpx.HTTPTransport
                transport = default(limits=self._limits())
            transport = self._recorder.wrap(transport, asynchronous=self._asynchronous)
        return {"transport": transport}

    def _limits(self) -> httpx.Limits:
        # Few idle connections kept: httpcore checks each idle one against every other on
        # every request (1,000 generations: 4.5 s of CPU with 20 kept, 7.9 s with 64).
        n = self.max_connections
        return httpx.Limits(max_connections=n, max_keepalive_connections=min(n, _MAX_KEEPALIVE))

    # --- the send path: what both drivers do around one request -------------------------

    def _request_seconds(self, step: Send) -> float:
        """The whole request (connect, send, every read) must end within this."""
        return float(step.kwargs.get("timeout", self.timeout))

    def _prepared(self, client: HttpT) -> HttpT:
        """A new httpx client set up once for every request it will send: it asks only for the
        encodings the bounded reader decodes (httpx would also offer br and zstd when their
        packages are installed)."""
        client.headers["Accept-Encoding"] = ACCEPT_ENCODING
        return client

    def _answer_body(self, response: httpx.Response) -> BoundedBody | None:
        """The bounded reader of `response`'s body, or None when httpx may read it itself: it
        is read already (a test's MockTransport hands it back so), or it comes unencoded with a
        Content-Length within the cap, where HTTP's framing ends the read at that length (then
        `_read` checks the size, and the deadline backend bounds each read in time)."""
        if response.is_stream_consumed or framed_within(response.headers, self.max_answer_bytes):
            return None
        return BoundedBody(response.headers, self.max_answer_bytes, self.provider)

    def _read(self, response: httpx.Response) -> httpx.Response:
        """`response`, read by httpx (see `_answer_body`), once its size is within the cap."""
        if len(response.content) > self.max_answer_bytes:
            raise too_large(self.max_answer_bytes, "more bytes arrived", self.provider)
        return response

    def _download_plan(
        self,
        task: Task,
        to: str | os.PathLike[str],
        overwrite: bool,
        max_bytes: int,
        timeout: float,
    ) -> DownloadPlan:
        if not isinstance(task, Task):
            raise InvalidRequestError(
                f"task: expected a Task, got {type(task).__name__}", field="task"
            )
        return plan_download(
            task,
            to,
            overwrite=overwrite,
            max_bytes=max_bytes,
            timeout=timeout,
            allow_loopback=self._adapter.reader.allow_loopback,
            redact=self._adapter.reader.redact,
        )

    # --- flows: every operation, written once ---------------------------------------------

    def _call(
        self, op: Operation[T], *, max_retries: int | None = None, timeout: float | None = None
    ) -> Flow[T]:
        retrier = Retrier(
            f"{self.provider} {op.name}",
            self.max_retries if max_retries is None else max_retries,
            self._retry_backoff,
            op.idempotent,
        )
        while True:
            kwargs = op.build()
            if timeout is not None:
                kwargs["timeout"] = timeout
            try:
                response = yield Send(op.server, kwargs)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                error = transport_error(self.provider, exc, self._adapter.reader.redact)
            except AvatarError as exc:  # an answer over the size cap
                error = exc
            else:
                logger.debug("%s %s: HTTP %d", self.provider, op.name, response.status_code)
                try:
                    result = op.parse(response)
                except AvatarError as exc:
                    error = exc
                else:
                    if isinstance(result, Task) and not op.idempotent:
                        self._remember_created(result)
                    return result
            yield Sleep(retrier.delay_after(error))

    def _remember_created(self, task: Task) -> None:
        # Every creation passes here (the router's too): a later wait on the id knows its age.
        self._created[task.id] = self._clock()
        while len(self._created) > _REMEMBERED_CREATIONS:
            del self._created[next(iter(self._created))]

    def _upload_steps(self, file: UploadFile) -> Flow[str]:
        steps = self._adapter.upload(file)
        result: object = None
        while True:
            try:
                op = steps.send(result)
            except StopIteration as stop:
                return cast(str, stop.value)
            result = yield from self._call(op)

    def _checked(self, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`check(...)`; input it rejects still names the provider the call was for."""
        try:
            return check(*args, **kwargs)
        except InvalidRequestError as error:
            error.provider = error.provider or self.provider
            raise

    def _upload_flow(self, source: object, content_type: str | None) -> Flow[str]:
        file = self._checked(prepare_upload, source, content_type, field="path_or_bytes")
        return (yield from self._upload_steps(file))

    def _media(self, media: str | UploadFile) -> Flow[str]:
        if isinstance(media, UploadFile):
            return (yield from self._upload_steps(media))
        return media

    def _create_flow(
        self,
        image_url: object,
        audio_url: object,
        prompt: object,
        mode: object,
        callback_url: object,
    ) -> Flow[Task]:
        task = self._checked(
            check_task_input,
            image_url,
            audio_url,
            prompt,
            mode,
            callback_url,
            max_prompt=self._adapter.max_prompt,
        )
        image = yield from self._media(task.image)
        audio = yield from self._media(task.audio)
        return (yield from self._call(self._adapter.create_task(task, image, audio)))

    def _get_flow(self, task_id: str) -> Flow[Task]:
        op = self._adapter.read_task(self._checked(check_task_id, task_id))
        return (yield from self._call(op))

    def _credits_flow(self) -> Flow[float]:
        return (yield from self._call(self._adapter.get_credits()))

    def _wait_flow(
        self,
        task_id: str,
        timeout: float,
        on_update: OnUpdate | None,
        not_found_grace: float | None,
        receiver: Receiver | None = None,
    ) -> Flow[Task]:
        op = self._adapter.read_task(self._checked(check_task_id, task_id))
        created = self._created.get(task_id)
        if not_found_grace is None:
            # The long grace only for a task known to be young; an id of unknown age (typed in,
            # or created by another process) gets a short one, then not-found means not found.
            adapter = self._adapter
            not_found_grace = (
                adapter.unknown_age_grace if created is None else adapter.not_found_grace
            )
        poller = Poller(
            task_id,
            self._adapter.reader,
            timeout,
            self._adapter.poll_schedule,
            not_found_grace,
            created=created,
            expected=self._run_times.expected(),
            scale=self._poll_scale,
            # With a receiver, polling is only the fallback for a lost callback: its slow pace.
            fallback=None if receiver is None else receiver.fallback_backoff,
            clock=self._clock,
            wall=self._wall,
        )
        watch = None if receiver is None else receiver.watch(self.provider, task_id)
        woken: Task | None = None
        try:
            while True:
                task: Task | None = woken  # confirmed by the receiver's own get_task
                if task is None:
                    try:
                        # One attempt per poll: the poll loop itself is the retry loop.
                        task = yield from self._call(
                            op, max_retries=0, timeout=poller.request_timeout(self.timeout)
                        )
                    except AvatarError as error:
                        poller.tolerate(error)
                if task is not None:
                    if poller.changed(task) and on_update is not None:
                        yield Notify(on_update, task)
                    if poller.finished(task):
                        self._run_times.add(task)
                        return task
                reply = yield Sleep(poller.next_delay(), watch)
                woken = reply if isinstance(reply, Task) else None
        finally:
            if watch is not None:
                watch.close()

    def _callback_url(self, callback_url: str | None, receiver: Receiver | None) -> str | None:
        if callback_url is None and receiver is not None:
            return receiver.callback_url(self.provider)
        return callback_url

    def _generate_flow(
        self,
        create: Flow[Task],
        timeout: float,
        on_update: OnUpdate | None,
        receiver: Receiver | None = None,
    ) -> Flow[Task]:
        task = yield from create
        return (yield from self._wait_flow(task.id, timeout, on_update, None, receiver))
