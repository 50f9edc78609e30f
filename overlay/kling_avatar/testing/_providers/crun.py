"""crun.ai's side of the mock: its handlers, answers, task states, uploads and models.

crun answers ``{code, message, data}``; a task runs ``pending``, ``running``, then ``success``
or ``failed``; a callback POSTs the task's info unsigned; a file is uploaded by PUTting its bytes
to a presigned URL (here ``/upload/<name>?signature=...``) and then used by its ``file_url``.
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any
from urllib.parse import parse_qs, quote

from ..._registry import Provider
from .._asgi import BodyRefused, Receive, Scope, Send, content_type, read_body, send_json
from .._files import media_url, safe_segment
from .._provider_mock import Body, ProviderMock
from .._specs import load_spec
from .._state import COST_PRO, COST_STD, Lifecycle, MockState, Task
from .._tasks import admit, own_task, start_task

NAME: Provider = "crun"
DEFAULT_KEY = "ak_mockmockmockmockmockmockmockmock"
UPLOAD_PREFIX = "/upload/"  # where the presigned upload URLs point

MODEL = "kling/avatar"
# CrunTeam's own catalogue (catalog/models.json) tags it both ways, and its CLI filters on either.
SUMMARY = {"model": MODEL, "modality": "video", "operations": ["talking-avatar", "image-to-video"]}


def envelope(code: int, message: str, data: Any = None) -> Body:
    return {"code": code, "message": message, "data": data}


def refusal(operation_id: str, code: int, message: str) -> Body:
    return envelope(code, message)


def rejection(operation_id: str, message: str) -> Body:
    return envelope(422, message)


# -- tasks -------------------------------------------------------------------------------


def task_info(state: MockState, task: Task) -> Body:
    """The task as TaskInfo's ``data`` says it; its callback POSTs the same."""
    status = state.phase(task)
    info: Body = {
        "task_id": task.id,
        "provider": "Kling",
        "model_version": task.model.rpartition("/")[2],
        "status": status,
        "param": task.param,
        "create_at": int(task.created_wall),
        "result": None,
        "duration_s": None,
        "complete_at": None,
        "source": "api",
    }
    if task.settled:
        if task.outcome == "success":
            result = {"code": 200, "message": "success", "media_urls": [state.result_url(task)]}
        else:
            result = {"code": 501, "message": task.fail_msg, "media_urls": []}
        info["result"] = result
        info["duration_s"] = state.run_time(task)
        info["complete_at"] = int(state.complete_wall(task))
        # crun reports what the task cost once it has ended; a failed task costs nothing.
        info["credits"] = task.cost if task.outcome == "success" else 0
    return info


# crun's page: the callback's payload "is consistent with the data object" of the status query.
LIFECYCLE = Lifecycle(
    states=("pending", "running"), success="success", failure="failed", callback=task_info
)


def _cost(body: Body) -> float:
    return COST_STD if body["input"].get("mode") == "std" else COST_PRO


async def create_task(state: MockState, body: Body, **_: Any) -> Body:
    cost = _cost(body)
    if not admit(state, NAME, cost):
        return envelope(402, "Insufficient credits")
    task = start_task(
        state,
        NAME,
        LIFECYCLE,
        task_id=str(uuid.UUID(int=state.random_bits(128), version=4)),
        operation_id="createTask",
        model=body["model"],
        param=body,
        callback_url=body.get("callback_url"),
        cost=cost,
    )
    return envelope(200, "success", {"task_id": task.id})


async def get_task_info(state: MockState, task_id: str, **_: Any) -> Body:
    task = own_task(state, NAME, task_id)
    if task is None:
        return envelope(404, f"Task not found: {task_id}")
    return envelope(200, "success", task_info(state, task))


async def estimate_task(state: MockState, body: Body, **_: Any) -> Body:
    cost = _cost(body)
    balance = state.balances[NAME]
    data = {"estimated_credits": cost, "balance": balance, "affordable": balance >= cost}
    return envelope(200, "success", data)


async def get_balance(state: MockState, **_: Any) -> Body:
    return envelope(200, "success", {"balance": state.balances[NAME]})


# -- uploads: a presigned URL, then a PUT of the bytes ------------------------------------


async def get_upload_url(state: MockState, content_type: str, ext: str, **_: Any) -> Body:
    name = safe_segment(f"{state.token()}{ext if ext.startswith('.') else '.' + ext}")
    signature = state.token()
    state.presigned[name] = (content_type, signature)
    state.expire_later("presigned", name)
    data = {
        "presigned_url": f"{state.base_url}{UPLOAD_PREFIX}{quote(name)}?signature={signature}",
        "file_url": media_url(state, f"uploads/{name}"),
    }
    return envelope(200, "success", data)


async def presigned_put(state: MockState, scope: Scope, receive: Receive, send: Send) -> None:
    """PUT of the raw bytes to a presigned URL; the file is then at its ``file_url``."""
    name = scope["path"][len(UPLOAD_PREFIX) :]
    expected = state.presigned.get(name)
    if expected is None:
        await send_json(send, envelope(404, "Not found"), 404)
        return
    mime_asked, signature = expected
    given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("signature", [""])
    # The signature is that URL's own: no other URL's signature writes this name, so one
    # caller cannot overwrite another's upload.
    if not hmac.compare_digest(given[-1].encode(), signature.encode()):
        await send_json(send, envelope(403, "SignatureDoesNotMatch"), 403)
        return
    try:
        body = await read_body(scope, receive)
    except BodyRefused as refused:
        await send_json(send, envelope(413, refused.message), 413)
        return
    state.store_media(f"uploads/{name}", body, content_type(scope) or mime_asked)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]}
    )
    await send({"type": "http.response.body", "body": b""})


# -- models: the one model the mock serves, described from the spec ----------------------
# CrunTeam's own CLI calls `GET /api/v1/client/job/Models` and `/Models/{model}`; the mock
# answers them from the spec itself, so the input schema it describes is the one it validates.


def _input_schema() -> dict[str, Any]:
    source = load_spec(NAME)["components"]["schemas"]["KlingAvatarInput"]
    properties = {
        name: {k: v for k, v in prop.items() if not k.startswith("x-")}
        for name, prop in source["properties"].items()
    }
    return {"type": "object", "properties": properties, "required": list(source["required"])}


async def list_models(
    state: MockState, modality: str | None = None, operation: str | None = None, **_: Any
) -> Body:
    matches = (modality in (None, SUMMARY["modality"])) and (
        operation is None or operation in SUMMARY["operations"]
    )
    models = [SUMMARY] if matches else []
    return envelope(200, "success", {"total": len(models), "models": models})


async def describe_model(state: MockState, model: str, **_: Any) -> Body:
    if model != MODEL:
        return envelope(404, f"Model not found: {model}")
    schema = _input_schema()
    data = {"model": MODEL, "input_schema": schema, "required_input_fields": schema["required"]}
    return envelope(200, "success", data)


MOCK = ProviderMock(
    name=NAME,
    title="crun",
    default_key=DEFAULT_KEY,
    key_variable="CRUN_API_KEY",
    base_url_variable="CRUN_BASE_URL",
    lifecycle=LIFECYCLE,
    handlers={
        "createTask": create_task,
        "getTaskInfo": get_task_info,
        "estimateTask": estimate_task,
        "getBalance": get_balance,
        "getUploadUrl": get_upload_url,
        "listModels": list_models,
        "describeModel": describe_model,
    },
    envelope=envelope,
    refusal=refusal,
    rejection=rejection,
    raw_routes={("PUT", UPLOAD_PREFIX): presigned_put},
    # crun publishes no limit on creations.
)
