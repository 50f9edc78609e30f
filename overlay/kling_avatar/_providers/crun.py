"""crun.ai: `x-api-key`, Unix seconds, a bare or wrapped TaskInfo callback, presigned uploads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx
from kling_avatar_generated.crun import AuthenticatedClient
from kling_avatar_generated.crun.api.tasks import get_task_info
from kling_avatar_generated.crun.models import TaskInfo, TaskParam, TaskStatus
from kling_avatar_generated.crun.types import UNSET

if TYPE_CHECKING:
    from kling_avatar_generated.crun.models import CreateTaskRequest

from .._inputs import TaskInput
from .._models import LazyModel, Task, TaskState
from .._uploads import UploadFile
from ._base import Adapter, Json, Operation, UploadSteps, unknown_state_task

# Only reading a task is imported with the module; every other operation imports its generated
# module and models when first built: a client that only polls does not create the attrs
# classes of the rest (about 1 ms each).

# TaskResult's fields that hold objects (specs/crun.yaml): the generated model reads no result
# where one of them is something else, and neither does `Crun.task`.
RESULT_OBJECTS = ("media_info", "usage")
# Keyed by the spec's own states (the generated enum).
_CRUN_STATES: Mapping[str, TaskState] = {
    TaskStatus.PENDING: TaskState.PENDING,
    TaskStatus.RUNNING: TaskState.RUNNING,
    TaskStatus.SUCCESS: TaskState.SUCCEEDED,
    TaskStatus.FAILED: TaskState.FAILED,
}


class Crun(Adapter):
    name = "crun"
    title = "crun.ai"
    key_env = "CRUN_API_KEY"
    base_url_env = "CRUN_BASE_URL"
    auth_header = "x-api-key"
    task_lookup = "getTaskInfo"
    auth_prefix = ""
    client_class = AuthenticatedClient
    default_base_url = "https://api.crun.ai"
    # crun states no limit; 2500 is the Kling avatar model's own (specs/crun.yaml, prompt).
    max_prompt = 2500

    def create_task(self, task: TaskInput, image_url: str, audio_url: str) -> Operation[Task]:
        from kling_avatar_generated.crun.api.tasks import create_task

        body = self._request(task, image_url, audio_url)
        return Operation(
            "createTask",
            lambda: create_task.request_kwargs(body=body),
            self._created,
            idempotent=False,
        )

    def estimate_task(
        self, task: TaskInput, image_url: str, audio_url: str
    ) -> Operation[tuple[float, bool | None]]:
        """EstimateTask: the same body as createTask; creates nothing."""
        from kling_avatar_generated.crun.api.tasks import estimate_task

        body = self._request(task, image_url, audio_url)
        return Operation(
            "estimateTask", lambda: estimate_task.request_kwargs(body=body), self._estimate
        )

    def _estimate(self, response: httpx.Response) -> tuple[float, bool | None]:
        from kling_avatar_generated.crun.models import Estimate

        found = self.reader.model(Estimate.from_dict, self.reader.envelope(response)[1], "data")
        credits = self.reader.number(found.estimated_credits, "data.estimated_credits")
        return credits, found.affordable if isinstance(found.affordable, bool) else None

    def _request(self, task: TaskInput, image_url: str, audio_url: str) -> CreateTaskRequest:
        from kling_avatar_generated.crun.models import (
            CreateTaskRequest,
            CreateTaskRequestModel,
            KlingAvatarInput,
            KlingAvatarInputMode,
        )

        return CreateTaskRequest(
            model=CreateTaskRequestModel.KLINGAVATAR,
            input_=KlingAvatarInput(
                image_url=image_url,
                audio_url=audio_url,
                mode=KlingAvatarInputMode(task.mode),
                prompt=task.prompt,
            ),
            callback_url=UNSET if task.callback_url is None else task.callback_url,
        )

    def _created(self, response: httpx.Response) -> Task:
        from kling_avatar_generated.crun.models import TaskCreated

        return self.created_task(response, TaskCreated.from_dict, "task_id")

    def task_request(self, task_id: str) -> dict[str, Any]:
        return get_task_info.request_kwargs(task_id=task_id)

    def task_data(self, response: httpx.Response) -> object:
        return self.reader.envelope(response)[1]

    def task(self, data: object) -> Task:
        """A task from a TaskInfo object (the `data` of getTaskInfo, or a callback).

        Read from the JSON object itself, checked field by field (TaskInfo's required fields,
        `task_id` and `status`, among them); the generated model is `raw`, made when asked for.
        """
        reader = self.reader
        data = reader.mapping(data, "data")
        status, state = reader.state(data, "status", _CRUN_STATES)
        if state is None:
            return unknown_state_task(reader, data, "task_id", "status")
        error_code = error_message = None
        urls: list[str] = []
        result = data.get("result")
        if result is not None:  # present once finished
            result = reader.mapping(result, "data.result")
            for key in RESULT_OBJECTS:
                if key in result and not isinstance(result[key], Mapping):
                    raise reader.unexpected(
                        f"data.result.{key} is not an object: {reader.show(result[key])}"
                    )
            urls = reader.urls(result.get("media_urls"), "data.result.media_urls")
            if state is TaskState.FAILED:
                code = reader.optional_number(result.get("code"), "data.result.code")
                error_code = None if code is None else str(int(code))
                error_message = reader.optional_text(result.get("message"), "data.result.message")
        return Task(
            id=reader.text(data.get("task_id"), "data.task_id"),
            provider="crun",
            state=state,
            provider_state=status,
            video_urls=urls,
            error_code=error_code,
            error_message=error_message,
            created_at=reader.time(data.get("create_at"), "data.create_at", per_second=1),
            completed_at=reader.time(data.get("complete_at"), "data.complete_at", per_second=1),
            credits_used=reader.optional_number(data.get("credits"), "data.credits"),
            raw=LazyModel(TaskInfo.from_dict, data),
        )

    def callback_data(self, body: Json) -> object:
        # crun's own handler accepts the bare TaskInfo and one wrapped in the envelope.
        if "data" in body and "code" in body and "task_id" not in body:
            return body["data"]
        return body

    def registered_callback_url(self, task: Task) -> str | None:
        # TaskInfo's `param` is the creation request, `callback_url` included.
        param = getattr(task.raw, "param", None)
        found = (
            param.additional_properties.get("callback_url")
            if isinstance(param, TaskParam)
            else None
        )
        return found if isinstance(found, str) else None

    def get_credits(self) -> Operation[float]:
        from kling_avatar_generated.crun.api.account import get_balance

        return Operation("getBalance", get_balance.request_kwargs, self._balance)

    def _balance(self, response: httpx.Response) -> float:
        from kling_avatar_generated.crun.models import Balance

        balance = self.reader.model(Balance.from_dict, self.reader.envelope(response)[1], "data")
        return self.reader.number(balance.balance, "data.balance")

    def upload(self, file: UploadFile) -> UploadSteps:
        """getUploadUrl, then a PUT of the bytes to the presigned URL (not a spec'd operation,
        and sent without the API key: the URL carries its own authorisation)."""
        from kling_avatar_generated.crun.api.files import get_upload_url
        from kling_avatar_generated.crun.models import UploadUrl

        def target(response: httpx.Response) -> tuple[str, str]:
            found = self.reader.model(
                UploadUrl.from_dict, self.reader.envelope(response)[1], "data"
            )
            return (
                self.reader.url(found.presigned_url, "data.presigned_url"),
                self.reader.url(found.file_url, "data.file_url"),
            )

        reply = yield Operation(
            "getUploadUrl",
            lambda: get_upload_url.request_kwargs(
                content_type=file.content_type, ext=file.extension
            ),
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


ADAPTER = Crun
