"""What the provider adapters (`_providers/<name>.py`) share: operations, and reading answers.

Nothing here does I/O. Each call is an `Operation`: how to build its request (for every spec'd
operation, the generated builder `api.<tag>.<op>.request_kwargs`) and how to read its answer;
the task lookup every poll makes is a `TaskLookup`, the same two methods; a call that takes
several requests (an upload, a read that follows a status with a result) is `Steps`, a
generator of them. Answers are read from the raw response: the envelope is checked here before
`data` reaches a generated model, because the generated parsers raise
KeyError/ValueError/JSONDecodeError on anything off-spec; a provider without an envelope reads
its answers in its own module.
"""

from __future__ import annotations

import abc
import functools
import json
import math
from collections.abc import Callable, Generator, Mapping
from datetime import UTC, datetime
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    TypeAlias,
    TypeVar,
)

import attrs
import httpx

from .._exceptions import (
    AvatarError,
    EndpointNotFoundError,
    GenerationFailedError,
    InvalidRequestError,
    NotSupportedError,
    UnexpectedResponseError,
    error_class,
)
from .._inputs import TaskInput, answer_url_problem
from .._models import Provider, Task, TaskState
from .._ratelimit import RateLimit
from .._redact import Redactor, cut
from .._retry import parse_retry_after
from .._signatures import CallbackSigning, PublishedKeySigning
from .._tls import tls_context
from .._uploads import UploadFile
from .._wait import DOCUMENTED_SCHEDULE, PollSchedule

if TYPE_CHECKING:
    from kling_avatar_generated.apikley.models import TaskCreated as ApikleyTaskCreated
    from kling_avatar_generated.crun.models import TaskCreated as CrunTaskCreated

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
Server: TypeAlias = Literal["api", "upload", "external"]
Json: TypeAlias = Mapping[str, object]

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-trace-id")
_KNOWN_URLS = 256
NOT_JSON = object()


@attrs.frozen
class Operation(Generic[T]):
    """One request: `build` gives httpx.request kwargs (fresh each attempt, so a file
    body can be sent again), `parse` turns the answer into a result or raises AvatarError."""

    name: str
    build: Callable[[], dict[str, Any]]
    parse: Callable[[httpx.Response], T]
    idempotent: bool = True
    server: Server = "api"


class Request(Protocol[T_co]):
    """What `_flows.call` sends and reads: an `Operation`, or a `TaskLookup`."""

    @property
    def name(self) -> str: ...
    @property
    def idempotent(self) -> bool: ...
    @property
    def server(self) -> Server: ...
    def build(self) -> dict[str, Any]: ...
    def parse(self, response: httpx.Response) -> T_co: ...


class TaskLookup:
    """The read of task `task_id` (the adapter's `task_lookup`); an answer that describes
    another task is refused. An `Operation` of its own class, not one of closures: every poll
    builds one."""

    __slots__ = ("adapter", "task_id")
    idempotent = True
    server: Server = "api"

    def __init__(self, adapter: Adapter, task_id: str) -> None:
        self.adapter = adapter
        self.task_id = task_id

    @property
    def name(self) -> str:
        return self.adapter.task_lookup

    def build(self) -> dict[str, Any]:
        return self.adapter.task_request(self.task_id)

    def parse(self, response: httpx.Response) -> Task:
        adapter = self.adapter
        return adapter.reader.same_task(adapter.task(adapter.task_data(response)), self.task_id)


# A call of several requests: each operation yielded is sent (and retried) like one of its own,
# its result sent back in; the generator returns the call's result.
Steps: TypeAlias = Generator[Operation[Any], Any, T]
UploadSteps: TypeAlias = Steps[str]
# A read: one request, or the steps of one made anew for each attempt (a wait reads many times).
Read: TypeAlias = "Request[T] | Callable[[], Steps[T]]"


# --- reading answers ------------------------------------------------------------------------


def decode_json(content: bytes | str) -> object:
    """The decoded JSON, or `NOT_JSON`."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return NOT_JSON


def message_of(body: object) -> str:
    if isinstance(body, Mapping):
        for key in ("msg", "message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return ""


class Reader:
    """Reads one provider's answers; every failure becomes an AvatarError of that provider.

    Every string it hands on (a Task's fields, a message, a request id) has the key and
    presigned URLs' signatures blanked first, and is cut to length only after that.
    `allow_loopback` says whether URLs in answers may name this machine (see
    `answer_url_problem`).
    """

    def __init__(
        self, provider: Provider, secret: str = "", *, allow_loopback: bool = True
    ) -> None:
        self.provider = provider
        self.allow_loopback = allow_loopback
        self.redact = Redactor(secret)
        self.show = self.redact.show
        # The URLs already found fit to hand on: a finished task's videos are read again by
        # every later poll or lookup of it (at most `_KNOWN_URLS`, each at most 2 KB).
        self._good_urls: dict[str, None] = {}

    def unexpected(self, message: str, **kwargs: Any) -> UnexpectedResponseError:
        return UnexpectedResponseError(self.redact(message), provider=self.provider, **kwargs)

    def envelope(self, response: httpx.Response) -> tuple[Json, object]:
        """The envelope and its `data` when both HTTP status and body `code` say success."""
        status = response.status_code
        if status == 404:
            raise self.endpoint_not_found(response)
        body = decode_json(response.content)
        if not 200 <= status < 300:
            raise self._error(response, status, body, f"HTTP {status}")
        if not isinstance(body, dict):  # what json.loads makes of an object
            snippet = self.show(response.content.decode("utf-8", "replace"))
            what = "not JSON" if body is NOT_JSON else "JSON but not an object"
            raise self.unexpected(
                f"the answer is {what}: {snippet}",
                code=status,
                request_id=self.request_id(response),
            )
        code = body.get("code")
        if type(code) is not int:
            raise self.unexpected(
                f"the answer has no integer `code`: {self.show(code, 40)}",
                request_id=self.request_id(response),
            )
        if code != 200:
            raise self._error(response, code, body, f"code {code}")
        return body, body.get("data")

    def endpoint_not_found(self, response: httpx.Response) -> EndpointNotFoundError:
        # A missing task is HTTP 200 with the code in the body; an HTTP 404, whatever its body
        # says, is a router that knows no such path: the address is wrong, not the task id.
        try:
            request = response.request
            # Query and user info are dropped: a presigned URL carries its signature there.
            url = request.url.copy_with(userinfo=b"", query=None, fragment=None)
            where = f" for {request.method} {url}"
        except RuntimeError:  # a response built without a request (tests, fakes)
            where = ""
        return EndpointNotFoundError(
            self.redact(f"HTTP 404{where}: no such endpoint there; check the base URL"),
            provider=self.provider,
            code=404,
            request_id=_request_id(response),
        )

    def _error(
        self, response: httpx.Response, code: int, body: object, fallback: str
    ) -> AvatarError:
        # Headers are read only here: the success path does not pay for them.
        message = cut(self.redact(message_of(body)), 500) or fallback
        cls = error_class(code)
        if cls is UnexpectedResponseError:
            message = f"undocumented code {code}: {message}"
        return cls(
            message,
            provider=self.provider,
            code=code,
            request_id=self.request_id(response),
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            task_id=self.named_task(body),
        )

    def named_task(self, body: object) -> str | None:
        """The task id an answer names, at its top level or in its `data` (blanked), or None.
        An error answer that names a task does not prove that none was created."""
        for where in (body, body.get("data") if isinstance(body, Mapping) else None):
            if not isinstance(where, Mapping):
                continue
            for key, value in where.items():
                if not (isinstance(key, str) and key.replace("_", "").lower() == "taskid"):
                    continue
                if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**40:
                    value = str(value)
                if isinstance(value, str) and value.strip():
                    return cut(self.redact(value), 200)
        return None

    def mapping(self, value: object, what: str) -> Json:
        """A JSON object, or UnexpectedResponseError naming the field."""
        if isinstance(value, (dict, Mapping)):  # a dict is found before the ABC check
            return value
        raise self.unexpected(f"{what} is not an object: {self.show(value)}")

    def state(
        self, data: Json, key: str, states: Mapping[str, TaskState]
    ) -> tuple[str, TaskState | None]:
        """The state `data[key]` names, and its folded form; None for a name `states` does not
        know (a task in a state the spec does not list is reported as `unknown`, not refused).
        `states` is keyed by the spec's states (the generated enum); a missing or non-string
        state is refused, as the generated model refuses it."""
        name = data.get(key)
        if not isinstance(name, str):
            raise self.unexpected(f"data.{key} is not a string: {self.show(name)}")
        return name, states.get(name)

    def model(self, from_dict: Callable[[Json], T], data: object, what: str) -> T:
        """A generated model from `data`, whose parse errors become UnexpectedResponseError."""
        data = self.mapping(data, what)
        try:
            return from_dict(data)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise self.unexpected(f"{what} does not match the spec: {self.show(exc, 200)}") from exc

    def text(self, value: object, what: str) -> str:
        """A non-empty string (blanked), or UnexpectedResponseError naming the field."""
        if isinstance(value, str) and value:
            return self.redact(value)
        raise self.unexpected(f"{what} is not a non-empty string: {self.show(value)}")

    def optional_text(self, value: object, what: str) -> str | None:
        """A string; None for null, absent or empty (Apikley's "no failure" is "")."""
        return None if value is None or value == "" else self.text(value, what)

    def number(self, value: object, what: str) -> float:
        """A finite number (JSON allows neither booleans nor NaN here)."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if math.isfinite(number):
                return number
        raise self.unexpected(f"{what} is not a number: {self.show(value)}")

    def optional_number(self, value: object, what: str) -> float | None:
        return None if value is None else self.number(value, what)

    def time(self, value: object, what: str, *, per_second: int) -> datetime | None:
        if value is None:
            return None
        try:
            return _utc(self.number(value, what) / per_second)
        except (OverflowError, OSError, ValueError) as exc:
            raise self.unexpected(f"{what} is not a usable timestamp: {self.show(value)}") from exc

    def url(self, value: object, what: str, index: int | None = None) -> str:
        """An http(s) URL that may leave the client (see `answer_url_problem`); `what` names
        it, or the list it is item `index` of."""
        if isinstance(value, str) and value in self._good_urls:
            return value
        problem = answer_url_problem(value, allow_loopback=self.allow_loopback)
        if problem is None and isinstance(value, str):  # a str whenever it has no problem
            if not self.redact.finds(value):
                self._remember_good(value)
                return value
            problem = "carrying the API key"
        where = what if index is None else f"{what}[{index}]"
        raise self.unexpected(f"{where} is {problem}: {self.show(value)}")

    def _remember_good(self, url: str) -> None:
        if len(url) <= 2048:
            if len(self._good_urls) >= _KNOWN_URLS:
                self._good_urls.clear()
            self._good_urls[url] = None

    def urls(self, value: object, what: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
            raise self.unexpected(f"{what} is not a list of strings: {self.show(value)}")
        for index, url in enumerate(value):
            self.url(url, what, index)
        return list(value)  # the Task's own: `raw` holds the answer's

    def request_id(self, response: httpx.Response) -> str | None:
        found = _request_id(response)
        return None if found is None else cut(self.redact(found), 100)

    def same_task(self, task: Task, task_id: str) -> Task:
        """`task`, when it is the one asked about; an answer about another is not used."""
        # The task's id is blanked like every provider string: compare both blanked. Equal as
        # asked, they are equal blanked too (a blanked text holds no secret to blank again).
        if task.id != task_id and task.id != self.redact(task_id):
            raise self.unexpected(
                f"asked about task {self.show(task_id, 80)}, the answer is about "
                f"{self.show(task.id, 80)}"
            )
        return task

    def failed(self, task: Task) -> GenerationFailedError:
        detail = cut(": ".join(s for s in (task.error_code, task.error_message) if s), 500)
        return GenerationFailedError(
            self.redact(f"task {task.id} failed" + (f" ({detail})" if detail else "")),
            provider=self.provider,
            code=501,
            task=task,
        )


@functools.lru_cache(maxsize=256)
def _utc(seconds: float) -> datetime:
    # A task's times come again in every answer about it: each is made once.
    return datetime.fromtimestamp(seconds, UTC)


def _request_id(response: httpx.Response) -> str | None:
    headers = response.headers
    return next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)


def unknown_state_task(reader: Reader, data: Json, id_key: str, state_key: str) -> Task:
    """A task in a state the spec does not list: reported as `unknown`, never a crash."""
    return Task(
        id=reader.text(data.get(id_key), id_key),
        provider=reader.provider,
        state=TaskState.UNKNOWN,
        provider_state=cut(reader.redact(str(data.get(state_key))), 200),
        raw=data,
    )


class GeneratedClient(Protocol):
    """What the overlay uses of a generated `AuthenticatedClient`."""

    def get_httpx_client(self) -> httpx.Client: ...

    def get_async_httpx_client(self) -> httpx.AsyncClient: ...


class Adapter(abc.ABC):
    """One provider: its settings, its operations, and how its task objects read."""

    name: ClassVar[Provider]
    title: ClassVar[str]  # as the provider writes its own name
    key_env: ClassVar[str]
    base_url_env: ClassVar[str]
    default_base_url: ClassVar[str]
    upload_prefix: ClassVar[str | None] = None  # where the file-upload server lives
    # How long after its creation a not-found answer still means "not there yet", for a task
    # this client created; for an id of unknown age, how long after the wait began.
    not_found_grace: ClassVar[float] = 0.0
    # The longest prompt the provider's spec allows (its `prompt.maxLength`).
    max_prompt: ClassVar[int]
    unknown_age_grace: ClassVar[float] = 0.0
    poll_schedule: ClassVar[PollSchedule] = DOCUMENTED_SCHEDULE
    auth_header: ClassVar[str]
    task_lookup: ClassVar[str]  # the spec's name of the operation that reads a task
    auth_prefix: ClassVar[str]
    client_class: ClassVar[Callable[..., GeneratedClient]]

    # The provider's own limit on task creations per account, where one is known (the router
    # waits for a slot under it unless told otherwise).
    default_rate_limit: ClassVar[RateLimit | None] = None
    # How its callbacks are signed: with a key the user holds (`webhook_key=`), or with the
    # provider's own published keys (`callback_keys`); None: unsigned.
    signs_callbacks: ClassVar[CallbackSigning | PublishedKeySigning | None] = None

    # The model name sent for each mode, where the provider picks the mode by model name
    # (None: the provider has a `mode` field instead). The client's `models=` overrides it.
    default_models: ClassVar[Mapping[str, str] | None] = None

    def __init__(
        self,
        secret: str = "",
        models: Mapping[str, str] | None = None,
        *,
        allow_loopback: bool = True,
        base_url: str | None = None,
    ) -> None:
        self._key = secret
        self.reader = Reader(self.name, secret, allow_loopback=allow_loopback)
        self.models = self.checked_models(models)
        # The API's address as the client was configured with it (checked there).
        self.base_url = (base_url or self.default_base_url).rstrip("/")

    def server_url(self, server: Server) -> str:
        """The base URL of `server`'s requests: the API's, or its file-upload server's."""
        if server == "upload" and self.upload_prefix:
            return self.base_url + self.upload_prefix
        return self.base_url

    def checked_models(self, models: Mapping[str, str] | None) -> Mapping[str, str] | None:
        """The default names with ``models`` applied; only modes, only names the spec knows."""
        if models is None:
            return self.default_models
        if self.default_models is None:
            raise InvalidRequestError(
                f"models: {self.name} picks the mode with its `mode` field, not a model name",
                field="models",
                provider=self.name,
            )
        known = self.known_models()
        for mode, model in models.items():
            if mode not in self.default_models or model not in known:
                raise InvalidRequestError(
                    f"models: {mode!r} -> {model!r}: modes are {sorted(self.default_models)}, "
                    f"names one of {sorted(known)}",
                    field="models",
                    provider=self.name,
                )
        return {**self.default_models, **models}

    def known_models(self) -> frozenset[str]:
        """The model names the provider's spec accepts."""
        return frozenset()

    def client(self, base_url: str, timeout: float, httpx_args: dict[str, Any]) -> GeneratedClient:
        """The generated AuthenticatedClient, carrying the key the provider's way."""
        return self.client_class(
            base_url=base_url,
            token=self._key,
            prefix=self.auth_prefix,
            auth_header_name=self.auth_header,
            timeout=httpx.Timeout(timeout),
            verify_ssl=tls_context(),
            httpx_args=httpx_args,
        )

    def created_task(
        self,
        response: httpx.Response,
        from_dict: Callable[[Json], CrunTaskCreated | ApikleyTaskCreated],
        id_key: str,
    ) -> Task:
        """The pending task a creation answered (its id is all it says)."""
        created = self.reader.model(from_dict, self.reader.envelope(response)[1], "data")
        task_id = self.reader.text(created.task_id, f"data.{id_key}")
        return Task(id=task_id, provider=self.name, state=TaskState.PENDING, raw=created)

    @abc.abstractmethod
    def create_task(self, task: TaskInput, image_url: str, audio_url: str) -> Operation[Task]: ...

    def estimate_task(
        self, task: TaskInput, image_url: str, audio_url: str
    ) -> Operation[tuple[float, bool | None]] | None:
        """The task's price and whether the balance covers it (None when not said), for a
        provider that answers this before creating; None for one that cannot."""
        return None

    def price(self, task: TaskInput) -> float | None:
        """The task's price worked out without asking, for a provider that publishes one (per
        second of video, with the audio's length when it is known); None otherwise."""
        return None

    def read_task(self, task_id: str) -> Read[Task]:
        """The task lookup (`task_lookup`: `task_request`, then `task_data` of the answer); an
        answer that describes another task than `task_id` is refused. A provider whose read
        takes several requests returns its `Steps` instead (and checks the same)."""
        return TaskLookup(self, task_id)

    def task_request(self, task_id: str) -> dict[str, Any]:
        """The task lookup's request (httpx.request kwargs: the generated builder's)."""
        raise NotImplementedError

    def task_data(self, response: httpx.Response) -> object:
        """The task object a lookup's answer carries; a failure raised as the provider means
        it."""
        raise NotImplementedError

    def cancel_task(self, task_id: str) -> Operation[bool]:
        """Asks the provider to cancel the task: True when it took the request (the task may
        still finish), False when the task had already finished. A provider without the
        operation raises NotSupportedError, before anything is sent."""
        raise NotSupportedError(
            f"{self.title} has no way to cancel a task: it runs to its end",
            provider=self.name,
        )

    @classmethod
    def can_cancel(cls) -> bool:
        """Whether the provider has a cancel operation (`cancel_task`)."""
        return cls.cancel_task is not Adapter.cancel_task

    @abc.abstractmethod
    def get_credits(self) -> Operation[float]: ...

    def callback_keys(self) -> Operation[tuple[bytes, ...]] | None:
        """The public keys the provider signs its callbacks with, where it publishes them
        (`signs_callbacks` is a PublishedKeySigning); fetched without the API key."""
        return None

    @abc.abstractmethod
    def upload(self, file: UploadFile) -> UploadSteps:
        """The operations that store `file`, ending with the URL to use for it."""

    @abc.abstractmethod
    def task(self, data: object) -> Task:
        """A task from the provider's task object (a status answer's or a callback's `data`)."""

    @abc.abstractmethod
    def callback_data(self, body: Json) -> object:
        """The task object inside a callback body."""

    def registered_callback_url(self, task: Task) -> str | None:
        """The callback URL the provider says `task` was created with, when it says."""
        return None
