"""Every operation, written once, as a flow over one client's `Session`.

A flow is a generator that yields the steps of `_steps` and receives their outcomes; it does no
I/O itself. `AvatarClient` and `AsyncAvatarClient` only build a `Session` and drive these flows
(`_drive`); the router composes them across several clients' sessions, and the receiver
confirms a callback with `get`. The flows compose each other: `create` is `task_input`, `media`
twice and `submit`; `generate` is `create` then `wait`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, Protocol, TypeAlias, TypeVar, cast

import attrs
import httpx

from ._download import plan_download
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    AvatarError,
    InvalidRequestError,
    UnexpectedResponseError,
)
from ._inputs import TaskInput, check_task_id, check_task_input
from ._models import Provider, Task
from ._providers import Adapter, Read, Request, Steps
from ._redact import Redactor
from ._retry import Backoff, Retrier
from ._steps import Clock, Fetch, Flow, Notify, Send, Sleep, Wake
from ._uploads import UploadFile, prepare_upload
from ._wait import Poller, RunTimes

if TYPE_CHECKING:
    from ._download import DownloadPlan

__all__ = [
    "OnUpdate",
    "Session",
    "Watcher",
    "call",
    "cancel",
    "create",
    "credits",
    "download",
    "estimate",
    "generate",
    "get",
    "media",
    "read",
    "steps",
    "submit",
    "task_input",
    "transport_error",
    "upload",
    "upload_source",
    "wait",
]

T = TypeVar("T")
P = ParamSpec("P")

OnUpdate: TypeAlias = Callable[[Task], object]
# Ids of the tasks a client created, with when: a wait on one of them knows the task's age.
_REMEMBERED_CREATIONS = 4096


class Watcher(Protocol):
    """What a wait needs of a callback receiver (`kling_avatar.Receiver`)."""

    fallback_backoff: Backoff

    def watch(self, provider: str, task_id: str) -> Wake: ...
    def callback_url(self, provider: Provider | str) -> str: ...


@attrs.frozen
class Session:
    """One client's settings as the flows read them, and what it remembers between calls.

    `channel` is the client's connections (`_transport`), carried opaquely in each `Send`;
    `clock` the time the client reads and pauses on (None: the machine's).
    """

    adapter: Adapter
    channel: object = attrs.field(repr=False)
    timeout: float
    max_retries: int
    retry_backoff: Backoff
    poll_scale: float = 1.0
    clock: Clock | None = None
    created: dict[str, float] = attrs.field(factory=dict, repr=False, eq=False)
    run_times: RunTimes = attrs.field(factory=RunTimes, repr=False, eq=False)

    @property
    def provider(self) -> Provider:
        return self.adapter.name

    def monotonic(self) -> float:
        return time.monotonic() if self.clock is None else self.clock.monotonic()

    def wall(self) -> float:
        return time.time() if self.clock is None else self.clock.time()

    def remember_created(self, task: Task) -> None:
        # Every creation passes here (the router's too): a later wait on the id knows its age.
        self.created[task.id] = self.monotonic()
        while len(self.created) > _REMEMBERED_CREATIONS:
            del self.created[next(iter(self.created))]


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


def checked(session: Session, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`check(...)`; input it rejects still names the provider the call was for."""
    try:
        return check(*args, **kwargs)
    except InvalidRequestError as error:
        error.provider = error.provider or session.provider
        raise


# --- one request ------------------------------------------------------------------------------


def call(
    session: Session,
    op: Request[T],
    *,
    max_retries: int | None = None,
    timeout: float | None = None,
) -> Flow[T]:
    """`op`, sent and read, retried as the client's settings and `op.idempotent` allow."""
    retrier: Retrier | None = None  # made on the first failure: most calls never need one
    while True:
        kwargs = op.build()
        if timeout is not None:
            kwargs["timeout"] = timeout
        try:
            response = yield Send(session.channel, op.server, kwargs)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = transport_error(session.provider, exc, session.adapter.reader.redact)
        except AvatarError as exc:  # an answer over the size cap
            error = exc
        else:
            try:
                result = op.parse(response)
            except AvatarError as exc:
                error = exc
            else:
                if not op.idempotent and isinstance(result, Task):
                    session.remember_created(result)
                return result
        if retrier is None:
            retrier = Retrier(
                f"{session.provider} {op.name}",
                session.max_retries if max_retries is None else max_retries,
                session.retry_backoff,
                op.idempotent,
            )
        yield Sleep(retrier.delay_after(error), clock=session.clock)


def steps(
    session: Session,
    ops: Steps[T],
    *,
    max_retries: int | None = None,
    timeout: float | None = None,
) -> Flow[T]:
    """A call of several requests: each operation `ops` yields is sent with `call` (the same
    retries and timeout), its result sent back in; what `ops` returns."""
    result: object = None
    try:
        while True:
            try:
                op = ops.send(result)
            except StopIteration as stop:
                return cast(T, stop.value)
            result = yield from call(session, op, max_retries=max_retries, timeout=timeout)
    finally:
        ops.close()


def read(
    session: Session,
    op: Read[T],
    *,
    max_retries: int | None = None,
    timeout: float | None = None,
) -> Flow[T]:
    """A read: one request, or the steps of one, made anew here (not a generator of its own:
    a poll resumes one generator less)."""
    if callable(op):
        return steps(session, op(), max_retries=max_retries, timeout=timeout)
    return call(session, op, max_retries=max_retries, timeout=timeout)


# --- files ------------------------------------------------------------------------------------


def upload(session: Session, file: UploadFile) -> Flow[str]:
    """Stores `file` at the provider (its upload operations, in order); the URL to use."""
    return (yield from steps(session, session.adapter.upload(file)))


def upload_source(session: Session, source: object, content_type: str | None) -> Flow[str]:
    """`upload` of what a caller gave (`Path`, open binary file, bytes), checked first."""
    file = checked(session, prepare_upload, source, content_type, field="path_or_bytes")
    return (yield from upload(session, file))


def media(session: Session, given: str | UploadFile) -> Flow[str]:
    """The URL to send for one input: a URL as given, a local file uploaded first."""
    if isinstance(given, UploadFile):
        return (yield from upload(session, given))
    return given


def download(
    session: Session,
    task: object,
    to: str | os.PathLike[str],
    *,
    overwrite: bool,
    max_bytes: int,
    timeout: float,
) -> Flow[Path]:
    """Saves `task`'s video (`_download`); the path."""
    if not isinstance(task, Task):
        raise InvalidRequestError(f"task: expected a Task, got {type(task).__name__}", field="task")
    reader = session.adapter.reader
    plan: DownloadPlan = plan_download(
        task,
        to,
        overwrite=overwrite,
        max_bytes=max_bytes,
        timeout=timeout,
        allow_loopback=reader.allow_loopback,
        redact=reader.redact,
    )
    return cast(Path, (yield Fetch(session.channel, plan)))


# --- tasks ------------------------------------------------------------------------------------


def task_input(
    session: Session,
    image_url: object,
    audio_url: object,
    prompt: object,
    mode: object,
    callback_url: object,
) -> TaskInput:
    """The checked input of one creation at this session's provider."""
    return checked(
        session,
        check_task_input,
        image_url,
        audio_url,
        prompt,
        mode,
        callback_url,
        max_prompt=session.adapter.max_prompt,
    )


def submit(session: Session, task: TaskInput, image_url: str, audio_url: str) -> Flow[Task]:
    """The creation request itself (the media already URLs): never sent twice unless the
    connection provably failed before sending."""
    return (yield from call(session, session.adapter.create_task(task, image_url, audio_url)))


def estimate(
    session: Session, task: TaskInput, image_url: str, audio_url: str
) -> Flow[tuple[float, bool | None] | None]:
    """The task's price and whether the balance covers it, where the provider publishes its
    price or answers this before creating (None where it does neither)."""
    price = session.adapter.price(task)
    if price is not None:
        return price, None
    op = session.adapter.estimate_task(task, image_url, audio_url)
    if op is None:
        return None
    return (yield from call(session, op))


def create(
    session: Session,
    image_url: object,
    audio_url: object,
    prompt: object,
    mode: object,
    callback_url: object,
) -> Flow[Task]:
    task = task_input(session, image_url, audio_url, prompt, mode, callback_url)
    image = yield from media(session, task.image)
    audio = yield from media(session, task.audio)
    return (yield from submit(session, task, image, audio))


# The flows of one request are `call` itself (one generator less to resume; a refused task id
# is raised when the flow is made).


def get(session: Session, task_id: str) -> Flow[Task]:
    return read(session, session.adapter.read_task(checked(session, check_task_id, task_id)))


def cancel(session: Session, task_id: str) -> Flow[bool]:
    """Asks the provider to cancel the task (see `Adapter.cancel_task`)."""
    op = session.adapter.cancel_task(checked(session, check_task_id, task_id))
    return (yield from call(session, op))


def credits(session: Session) -> Flow[float]:
    return call(session, session.adapter.get_credits())


def wait(
    session: Session,
    task_id: str,
    timeout: float,
    on_update: OnUpdate | None = None,
    not_found_grace: float | None = None,
    receiver: Watcher | None = None,
) -> Flow[Task]:
    """Polls until the task is finished (see `AvatarClient.wait_for_task`)."""
    adapter = session.adapter
    op = adapter.read_task(checked(session, check_task_id, task_id))
    created = session.created.get(task_id)
    if not_found_grace is None:
        # The long grace only for a task known to be young; an id of unknown age (typed in,
        # or created by another process) gets a short one, then not-found means not found.
        not_found_grace = adapter.unknown_age_grace if created is None else adapter.not_found_grace
    poller = Poller(
        task_id,
        adapter.reader,
        timeout,
        adapter.poll_schedule,
        not_found_grace,
        created=created,
        expected=session.run_times.expected(),
        scale=session.poll_scale,
        # With a receiver, polling is only the fallback for a lost callback: its slow pace.
        fallback=None if receiver is None else receiver.fallback_backoff,
        clock=session.monotonic,
        wall=session.wall,
    )
    watch = None if receiver is None else receiver.watch(session.provider, task_id)
    woken: Task | None = None
    try:
        while True:
            task: Task | None = woken  # confirmed by the receiver's own get_task
            if task is None:
                try:
                    # One attempt per poll: the poll loop itself is the retry loop.
                    task = yield from read(
                        session, op, max_retries=0, timeout=poller.request_timeout(session.timeout)
                    )
                except AvatarError as error:
                    poller.tolerate(error)
            if task is not None:
                if poller.changed(task) and on_update is not None:
                    yield Notify(on_update, task)
                if poller.finished(task):
                    session.run_times.add(task)
                    return task
            reply = yield Sleep(poller.next_delay(), watch, session.clock)
            woken = reply if isinstance(reply, Task) else None
    finally:
        if watch is not None:
            watch.close()


def callback_url_for(
    session: Session, callback_url: str | None, receiver: Watcher | None
) -> str | None:
    """The callback URL a creation carries: the caller's, else one the receiver mints."""
    if callback_url is None and receiver is not None:
        return receiver.callback_url(session.provider)
    return callback_url


def generate(
    session: Session,
    image_url: object,
    audio_url: object,
    prompt: object,
    mode: object,
    callback_url: str | None,
    timeout: float,
    on_update: OnUpdate | None = None,
    receiver: Watcher | None = None,
) -> Flow[Task]:
    """`create`, then `wait` for the task; with a receiver, created with its callback URL."""
    url = callback_url_for(session, callback_url, receiver)
    task = yield from create(session, image_url, audio_url, prompt, mode, url)
    return (yield from wait(session, task.id, timeout, on_update, None, receiver))
