"""fal.ai: a generic job queue with real HTTP statuses and bare JSON answers (no envelope).

What differs from the resellers, each a reading of specs/fal.yaml (its `x-ambiguity` entries
say why where fal's sources disagree or are silent):

- `Authorization: Key <key_id>:<key_secret>` (`FAL_KEY`); the queue at `queue.fal.run`.
- std or pro is the endpoint, and so is the model version: v2 by default, v1 by
  `models={"std": "fal-ai/kling-video/v1/standard/ai-avatar", ...}` (the endpoint ids).
- A request runs IN_QUEUE, IN_PROGRESS, COMPLETED; a failed one ends COMPLETED too, with
  `error` and `error_type`. The status answers 202 until COMPLETED, then 200; the video is in
  the result, a second request: a read is a status and, once COMPLETED without an error, the
  result. The queue position and the last log line are the task's `progress`.
- The status, result and cancel URLs an answer hands back are followed only when they point at
  the configured queue (same scheme, host, port and base path) and at this very request;
  otherwise the owner/app paths built from the base URL are used. The key goes nowhere else.
- Errors are the HTTP status and `detail` (a list naming the field, or a string with
  `error_type`): 401, 403 (a locked account; an exhausted balance is InsufficientCreditsError),
  404 (no such request), 422 (the field named), 429, 5xx, and 504 with
  `X-Fal-Request-Timeout-Type: user` (the start deadline passed: nothing ran).
- Uploads go to fal's storage (`rest.fal.ai`): initiate, then a PUT of the bytes, without the
  key, to the URL the answer names. fal has no balance API.
- Webhooks (`fal_webhook`) are signed by fal over the body with Ed25519 keys it publishes as a
  JWKS: a verified one is fal's word, so the receiver hands it on without a confirming read.
- Price: per second of output, std $0.0562/s and pro $0.115/s (the spec's `x-price`).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import wave
from collections import OrderedDict
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Literal
from urllib.parse import unquote, urlsplit

import httpx
from kling_avatar_generated.fal import AuthenticatedClient
from kling_avatar_generated.fal.api.queue import get_request_result, get_request_status
from kling_avatar_generated.fal.models import LogsFlag
from kling_avatar_generated.fal.types import UNSET

from .._exceptions import (
    AuthenticationError,
    AvatarError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    NotSupportedError,
    UnexpectedResponseError,
    error_class,
)
from .._inputs import TaskInput, check_url
from .._models import Task, TaskState
from .._redact import cut
from .._retry import parse_retry_after
from .._signatures import PublishedKeySigning, parse_key_set
from .._uploads import UploadFile
from ._base import (
    NOT_JSON,
    Adapter,
    Json,
    Operation,
    Read,
    Server,
    Steps,
    UploadSteps,
    decode_json,
    unknown_state_task,
)

# Only reading a task is imported with the module; every other operation imports its generated
# module when first built (as the other adapters do).

V2_STANDARD = "fal-ai/kling-video/ai-avatar/v2/standard"
V2_PRO = "fal-ai/kling-video/ai-avatar/v2/pro"
V1_STANDARD = "fal-ai/kling-video/v1/standard/ai-avatar"
V1_PRO = "fal-ai/kling-video/v1/pro/ai-avatar"
# Each endpoint's submit operation (its generated module and input model) and its price in US
# dollars per second of video (specs/fal.yaml, `x-price`; a test keeps the two equal).
ENDPOINTS: Mapping[str, tuple[str, str, float]] = MappingProxyType(
    {
        V2_STANDARD: ("submit_avatar_v2_standard", "KlingVideoAiAvatarV2StandardInput", 0.0562),
        V2_PRO: ("submit_avatar_v2_pro", "KlingVideoAiAvatarV2ProInput", 0.115),
        V1_STANDARD: ("submit_avatar_v1_standard", "KlingVideoV1StandardAiAvatarInput", 0.0562),
        V1_PRO: ("submit_avatar_v1_pro", "KlingVideoV1ProAiAvatarInput", 0.115),
    }
)

_STATES = {
    "IN_QUEUE": TaskState.PENDING,
    "IN_PROGRESS": TaskState.RUNNING,
    "COMPLETED": TaskState.SUCCEEDED,  # unless it carries an error
}
# fal's own queue hosts; behind any other base URL (the mock, a proxy) one host serves it all.
_OWN_QUEUE_HOSTS = frozenset({"queue.fal.run", "queue.falrun.com"})
_STORAGE_URL = "https://rest.fal.ai"
# The host fal's webhook page names (the clients moved their REST host to rest.fal.ai; whether
# the keys did is not known): FAL_JWKS_URL overrides it.
_KEYS_URL = "https://rest.alpha.fal.ai/.well-known/jwks.json"
_KEYS_PATH = "/.well-known/jwks.json"
_STORAGE_TYPE = "fal-cdn-v3"  # what fal-js sends; fal states no default
# The request URLs of the tasks this client submitted or read, to follow them (bounded).
_REMEMBERED = 4096
_Kind = Literal["status", "result", "cancel"]
_ANSWER_URLS: tuple[tuple[_Kind, str], ...] = (
    ("status", "status_url"),
    ("result", "response_url"),
    ("cancel", "cancel_url"),
)


def audio_seconds(file: UploadFile) -> float | None:
    """How long a local audio file plays, where the standard library can tell (WAV)."""
    if file.content_type not in ("audio/wav", "audio/x-wav"):
        return None
    try:
        with wave.open(io.BytesIO(file.content)) as reading:
            rate = reading.getframerate()
            return reading.getnframes() / rate if rate > 0 else None
    except (wave.Error, EOFError, ValueError, OSError):
        return None


def _detail(body: object) -> tuple[str, str | None, str | None]:
    """An error body's text, the field it names (the last string of a `loc`, as in
    ["body", "image_url"]) and the type of its first complaint, whichever `detail` shape."""
    detail = body.get("detail") if isinstance(body, Mapping) else None
    if isinstance(detail, str):
        return detail, None, None
    if not isinstance(detail, list):
        return "", None, None
    texts: list[str] = []
    field = kind = None
    for item in detail[:5]:
        if not isinstance(item, Mapping):
            continue
        loc = item.get("loc")
        names = [part for part in loc if isinstance(part, str)] if isinstance(loc, list) else []
        named = names[-1] if names and names[-1] != "body" else None
        message = item.get("msg")
        said = message if isinstance(message, str) else ""
        texts.append(f"{named}: {said}" if named else said)
        if field is None and named:
            field = named
        if kind is None and isinstance(item.get("type"), str):
            kind = str(item["type"])
    return "; ".join(text for text in texts if text), field, kind


class Fal(Adapter):
    name = "fal"
    title = "fal.ai"
    key_env = "FAL_KEY"
    base_url_env = "FAL_BASE_URL"
    keys_url_env: ClassVar[str] = "FAL_JWKS_URL"
    auth_header = "Authorization"
    auth_prefix = "Key"
    client_class = AuthenticatedClient
    default_base_url = "https://queue.fal.run"
    # fal states no limit; Kling's own is the best guess of what it forwards (specs/fal.yaml).
    max_prompt = 2500
    # The endpoint is the mode and the version (v2; v1 by `models=`).
    default_models: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"std": V2_STANDARD, "pro": V2_PRO}
    )
    signs_callbacks = PublishedKeySigning(
        signature_header="X-Fal-Webhook-Signature",
        signed_headers=(
            "X-Fal-Webhook-Request-Id",
            "X-Fal-Webhook-User-Id",
            "X-Fal-Webhook-Timestamp",
        ),
        id_header="X-Fal-Webhook-Request-Id",
        timestamp_header="X-Fal-Webhook-Timestamp",
        keys_max_age=86_400.0,  # "cache it for at most 24 hours"
    )

    def __init__(
        self,
        secret: str = "",
        models: Mapping[str, str] | None = None,
        *,
        allow_loopback: bool = True,
        base_url: str | None = None,
    ) -> None:
        super().__init__(secret, models, allow_loopback=allow_loopback, base_url=base_url)
        # request id -> the paths (relative to the base URL) its answers pointed to, checked.
        self._paths: OrderedDict[str, dict[_Kind, str]] = OrderedDict()

    def known_models(self) -> frozenset[str]:
        return frozenset(ENDPOINTS)

    # --- where requests go ----------------------------------------------------------------

    def _on_fal(self) -> bool:
        return (urlsplit(self.base_url).hostname or "") in _OWN_QUEUE_HOSTS

    def server_url(self, server: Server) -> str:
        if server == "upload" and self._on_fal():
            return _STORAGE_URL
        return self.base_url

    def keys_url(self) -> str:
        """Where fal's webhook keys are read: FAL_JWKS_URL, else the documented URL for fal's
        own queue, else the base URL's (the mock serves them beside the API)."""
        configured = os.environ.get(self.keys_url_env)
        if configured:
            return check_url(configured, self.keys_url_env)
        return _KEYS_URL if self._on_fal() else self.base_url + _KEYS_PATH

    def _remember(self, task_id: str, answer: Json) -> None:
        """The request URLs of an answer about `task_id` that may be followed."""
        found: dict[_Kind, str] = {}
        for kind, key in _ANSWER_URLS:
            path = self._followable(answer.get(key), task_id, kind)
            if path is not None:
                found[kind] = path
        if not found:
            return
        # Each step is one call on the OrderedDict: threads sharing the client need no lock.
        self._paths.pop(task_id, None)
        self._paths[task_id] = found
        while len(self._paths) > _REMEMBERED:
            with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                self._paths.popitem(last=False)

    def _followable(self, url: object, task_id: str, kind: _Kind) -> str | None:
        """`url`'s path relative to the base URL, when `url` is on the configured queue (scheme,
        host, port, under its path) and names `task_id`'s `kind` URL; else None."""
        if not isinstance(url, str) or not url.isprintable():
            return None
        try:
            given, base = urlsplit(url), urlsplit(self.base_url)
            same_place = (given.scheme, given.hostname, given.port) == (
                base.scheme,
                base.hostname,
                base.port,
            )
        except ValueError:
            return None
        if not same_place or given.username or given.password or given.fragment:
            return None
        prefix = base.path.rstrip("/")
        if not given.path.startswith(prefix + "/"):
            return None
        rest = given.path[len(prefix) :]
        segments = [unquote(part) for part in rest.split("/")[1:]]
        tail = ["requests", task_id, *([] if kind == "result" else [kind])]
        if any(s in ("", ".", "..") or "/" in s for s in segments):
            return None
        if segments[-len(tail) :] != tail or len(segments) <= len(tail):
            return None
        return rest

    def _request(
        self, task_id: str, kind: _Kind, build: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """The request kwargs of `kind` for `task_id`: the generated owner/app path, or the one
        an answer pointed to, when it may be followed."""
        kwargs = build()
        path = self._paths.get(task_id, {}).get(kind)
        if path is not None:
            kwargs["url"] = path
        return kwargs

    # --- reading answers --------------------------------------------------------------------

    def _request_id(self, response: httpx.Response) -> str | None:
        found = response.headers.get("x-fal-request-id") or self.reader.request_id(response)
        return None if found is None else cut(self.reader.redact(found), 100)

    def _json(self, response: httpx.Response, what: str) -> Json:
        """A 2xx answer's JSON object; any other answer raises its error."""
        if not response.is_success:
            raise self._error(response)
        body = decode_json(response.content)
        if not isinstance(body, Mapping):
            snippet = self.reader.show(response.content.decode("utf-8", "replace"))
            kind = "not JSON" if body is NOT_JSON else "JSON but not an object"
            raise self.reader.unexpected(
                f"{what} is {kind}: {snippet}",
                code=response.status_code,
                request_id=self._request_id(response),
            )
        return body

    def _error(self, response: httpx.Response) -> AvatarError:
        """The error an answer other than 2xx means, from its status, `detail` and headers."""
        status = response.status_code
        body = decode_json(response.content)
        if status == 404 and not (isinstance(body, Mapping) and "detail" in body):
            # Not fal's own "no such request": nothing answers at that address.
            return self.reader.endpoint_not_found(response)
        text, field, _ = _detail(body)
        error_type = body.get("error_type") if isinstance(body, Mapping) else None
        if not isinstance(error_type, str) or not error_type:
            error_type = response.headers.get("x-fal-error-type", "")
        message = cut(self.reader.redact(text), 500) or f"HTTP {status}"
        if error_type:
            message += f" ({cut(self.reader.redact(error_type), 80)})"
        named = body.get("request_id") if isinstance(body, Mapping) else None
        fields: dict[str, Any] = {
            "provider": self.name,
            "code": status,
            "request_id": self._request_id(response),
            "retry_after": parse_retry_after(response.headers.get("retry-after")),
            # An answer naming a request does not prove that none was queued.
            "task_id": cut(self.reader.redact(named), 200)
            if isinstance(named, str) and named
            else None,
        }
        if status in (400, 422):
            return InvalidRequestError(message, field=field, **fields)
        if status == 403:
            # A locked account queues nothing: the router may try another provider.
            if "balance" in text.lower():
                return InsufficientCreditsError(
                    message, no_task_reason="balance exhausted, account locked (403)", **fields
                )
            return AuthenticationError(message, no_task_reason="account locked (403)", **fields)
        if status == 504 and response.headers.get("x-fal-request-timeout-type", "") == "user":
            return error_class(504)(
                f"the start deadline passed before a runner took the request: {message}",
                no_task_reason="start deadline passed, nothing ran (504)",
                **fields,
            )
        cls = error_class(status)
        if status == 404:
            cls = NotFoundError
        elif cls is UnexpectedResponseError:
            message = f"undocumented HTTP {status}: {message}"
        return cls(message, **fields)

    # --- creating ---------------------------------------------------------------------------

    def create_task(self, task: TaskInput, image_url: str, audio_url: str) -> Operation[Task]:
        endpoint = (self.models or self.default_models)[task.mode]
        module, model, _ = ENDPOINTS[endpoint]
        submit = importlib.import_module(f"kling_avatar_generated.fal.api.queue.{module}")
        body = getattr(importlib.import_module("kling_avatar_generated.fal.models"), model)(
            image_url=image_url,
            audio_url=audio_url,
            # Empty: fal's own default (".") applies.
            prompt=task.prompt or UNSET,
        )
        webhook = UNSET if task.callback_url is None else task.callback_url
        return Operation(
            submit.__name__.rpartition(".")[2],
            lambda: submit.request_kwargs(body=body, fal_webhook=webhook),
            self._submitted,
            idempotent=False,
        )

    def _submitted(self, response: httpx.Response) -> Task:
        answer = self._json(response, "the submit answer")
        task_id = self.reader.text(answer.get("request_id"), "request_id")
        self._remember(task_id, answer)
        return Task(
            id=task_id,
            provider=self.name,
            state=TaskState.PENDING,
            provider_state="IN_QUEUE",
            progress=self._queue_place(answer.get("queue_position")),
            raw=answer,
        )

    def price(self, task: TaskInput) -> float | None:
        """Per second of the video, which is as long as the audio: known for a local WAV."""
        endpoint = (self.models or self.default_models)[task.mode]
        seconds = audio_seconds(task.audio) if isinstance(task.audio, UploadFile) else None
        return None if seconds is None else round(ENDPOINTS[endpoint][2] * seconds, 6)

    # --- reading ----------------------------------------------------------------------------

    def read_task(self, task_id: str) -> Read[Task]:
        """The status, then (COMPLETED without an error) the result, which holds the video; an
        answer about another task than `task_id` is refused."""

        def steps() -> Steps[Task]:
            status: Task = yield Operation(
                "getRequestStatus",
                lambda: self._request(
                    task_id,
                    "status",
                    lambda: get_request_status.request_kwargs(task_id, logs=LogsFlag.VALUE_1),
                ),
                lambda response: self._status(response, task_id),
            )
            if status.state is not TaskState.SUCCEEDED:
                return self.reader.same_task(status, task_id)
            finished: Task = yield Operation(
                "getRequestResult",
                lambda: self._request(
                    task_id, "result", lambda: get_request_result.request_kwargs(task_id)
                ),
                lambda response: self._result(response, status),
            )
            return self.reader.same_task(finished, task_id)

        return steps

    def _status(self, response: httpx.Response, task_id: str) -> Task:
        answer = self._json(response, "the status answer")
        said = answer.get("request_id")
        if said is not None:
            task_id = self.reader.text(said, "request_id")  # another task's: refused after
        word = answer.get("status")
        if not isinstance(word, str) or word not in _STATES:
            if isinstance(word, str):
                return unknown_state_task(
                    self.reader, {**answer, "request_id": task_id}, "request_id", "status"
                )
            raise self.reader.unexpected(f"status is not a state: {self.reader.show(word)}")
        self._remember(task_id, answer)
        state = _STATES[word]
        error = self.reader.optional_text(answer.get("error"), "error")
        error_type = self.reader.optional_text(answer.get("error_type"), "error_type")
        if state is TaskState.SUCCEEDED and (error or error_type):
            return Task(
                id=task_id,
                provider=self.name,
                state=TaskState.FAILED,
                provider_state=word,
                error_code=cut(error_type or "", 200) or None,
                error_message=cut(error or "", 500) or None,
                raw=answer,
            )
        progress = None
        if state is TaskState.PENDING:
            progress = self._queue_place(answer.get("queue_position"))
        elif state is TaskState.RUNNING:
            progress = self._last_log(answer.get("logs"))
        return Task(
            id=task_id,
            provider=self.name,
            state=state,
            provider_state=word,
            progress=progress,
            raw=answer,
        )

    def _queue_place(self, position: object) -> str | None:
        if isinstance(position, int) and not isinstance(position, bool) and 0 <= position < 10**9:
            return f"{position} ahead in the queue"
        return None

    def _last_log(self, logs: object) -> str | None:
        if not isinstance(logs, list):
            return None
        for entry in reversed(logs[-50:]):
            message = entry.get("message") if isinstance(entry, Mapping) else None
            if isinstance(message, str) and message.strip():
                return cut(self.reader.redact(" ".join(message.split())), 200)
        return None

    def _result(self, response: httpx.Response, status: Task) -> Task:
        """The result of a request whose status said COMPLETED without an error."""
        code = response.status_code
        refused = 400 <= code < 500 and code not in (401, 403, 404, 408, 429)
        never_ran = code == 504 and response.headers.get("x-fal-request-timeout-type") == "user"
        if refused or never_ran:
            # The model's own answer: it refused or could not use the input (a 400 after
            # COMPLETED is the model's failure, not "not completed yet"), or never started.
            text, _, kind = _detail(decode_json(response.content))
            return Task(
                id=status.id,
                provider=self.name,
                state=TaskState.FAILED,
                provider_state=status.provider_state,
                error_code=cut(self.reader.redact(kind or str(code)), 200),
                error_message=cut(self.reader.redact(text), 500) or f"HTTP {code}",
                raw=status.raw,
            )
        output = self._json(response, "the result")
        video = output.get("video")
        if not isinstance(video, Mapping):
            raise self.reader.unexpected(f"video is not an object: {self.reader.show(video)}")
        return Task(
            id=status.id,
            provider=self.name,
            state=TaskState.SUCCEEDED,
            provider_state=status.provider_state,
            video_urls=[self.reader.url(video.get("url"), "video.url")],
            raw=output,
        )

    # --- cancelling -------------------------------------------------------------------------

    def cancel_task(self, task_id: str) -> Operation[bool]:
        """Accepted is 200 or 202 (the request may still complete, and be billed); 400 means
        it had already completed; whatever the body says, the status decides."""
        from kling_avatar_generated.fal.api.queue import cancel_request

        return Operation(
            "cancelRequest",
            lambda: self._request(
                task_id, "cancel", lambda: cancel_request.request_kwargs(task_id)
            ),
            self._cancelled,
        )

    def _cancelled(self, response: httpx.Response) -> bool:
        if response.status_code == 400:
            return False
        if response.status_code == 404:
            body = decode_json(response.content)
            if isinstance(body, Mapping) and body.get("status") == "NOT_FOUND":
                # fal's newer cancel page names this status; its body is stored nowhere.
                raise NotFoundError(
                    "no such request",
                    provider=self.name,
                    code=404,
                    request_id=self._request_id(response),
                )
        if not response.is_success:
            raise self._error(response)
        return True

    # --- the rest ---------------------------------------------------------------------------

    def get_credits(self) -> Operation[float]:
        raise NotSupportedError(
            "fal.ai has no balance API: see the account's billing page", provider=self.name
        )

    def upload(self, file: UploadFile) -> UploadSteps:
        """fal's storage: initiate (with the key, at fal's REST host), then a PUT of the bytes
        to the URL the answer names, without the key (it carries its own authority)."""
        from kling_avatar_generated.fal.api.storage import initiate_upload
        from kling_avatar_generated.fal.models import UploadRequest

        def target(response: httpx.Response) -> tuple[str, str]:
            answer = self._json(response, "the upload answer")
            return (
                self.reader.url(answer.get("upload_url"), "upload_url"),
                self.reader.url(answer.get("file_url"), "file_url"),
            )

        request = UploadRequest(content_type=file.content_type, file_name=file.file_name)
        reply = yield Operation(
            "initiateUpload",
            lambda: initiate_upload.request_kwargs(body=request, storage_type=_STORAGE_TYPE),
            target,
            server="upload",
        )
        upload_url, file_url = reply
        yield Operation(
            "uploadPut",
            lambda: {
                "method": "PUT",
                "url": upload_url,
                "content": file.content,
                "headers": {"Content-Type": file.content_type},
            },
            self._put_done,
            server="external",
        )
        return str(file_url)

    def _put_done(self, response: httpx.Response) -> None:
        if not response.is_success:
            raise self._error(response)

    # --- webhooks ---------------------------------------------------------------------------

    def callback_keys(self) -> Operation[tuple[bytes, ...]]:
        """fal's JWKS, read without the key (`external`) from `keys_url`."""
        url = self.keys_url()
        return Operation(
            "getWebhookKeys", lambda: {"method": "GET", "url": url}, self._keys, server="external"
        )

    def _keys(self, response: httpx.Response) -> tuple[bytes, ...]:
        if not response.is_success:
            raise self._error(response)
        keys = parse_key_set(response.content)
        if not keys:
            raise self.reader.unexpected("the webhook key set holds no Ed25519 key")
        return keys

    def callback_data(self, body: Json) -> object:
        # The webhook is the task object itself; its id is `request_id`.
        return {**body, "task_id": body.get("request_id")}

    def task(self, data: object) -> Task:
        """A task from a webhook's body: OK with the model's output, or ERROR."""
        reader = self.reader
        if not isinstance(data, Mapping):
            raise reader.unexpected(f"the webhook is not an object: {reader.show(data)}")
        task_id = reader.text(data.get("request_id"), "request_id")
        status = data.get("status")
        if status == "OK":
            payload = data.get("payload")
            video = payload.get("video") if isinstance(payload, Mapping) else None
            if not isinstance(video, Mapping):
                raise reader.unexpected(f"payload.video is not an object: {reader.show(payload)}")
            return Task(
                id=task_id,
                provider=self.name,
                state=TaskState.SUCCEEDED,
                provider_state="COMPLETED",
                video_urls=[reader.url(video.get("url"), "payload.video.url")],
                raw=data,
            )
        if status == "ERROR":
            text, _, kind = _detail(data.get("payload"))
            said = reader.optional_text(data.get("error"), "error")
            message = "; ".join(part for part in (said, reader.redact(text)) if part)
            return Task(
                id=task_id,
                provider=self.name,
                state=TaskState.FAILED,
                provider_state="COMPLETED",
                error_code=cut(reader.redact(kind), 200) if kind else "ERROR",
                error_message=cut(message, 500) or None,
                raw=data,
            )
        if isinstance(status, str):
            return unknown_state_task(reader, data, "request_id", "status")
        raise reader.unexpected(f"status is not OK or ERROR: {reader.show(status)}")


ADAPTER = Fal
