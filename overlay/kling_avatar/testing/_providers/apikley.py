"""Apikley's side of the mock (a clone of kie.ai's API): handlers, answers, states, uploads.

Apikley answers ``{code, msg, data}``; a task runs ``waiting``, ``queuing``, ``generating``,
then ``success`` or ``fail``, and reads as "recordInfo is null" a moment after it is created
(when ``null_reads`` says so); a callback is signed the kie.ai way when the mock has a webhook
key. Files go to a file-upload API of its own, whose answers are ``{success, code, msg, data}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import mimetypes
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from ..._registry import Provider
from .._files import (
    GONE,
    MAX_UPLOAD,
    media_exists,
    media_lookup,
    media_path,
    media_url,
    points_here,
    safe_segment,
)
from .._outgoing import fetch
from .._provider_mock import Body, ProviderMock
from .._state import COST_PRO, COST_STD, Lifecycle, MockState, Task
from .._tasks import admit, own_task, start_task

NAME: Provider = "apikley"
DEFAULT_KEY = "apikley-mock-key"
# kie.ai answers this for a task created a moment ago, before its record exists.
NULL_READ = "recordInfo is null"
# kie.ai (whose API Apikley clones) documents about 20 new generation requests per 10 s per
# account, rejected over the limit, not queued.
DOCUMENTED_RATE_LIMIT = (20, 10.0)

# The file-upload API has codes of its own (200/400/401/405/500), and its errors are
# `{success: false, code, msg}` (kie.ai's and Apikley's file-upload pages), not the Market's.
UPLOAD_OPERATIONS = frozenset({"uploadFileStream", "uploadFileBase64", "uploadFileUrl"})


def envelope(code: int, message: str, data: Any = None) -> Body:
    return {"code": code, "msg": message, "data": data}  # `msg`, as kie.ai


def refusal(operation_id: str, code: int, message: str) -> Body:
    body = envelope(code, message)
    return {"success": False, **body} if operation_id in UPLOAD_OPERATIONS else body


def rejection(operation_id: str, message: str) -> Body:
    return refusal(operation_id, 400 if operation_id in UPLOAD_OPERATIONS else 422, message)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


# -- tasks -------------------------------------------------------------------------------


def record(state: MockState, task: Task) -> Body:
    """The task as recordInfo's ``data`` says it."""
    current = state.phase(task)
    finished = task.settled
    created = _ms(task.created_wall)
    if finished:
        updated = _ms(state.complete_wall(task))
    else:
        updated = created + _ms(task.lifecycle.states.index(current) * task.step)
    success = finished and task.outcome == "success"
    return {
        "taskId": task.id,
        "model": task.model,
        "state": current,
        "param": json.dumps(task.param, separators=(",", ":")),
        "resultJson": (
            json.dumps({"resultUrls": [state.result_url(task)]}, separators=(",", ":"))
            if success
            else ""
        ),
        "failCode": task.fail_code if finished and not success else "",
        "failMsg": task.fail_msg if finished and not success else "",
        "costTime": _ms(state.run_time(task)) if finished else None,
        "completeTime": updated if finished else None,
        "createTime": created,
        "updateTime": updated,
    }


def callback(state: MockState, task: Task) -> Body:
    body = record(state, task)
    success = task.outcome == "success"
    # kie.ai's callbacks also say what the task cost (a failed task is refunded: nothing).
    body["creditsConsumed"] = task.cost if success else 0
    return {
        "code": 200 if success else 501,
        "msg": "Playground task completed successfully." if success else "Playground task failed.",
        "data": body,
    }


def sign(key: str, task_id: str, timestamp: str) -> str:
    """kie.ai's webhook signature: base64(HMAC-SHA256(key, taskId + "." + timestamp))."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature(key: str, task: Task) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"X-Webhook-Timestamp": timestamp, "X-Webhook-Signature": sign(key, task.id, timestamp)}


LIFECYCLE = Lifecycle(
    states=("waiting", "queuing", "generating"),
    success="success",
    failure="fail",
    callback=callback,
    signature=signature,
)


async def create_task(state: MockState, body: Body, **_: Any) -> Body:
    model = body["model"]
    # Each source names the standard model differently (specs/apikley.yaml, x-model-names).
    cost = COST_STD if "standard" in model else COST_PRO
    if not admit(state, NAME, cost):
        return envelope(402, "Insufficient credits")
    task = start_task(
        state,
        NAME,
        LIFECYCLE,
        task_id=f"{state.random_bits(128):032x}",
        operation_id="kling-ai-avatar-v1-pro",
        model=model,
        param=body,
        callback_url=body.get("callBackUrl"),
        cost=cost,
    )
    return envelope(200, "success", {"taskId": task.id})


async def get_task_details(state: MockState, taskId: str, **_: Any) -> Body:
    task = own_task(state, NAME, taskId)
    if task is None:
        return envelope(422, NULL_READ)
    if task.null_reads_left > 0:
        task.null_reads_left -= 1
        return envelope(422, NULL_READ)
    return envelope(200, "success", record(state, task))


async def get_credits(state: MockState, **_: Any) -> Body:
    return envelope(200, "success", state.balances[NAME])


async def get_download_url(state: MockState, body: Body, **_: Any) -> Body:
    url: str = body["url"]
    path = media_path(state, url)
    if path is None or not media_exists(state, path):
        return envelope(404, "no file generated or uploaded by this account at url")
    expires = _ms(state.wall() + 20 * 60)
    return envelope(200, "success", f"{media_url(state, path)}?expires={expires}")


# -- the file-upload API -----------------------------------------------------------------


def _upload_error(message: str) -> Body:
    return {"success": False, **envelope(400, message)}


def _store(
    state: MockState, upload_path: str, file_name: str | None, data: bytes, mime: str | None
) -> Body:
    segments = [safe_segment(s) for s in upload_path.split("/") if s not in ("", ".", "..")]
    if len(data) > MAX_UPLOAD:
        return _upload_error("file is larger than 10 MB")
    extension = mimetypes.guess_extension(mime or "") or ".bin"
    name = safe_segment(file_name or f"{state.token()}{extension}")
    path = "/".join([*segments, name])
    mime = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
    state.store_media(path, data, mime)
    uploaded_at = (
        datetime.fromtimestamp(state.wall(), UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
    data_out = {
        "success": True,
        "fileName": name,
        "filePath": path,
        "downloadUrl": media_url(state, path),
        "fileSize": len(data),
        "mimeType": mime,
        "uploadedAt": uploaded_at,
    }
    return {"success": True, **envelope(200, "File uploaded successfully", data_out)}


async def upload_stream(state: MockState, body: Body, file: Any, **_: Any) -> Body:
    data: bytes = await file.read()
    mime = getattr(file, "content_type", None)
    if mime in (None, "", "application/octet-stream"):
        mime = None
    name = body.get("fileName") or getattr(file, "filename", None) or None
    return _store(state, body["uploadPath"], name, data, mime)


_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(;[^,]*)?;base64,", re.ASCII)


async def upload_base64(state: MockState, body: Body, **_: Any) -> Body:
    text: str = body["base64Data"]
    mime = None
    match = _DATA_URL.match(text)
    if match:
        mime = match.group("mime")
        text = text[match.end() :]
    # Lenient like most decoders: characters outside the alphabet are skipped and missing
    # padding is forgiven; only a string that holds no whole byte is refused.
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return _upload_error("base64Data is not valid base64")
    return _store(state, body["uploadPath"], body.get("fileName"), data, mime)


async def upload_url(state: MockState, body: Body, **_: Any) -> Body:
    url: str = body["fileUrl"]
    if points_here(state, url):  # read from memory, never fetched from itself
        own = media_path(state, url)
        found = await media_lookup(state, own) if own is not None else None
        if not isinstance(found, tuple):
            status = 410 if found == GONE else 404
            return _upload_error(f"fileUrl could not be downloaded: HTTP {status}")
    else:
        fetched = await fetch(state.http, url, MAX_UPLOAD)
        if isinstance(fetched, str):
            return _upload_error(f"fileUrl could not be downloaded: {fetched}")
        found = fetched
    data, mime = found
    name = body.get("fileName") or unquote(urlsplit(url).path.rpartition("/")[2]) or None
    return _store(state, body["uploadPath"], name, data, mime or None)


MOCK = ProviderMock(
    name=NAME,
    title="Apikley",
    default_key=DEFAULT_KEY,
    key_variable="APIKLEY_API_KEY",
    base_url_variable="APIKLEY_BASE_URL",
    lifecycle=LIFECYCLE,
    handlers={
        "kling-ai-avatar-v1-pro": create_task,
        "getTaskDetails": get_task_details,
        "getCredits": get_credits,
        "getDownloadUrl": get_download_url,
        "uploadFileStream": upload_stream,
        "uploadFileBase64": upload_base64,
        "uploadFileUrl": upload_url,
    },
    envelope=envelope,
    refusal=refusal,
    rejection=rejection,
    null_read=NULL_READ,
    documented_rate_limit=DOCUMENTED_RATE_LIMIT,
)
