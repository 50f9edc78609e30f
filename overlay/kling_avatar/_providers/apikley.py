"""Apikley (kie.ai's API): Bearer key, Unix milliseconds, JSON-string fields, stream uploads."""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from types import MappingProxyType
from typing import Any, ClassVar

import httpx
from kling_avatar_generated.apikley import AuthenticatedClient
from kling_avatar_generated.apikley.api.default import get_task_details
from kling_avatar_generated.apikley.models import TaskRecord
from kling_avatar_generated.apikley.models import TaskState as Spec
from kling_avatar_generated.apikley.types import UNSET, File

from .._exceptions import AvatarError, NotFoundError
from .._inputs import TaskInput
from .._models import LazyModel, Task, TaskState
from .._ratelimit import RateLimit
from .._signatures import CallbackSigning
from .._uploads import UploadFile
from ._base import (
    Adapter,
    Json,
    Operation,
    UploadSteps,
    decode_json,
    unknown_state_task,
)

# Only reading a task is imported with the module; every other operation imports its generated
# module and models when first built: a client that only polls does not create the attrs
# classes of the rest (about 1 ms each).

_UPLOAD_FOLDER = "kling-avatar"
# Keyed by the spec's own states (the generated enum).
_APIKLEY_STATES: Mapping[str, TaskState] = {
    Spec.WAITING: TaskState.PENDING,
    Spec.QUEUING: TaskState.PENDING,
    Spec.GENERATING: TaskState.RUNNING,
    Spec.SUCCESS: TaskState.SUCCEEDED,
    Spec.FAIL: TaskState.FAILED,
}


class Apikley(Adapter):
    name = "apikley"
    title = "Apikley"
    key_env = "APIKLEY_API_KEY"
    base_url_env = "APIKLEY_BASE_URL"
    auth_header = "Authorization"
    task_lookup = "getTaskDetails"
    auth_prefix = "Bearer"
    client_class = AuthenticatedClient
    default_base_url = "https://api.apikley.ru"
    upload_prefix = "/file-upload"
    # kie.ai documents about 20 new generation requests per 10 s per account, rejected ones not
    # queued; Apikley (a kie clone) says only that its limits "may differ". crun publishes none.
    default_rate_limit = RateLimit(20, 10.0)
    # kie.ai's scheme: base64(HMAC-SHA256(webhook key, taskId + "." + timestamp)).
    signs_callbacks = CallbackSigning(
        signature_header="X-Webhook-Signature",
        timestamp_header="X-Webhook-Timestamp",
        message="{task_id}.{timestamp}",
    )
    # Apikley answers "recordInfo is null" for a task it has just accepted: 30 s after this
    # client created it, it means the task does not exist. An id of unknown age may also have
    # been created a moment ago (by another process): a short grace, then not found.
    not_found_grace = 30.0
    max_prompt = 5000  # kie.ai's documented limit for the model
    # Apikley picks standard or pro by model name. Its docs name only the pro model; the standard
    # name is the one kie.ai's model table and most public clients use. specs/apikley.yaml
    # (x-model-names) records what each source says; `models=` picks another.
    default_models: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"pro": "kling/ai-avatar-v1-pro", "std": "kling/ai-avatar-standard"}
    )

    def known_models(self) -> frozenset[str]:
        from kling_avatar_generated.apikley.models import KlingAiAvatarV1ProBodyModel

        return frozenset(model.value for model in KlingAiAvatarV1ProBodyModel)

    unknown_age_grace = 6.0

    def create_task(self, task: TaskInput, image_url: str, audio_url: str) -> Operation[Task]:
        from kling_avatar_generated.apikley.api.default import kling_ai_avatar_v1_pro
        from kling_avatar_generated.apikley.models import (
            KlingAiAvatarV1ProBody,
            KlingAiAvatarV1ProBodyInput,
            KlingAiAvatarV1ProBodyModel,
        )

        body = KlingAiAvatarV1ProBody(
            # Apikley picks standard or pro by model name, not by a mode field.
            model=KlingAiAvatarV1ProBodyModel((self.models or {})[task.mode]),
            input_=KlingAiAvatarV1ProBodyInput(
                image_url=image_url, audio_url=audio_url, prompt=task.prompt
            ),
            call_back_url=UNSET if task.callback_url is None else task.callback_url,
        )
        return Operation(
            "kling-ai-avatar-v1-pro",
            lambda: kling_ai_avatar_v1_pro.request_kwargs(body=body),
            self._created,
            idempotent=False,
        )

    def _created(self, response: httpx.Response) -> Task:
        from kling_avatar_generated.apikley.models import TaskCreated

        return self.created_task(response, TaskCreated.from_dict, "taskId")

    def task_request(self, task_id: str) -> dict[str, Any]:
        return get_task_details.request_kwargs(task_id=task_id)

    def task_data(self, response: httpx.Response) -> object:
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
        return data

    def task(self, data: object) -> Task:
        """A task from a TaskRecord object (recordInfo's `data`, or a callback's).

        Read from the JSON object itself, checked field by field (TaskRecord's required fields,
        `taskId` and `state`, among them); the generated model is `raw`, made when asked for.
        """
        reader = self.reader
        data = reader.mapping(data, "data")
        name, state = reader.state(data, "state", _APIKLEY_STATES)
        if state is None:
            return unknown_state_task(reader, data, "taskId", "state")
        urls: list[str] = []
        # Parsed as sent: blanking it first would blank the presigned queries of the very video
        # URLs it holds. Each URL is then checked (one carrying the key refused) by `urls`.
        raw = data.get("resultJson")
        result_json = raw if isinstance(raw, str) and raw else None
        if result_json is not None:
            result = decode_json(result_json)
            if not isinstance(result, Mapping):
                raise reader.unexpected(
                    f"data.resultJson is not a JSON object: {reader.show(result_json)}"
                )
            urls = reader.urls(result.get("resultUrls"), "data.resultJson.resultUrls")
        error_code = error_message = None
        if state is TaskState.FAILED:
            error_code = reader.optional_text(data.get("failCode"), "data.failCode")
            error_message = reader.optional_text(data.get("failMsg"), "data.failMsg")
        return Task(
            id=reader.text(data.get("taskId"), "data.taskId"),
            provider="apikley",
            state=state,
            provider_state=name,
            video_urls=urls,
            error_code=error_code,
            error_message=error_message,
            created_at=reader.time(data.get("createTime"), "data.createTime", per_second=1000),
            completed_at=reader.time(
                data.get("completeTime"), "data.completeTime", per_second=1000
            ),
            raw=LazyModel(TaskRecord.from_dict, data),
        )

    def callback_data(self, body: Json) -> object:
        return body.get("data")

    def registered_callback_url(self, task: Task) -> str | None:
        # TaskRecord's `param` is the creation request as a JSON string, `callBackUrl` included.
        param = getattr(task.raw, "param", None)
        request = decode_json(param) if isinstance(param, str) else None
        found = request.get("callBackUrl") if isinstance(request, Mapping) else None
        return found if isinstance(found, str) else None

    def get_credits(self) -> Operation[float]:
        from kling_avatar_generated.apikley.api.default import get_credits

        return Operation("getCredits", get_credits.request_kwargs, self._credits)

    def _credits(self, response: httpx.Response) -> float:
        return self.reader.number(self.reader.envelope(response)[1], "data")

    def upload(self, file: UploadFile) -> UploadSteps:
        """The stream upload on the file-upload server (multipart)."""
        from kling_avatar_generated.apikley.api.default import upload_file_stream
        from kling_avatar_generated.apikley.models import FileStreamUploadRequest, UploadedFile

        def build() -> dict[str, Any]:
            body = FileStreamUploadRequest(
                file=File(BytesIO(file.content), file.file_name, file.content_type),
                upload_path=_UPLOAD_FOLDER,
                file_name=file.file_name,
            )
            return upload_file_stream.request_kwargs(body=body)

        def uploaded(response: httpx.Response) -> str:
            data = self.reader.envelope(response)[1]
            stored = self.reader.model(UploadedFile.from_dict, data, "data")
            return self.reader.url(stored.download_url, "data.downloadUrl")

        url: str = yield Operation("uploadFileStream", build, uploaded, server="upload")
        return url


ADAPTER = Apikley
