"""One adapter per provider: requests built by the generated clients, answers mapped to `Task`.

Nothing here does I/O. Each operation is an `Operation`: how to build its request (always the
generated builder, `api.<tag>.<op>._get_kwargs`) and how to read its answer. Answers are read
from the raw response: the envelope is checked here before `data` reaches a generated model,
because the generated parsers raise KeyError/ValueError/JSONDecodeError on anything off-spec.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Generator, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeAlias, TypeVar, cast

import attrs
import httpx

from ._exceptions import (
    AvatarError,
    GenerationFailedError,
    NotFoundError,
    UnexpectedResponseError,
    error_class,
)
from ._inputs import TaskInput
from ._models import Provider, RawTask, Task, TaskState
from ._retry import parse_retry_after
from ._uploads import UploadFile

T = TypeVar("T")
Server: TypeAlias = Literal["api", "upload", "external"]
Json: TypeAlias = Mapping[str, object]

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-trace-id")
_NOT_JSON = object()
_UPLOAD_FOLDER = "kling-avatar"


@attrs.frozen
class Operation(Generic[T]):
    """One spec'd request: `build` gives httpx.request kwargs (fresh each attempt, so a file
    body can be sent again), `parse` turns the answer into a result or raises AvatarError."""

    name: str
    build: Callable[[], dict[str, Any]]
    parse: Callable[[httpx.Response], T]
    idempotent: bool = True
    server: Server = "api"


UploadSteps: TypeAlias = Generator[Operation[Any], Any, str]


# --- reading answers ------------------------------------------------------------------------


def decode_json(content: bytes | str) -> object:
    """The decoded JSON, or `_NOT_JSON`."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return _NOT_JSON


def message_of(body: object) -> str:
    if isinstance(body, Mapping):
        for key in ("msg", "message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return ""


class Reader:
    """Reads one provider's answers; every failure becomes an AvatarError of that provider."""

    def __init__(self, provider: Provider, secret: str = "") -> None:
        self.provider = provider
        self._secret = secret

    def redact(self, text: str) -> str:
        # A server that echoes the key back must not get it into an exception or a log line.
        return text.replace(self._secret, "[redacted]") if self._secret else text

    def unexpected(self, message: str, **kwargs: Any) -> UnexpectedResponseError:
        return UnexpectedResponseError(self.redact(message), provider=self.provider, **kwargs)

    def envelope(self, response: httpx.Response) -> tuple[Json, object]:
        """The envelope and its `data` when both HTTP status and body `code` say success."""
        status = response.status_code
        headers = response.headers
        request_id = next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)
        retry_after = parse_retry_after(headers.get("retry-after"))
        body = decode_json(response.content)
        message = self.redact(message_of(body))
        if not 200 <= status < 300:
            raise self._error(status, message or f"HTTP {status}", request_id, retry_after)
        if not isinstance(body, Mapping):
            snippet = response.content[:120].decode("utf-8", "replace")
            what = "not JSON" if body is _NOT_JSON else "JSON but not an object"
            raise self.unexpected(
                f"the answer is {what}: {snippet!r}", code=status, request_id=request_id
            )
        code = body.get("code")
        if type(code) is not int:
            raise self.unexpected(
                f"the answer has no integer `code`: {code!r}", request_id=request_id
            )
        if code != 200:
            raise self._error(code, message or f"code {code}", request_id, retry_after)
        return body, body.get("data")

    def _error(
        self, code: int, message: str, request_id: str | None, retry_after: float | None
    ) -> AvatarError:
        cls = error_class(code)
        if cls is UnexpectedResponseError:
            message = f"undocumented code {code}: {message}"
        return cls(
            message,
            provider=self.provider,
            code=code,
            request_id=request_id,
            retry_after=retry_after,
        )

    def model(self, from_dict: Callable[[Json], T], data: object, what: str) -> T:
        """A generated model from `data`, whose parse errors become UnexpectedResponseError."""
        if not isinstance(data, Mapping):
            raise self.unexpected(f"{what} is not an object: {data!r:.120}")
        try:
            return from_dict(data)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise self.unexpected(f"{what} does not match the spec: {exc!r:.200}") from exc

    def text(self, value: object, what: str, *, optional: bool = False) -> str | None:
        if isinstance(value, str) and (value or optional):
            return value or None
        if optional and _absent(value):
            return None
        raise self.unexpected(f"{what} is not a string: {value!r:.120}")

    def required_text(self, value: object, what: str) -> str:
        text = self.text(value, what)
        assert text is not None  # text() raised otherwise
        return text

    def number(self, value: object, what: str, *, optional: bool = False) -> float | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if math.isfinite(number):
                return number
        if optional and _absent(value):
            return None
        raise self.unexpected(f"{what} is not a number: {value!r:.120}")

    def time(self, value: object, what: str, *, per_second: int) -> datetime | None:
        number = self.number(value, what, optional=True)
        if number is None:
            return None
        try:
            return datetime.fromtimestamp(number / per_second, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise self.unexpected(f"{what} is not a usable timestamp: {value!r}") from exc

    def urls(self, value: object, what: str) -> list[str]:
        if _absent(value):
            return []
        if isinstance(value, list) and all(isinstance(u, str) for u in value):
            return list(value)
        raise self.unexpected(f"{what} is not a list of strings: {value!r:.120}")

    def failed(self, task: Task) -> GenerationFailedError:
        detail = ": ".join(s for s in (task.error_code, task.error_message) if s)
        return GenerationFailedError(
            self.redact(f"task {task.id} failed" + (f" ({detail})" if detail else "")),
            provider=self.provider,
            code=501,
            task=task,
        )


def _absent(value: object) -> bool:
    # Each generated package has its own UNSET sentinel class.
    return value is None or type(value).__name__ == "Unset"


def unknown_state_task(reader: Reader, data: Json, id_key: str, state_key: str) -> Task:
    """A task in a state the spec does not list: reported as `unknown`, never a crash."""
    return Task(
        id=reader.required_text(data.get(id_key), id_key),
        provider=reader.provider,
        state=TaskState.UNKNOWN,
        provider_state=str(data.get(state_key)),
        raw=data,
    )


# --- crun -----------------------------------------------------------------------------------

_CRUN_STATES = {
    "pending": TaskState.PENDING,
    "running": TaskState.RUNNING,
    "success": TaskState.SUCCEEDED,
    "failed": TaskState.FAILED,
}


class Crun:
    name: Provider = "crun"
    key_env = "CRUN_API_KEY"
    base_url_env = "CRUN_BASE_URL"
    default_base_url = "https://api.crun.ai"
    auth_prefix = ""
    auth_header = "x-api-key"
    upload_prefix: str | None = None

    def __init__(self, secret: str = "") -> None:
        self.reader = Reader("crun", secret)

    def create_task(self, task: TaskInput, image_url: str, audio_url: str) -> Operation[Task]:
        from crun_client.api.tasks import create_task
        from crun_client.models import (
            CreateTaskRequest,
            CreateTaskRequestModel,
            KlingAvatarInput,
            KlingAvatarInputMode,
        )
        from crun_client.types import UNSET

        body = CreateTaskRequest(
            model=CreateTaskRequestModel.KLINGAVATAR,
            input_=KlingAvatarInput(
                image_url=image_url,
                audio_url=audio_url,
                mode=KlingAvatarInputMode(task.mode),
                prompt=task.prompt,
            ),
            callback_url=UNSET if task.callback_url is None else task.callback_url,
        )
        return Operation(
            "createTask",
            lambda: create_task._get_kwargs(body=body),
            self._created,
            idempotent=False,
        )

    def _created(self, response: httpx.Response) -> Task:
        from crun_client.models import TaskCreated

        _, data = self.reader.envelope(response)
        created = self.reader.model(TaskCreated.from_dict, data, "data")
        task_id = self.reader.required_text(created.task_id, "data.task_id")
        return Task(id=task_id, provider="crun", state=TaskState.PENDING, raw=created)

    def get_task(self, task_id: str) -> Operation[Task]:
        from crun_client.api.tasks import get_task_info

        return Operation(
            "getTaskInfo", lambda: get_task_info._get_kwargs(task_id=task_id), self._task_answer
        )

    def _task_answer(self, response: httpx.Response) -> Task:
        return self.task(self.reader.envelope(response)[1])

    def task(self, data: object) -> Task:
        """A task from a TaskInfo object (the `data` of getTaskInfo, or a callback)."""
        from crun_client.models import TaskInfo, TaskResult

        reader = self.reader
        status = data.get("status") if isinstance(data, Mapping) else None
        if isinstance(data, Mapping) and isinstance(status, str) and status not in _CRUN_STATES:
            return unknown_state_task(reader, data, "task_id", "status")
        info = reader.model(TaskInfo.from_dict, data, "data")
        result = info.result
        if not (_absent(result) or isinstance(result, TaskResult)):
            raise reader.unexpected(f"data.result is not an object: {result!r:.120}")
        state = _CRUN_STATES[info.status.value]
        error_code = error_message = None
        urls: list[str] = []
        if isinstance(result, TaskResult):
            urls = reader.urls(result.media_urls, "data.result.media_urls")
            if state is TaskState.FAILED:
                code = reader.number(result.code, "data.result.code", optional=True)
                error_code = None if code is None else str(int(code))
                error_message = reader.text(result.message, "data.result.message", optional=True)
        return Task(
            id=reader.required_text(info.task_id, "data.task_id"),
            provider="crun",
            state=state,
            provider_state=info.status.value,
            video_urls=urls,
            error_code=error_code,
            error_message=error_message,
            created_at=reader.time(info.create_at, "data.create_at", per_second=1),
            completed_at=reader.time(info.complete_at, "data.complete_at", per_second=1),
            credits_used=reader.number(info.credits_, "data.credits", optional=True),
            raw=info,
        )

    def callback_data(self, body: Json) -> object:
        # crun's own handler accepts the bare TaskInfo and one wrapped in the envelope.
        if "data" in body and "code" in body and "task_id" not in body:
            return body["data"]
        return body

    def get_credits(self) -> Operation[float]:
        from crun_client.api.account import get_balance

        return Operation("getBalance", get_balance._get_kwargs, self._balance)

    def _balance(self, response: httpx.Response) -> float:
        from crun_client.models import Balance

        balance = self.reader.model(Balance.from_dict, self.reader.envelope(response)[1], "data")
        amount = self.reader.number(balance.balance, "data.balance")
        assert amount is not None
        return amount

    def upload(self, file: UploadFile) -> UploadSteps:
        """getUploadUrl, then a PUT of the bytes to the presigned URL (not a spec'd operation,
        and sent without the API key: the URL carries its own authorisation)."""
        from crun_client.api.files import get_upload_url
        from crun_client.models import UploadUrl

        def target(response: httpx.Response) -> tuple[str, str]:
            found = self.reader.model(
                UploadUrl.from_dict, self.reader.envelope(response)[1], "data"
            )
            return (
                self.reader.required_text(found.presigned_url, "data.presigned_url"),
                self.reader.required_text(found.file_url, "data.file_url"),
            )

        reply = yield Operation(
            "getUploadUrl",
            lambda: get_upload_url._get_kwargs(content_type=file.content_type, ext=file.extension),
            target,
        )
        presigned, file_url = cast(tuple[str, str], reply)
        yield Operation(
            "presignedPut",
            lambda: {
                "method": "PUT",
                "url": presigned,
                "content": file.content,
                "headers": {"Content-Type": file.content_type},
            },
            self._put_done,
            server="external",
        )
        return file_url

    def _put_done(self, response: httpx.Response) -> None:
        if not response.is_success:
            self.reader.envelope(response)  # raises the error class of the HTTP status


# --- Apikley --------------------------------------------------------------------------------

_APIKLEY_STATES = {
    "waiting": TaskState.PENDING,
    "queuing": TaskState.PENDING,
    "generating": TaskState.RUNNING,
    "success": TaskState.SUCCEEDED,
    "fail": TaskState.FAILED,
}
_APIKLEY_MODELS = {"pro": "kling/ai-avatar-v1-pro", "std": "kling/v1-avatar-standard"}


class Apikley:
    name: Provider = "apikley"
    key_env = "APIKLEY_API_KEY"
    base_url_env = "APIKLEY_BASE_URL"
    default_base_url = "https://api.apikley.ru"
    auth_prefix = "Bearer"
    auth_header = "Authorization"
    upload_prefix: str | None = "/file-upload"

    def __init__(self, secret: str = "") -> None:
        self.reader = Reader("apikley", secret)

    def create_task(self, task: TaskInput, image_url: str, audio_url: str) -> Operation[Task]:
        from apikley_client.api.default import kling_ai_avatar_v1_pro
        from apikley_client.models import (
            KlingAiAvatarV1ProBody,
            KlingAiAvatarV1ProBodyInput,
            KlingAiAvatarV1ProBodyModel,
        )
        from apikley_client.types import UNSET

        body = KlingAiAvatarV1ProBody(
            # Apikley picks standard or pro by model name, not by a mode field.
            model=KlingAiAvatarV1ProBodyModel(_APIKLEY_MODELS[task.mode]),
            input_=KlingAiAvatarV1ProBodyInput(
                image_url=image_url, audio_url=audio_url, prompt=task.prompt
            ),
            call_back_url=UNSET if task.callback_url is None else task.callback_url,
        )
        return Operation(
            "kling-ai-avatar-v1-pro",
            lambda: kling_ai_avatar_v1_pro._get_kwargs(body=body),
            self._created,
            idempotent=False,
        )

    def _created(self, response: httpx.Response) -> Task:
        from apikley_client.models import TaskCreated

        _, data = self.reader.envelope(response)
        created = self.reader.model(TaskCreated.from_dict, data, "data")
        task_id = self.reader.required_text(created.task_id, "data.taskId")
        return Task(id=task_id, provider="apikley", state=TaskState.PENDING, raw=created)

    def get_task(self, task_id: str) -> Operation[Task]:
        from apikley_client.api.default import get_task_details

        return Operation(
            "getTaskDetails",
            lambda: get_task_details._get_kwargs(task_id=task_id),
            self._task_answer,
        )

    def _task_answer(self, response: httpx.Response) -> Task:
        try:
            _, data = self.reader.envelope(response)
        except AvatarError as error:
            # Apikley answers unknown and just-created tasks alike with this 422.
            if error.code == 422 and "recordinfo is null" in error.message.lower():
                raise NotFoundError(
                    f"{error.message} (no such task, or not visible yet)",
                    provider="apikley",
                    code=422,
                    request_id=error.request_id,
                ) from None
            raise
        return self.task(data)

    def task(self, data: object) -> Task:
        """A task from a TaskRecord object (recordInfo's `data`, or a callback's)."""
        from apikley_client.models import TaskRecord

        reader = self.reader
        state = data.get("state") if isinstance(data, Mapping) else None
        if isinstance(data, Mapping) and isinstance(state, str) and state not in _APIKLEY_STATES:
            return unknown_state_task(reader, data, "taskId", "state")
        record = reader.model(TaskRecord.from_dict, data, "data")
        task_state = _APIKLEY_STATES[record.state.value]
        urls: list[str] = []
        result_json = reader.text(record.result_json, "data.resultJson", optional=True)
        if result_json is not None:
            result = decode_json(result_json)
            if not isinstance(result, Mapping):
                raise reader.unexpected(
                    f"data.resultJson is not a JSON object: {result_json!r:.120}"
                )
            urls = reader.urls(result.get("resultUrls"), "data.resultJson.resultUrls")
        failed = task_state is TaskState.FAILED
        return Task(
            id=reader.required_text(record.task_id, "data.taskId"),
            provider="apikley",
            state=task_state,
            provider_state=record.state.value,
            video_urls=urls,
            error_code=reader.text(record.fail_code, "data.failCode", optional=True)
            if failed
            else None,
            error_message=reader.text(record.fail_msg, "data.failMsg", optional=True)
            if failed
            else None,
            created_at=reader.time(record.create_time, "data.createTime", per_second=1000),
            completed_at=reader.time(record.complete_time, "data.completeTime", per_second=1000),
            raw=record,
        )

    def callback_data(self, body: Json) -> object:
        return body.get("data")

    def get_credits(self) -> Operation[float]:
        from apikley_client.api.default import get_credits

        return Operation("getCredits", get_credits._get_kwargs, self._credits)

    def _credits(self, response: httpx.Response) -> float:
        amount = self.reader.number(self.reader.envelope(response)[1], "data")
        assert amount is not None
        return amount

    def upload(self, file: UploadFile) -> UploadSteps:
        """The stream upload on the file-upload server (multipart)."""
        from io import BytesIO

        from apikley_client.api.default import upload_file_stream
        from apikley_client.models import FileStreamUploadRequest, UploadedFile
        from apikley_client.types import File

        def build() -> dict[str, Any]:
            body = FileStreamUploadRequest(
                file=File(BytesIO(file.content), file.file_name, file.content_type),
                upload_path=_UPLOAD_FOLDER,
                file_name=file.file_name,
            )
            return upload_file_stream._get_kwargs(body=body)

        def uploaded(response: httpx.Response) -> str:
            data = self.reader.envelope(response)[1]
            stored = self.reader.model(UploadedFile.from_dict, data, "data")
            return self.reader.required_text(stored.download_url, "data.downloadUrl")

        url: str = yield Operation("uploadFileStream", build, uploaded, server="upload")
        return url


Adapter: TypeAlias = Crun | Apikley
ADAPTERS: dict[str, type[Adapter]] = {"crun": Crun, "apikley": Apikley}

__all__ = ["ADAPTERS", "Adapter", "Apikley", "Crun", "Operation", "RawTask", "Reader"]
