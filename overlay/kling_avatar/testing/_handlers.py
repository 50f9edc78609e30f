"""What each operation does once its key is checked and connexion has validated it.

Every handler takes the server's state and the request's parameters (query parameters by
name, the JSON or form body as ``body``, an uploaded ``file``) and answers the provider's
envelope as a dict, sent with HTTP 200 as the providers do.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import mimetypes
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from . import _media, _models_catalog
from ._accounts import ACCOUNT
from ._media import VIDEO_CONTENT_TYPE
from ._ratelimit import RateLimited
from ._specs import Provider
from ._state import COST_PRO, COST_STD, STATES, MockState, Task

Body = dict[str, Any]
Handler = Callable[..., Awaitable[Body]]

MAX_UPLOAD = 10 * 1024 * 1024  # both providers' limit for an avatar's image and audio


def _safe(segment: str) -> str:
    """One path segment the mock can store and serve: any name the spec allows is accepted
    (the specs constrain none), and nothing can climb out of its folder."""
    cleaned = segment.replace("/", "_").replace("\\", "_")
    return cleaned if cleaned not in ("", ".", "..") else "_"


def media_url(state: MockState, path: str) -> str:
    """The URL of ``/media/<path>``; ``path`` is stored decoded, the URL carries it quoted."""
    return f"{state.base_url}/media/{quote(path)}"


def _points_here(state: MockState, url: str) -> bool:
    """Whether ``url`` names this mock, however its host is spelled (localhost, 127.0.0.1,
    [::1]): the mock never fetches from itself, which two tasks whose inputs are each other's
    results would make it do for ever."""
    from ._callbacks import is_loopback

    try:
        parts, own = urlsplit(url), urlsplit(state.base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a malformed host or port: not this mock (nor fetchable)
        return False
    return is_loopback(parts.hostname or "") and port == own.port


def _media_path(state: MockState, url: str) -> str | None:
    """The media path a URL of this mock points at, if it does."""
    if not _points_here(state, url):
        return None
    path = urlsplit(url).path
    return unquote(path[len("/media/") :]) if path.startswith("/media/") else None


def envelope(provider: Provider, code: int, message: str, data: Any = None) -> Body:
    # crun calls the text `message`, Apikley (like kie.ai) `msg`.
    return {"code": code, "message" if provider == "crun" else "msg": message, "data": data}


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


# -- views of a task ---------------------------------------------------------------------


def crun_task_info(state: MockState, task: Task) -> Body:
    status = state.phase(task)
    finished = task.settled
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
    if finished:
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


def apikley_record(state: MockState, task: Task) -> Body:
    current = state.phase(task)
    finished = task.settled
    created = _ms(task.created_wall)
    if finished:
        updated = _ms(state.complete_wall(task))
    else:
        updated = created + _ms(STATES["apikley"].index(current) * task.step)
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


# -- tasks -------------------------------------------------------------------------------


def _new_task(
    state: MockState,
    provider: Provider,
    operation_id: str,
    model: str,
    param: Body,
    callback_url: str | None,
    cost: float,
) -> Task:
    task = Task(
        provider=provider,
        id=state.new_id(provider),
        model=model,
        param=param,
        callback_url=callback_url,
        cost=cost,
        created_wall=state.wall(),
        created_mono=state.monotonic(),
        step=state.step,
        null_reads_left=state.apikley_null_reads if provider == "apikley" else 0,
        account=ACCOUNT.get(),
    )
    fault = state.faults.take(operation_id, ("task_fail",))
    if fault is not None:
        task.outcome = "fail"
        task.fail_code = str(fault.get("fail_code"))
        task.fail_msg = str(fault.get("fail_msg"))
    state.add_task(task)
    return task


def _admit(state: MockState, provider: Provider, cost: float) -> Body | None:
    """Let one creation through the rate limit and charge it; else the refusal to answer.

    Over the limit nothing is charged or created (RateLimited is answered as HTTP 429).
    """
    account = state.keys[provider]
    now = state.monotonic()
    wait = state.rate_limiter.admit(provider, account, now)
    if wait is not None:
        raise RateLimited(wait)
    if not state.charge(provider, cost):
        state.rate_limiter.refund(provider, account, now)  # no task, so no creation counted
        return envelope(provider, 402, "Insufficient credits")
    return None


async def crun_create_task(state: MockState, body: Body, **_: Any) -> Body:
    cost = COST_STD if body["input"].get("mode") == "std" else COST_PRO
    refusal = _admit(state, "crun", cost)
    if refusal is not None:
        return refusal
    task = _new_task(
        state, "crun", "createTask", body["model"], body, body.get("callback_url"), cost
    )
    return envelope("crun", 200, "success", {"task_id": task.id})


async def crun_get_task_info(state: MockState, task_id: str, **_: Any) -> Body:
    task = state.tasks.get(task_id)
    if task is None or task.provider != "crun" or task.account != ACCOUNT.get():
        return envelope("crun", 404, f"Task not found: {task_id}")
    return envelope("crun", 200, "success", crun_task_info(state, task))


async def crun_estimate_task(state: MockState, body: Body, **_: Any) -> Body:
    cost = COST_STD if body["input"].get("mode") == "std" else COST_PRO
    balance = state.balances["crun"]
    data = {"estimated_credits": cost, "balance": balance, "affordable": balance >= cost}
    return envelope("crun", 200, "success", data)


async def crun_get_balance(state: MockState, **_: Any) -> Body:
    return envelope("crun", 200, "success", {"balance": state.balances["crun"]})


async def crun_get_upload_url(state: MockState, content_type: str, ext: str, **_: Any) -> Body:
    name = _safe(f"{state.token()}{ext if ext.startswith('.') else '.' + ext}")
    signature = state.token()
    state.presigned[name] = (content_type, signature)
    state.expire_later("presigned", name)
    data = {
        "presigned_url": f"{state.base_url}/upload/{quote(name)}?signature={signature}",
        "file_url": media_url(state, f"uploads/{name}"),
    }
    return envelope("crun", 200, "success", data)


async def apikley_create_task(state: MockState, body: Body, **_: Any) -> Body:
    model = body["model"]
    # Each source names the standard model differently (specs/apikley.yaml, x-model-names).
    cost = COST_STD if "standard" in model else COST_PRO
    refusal = _admit(state, "apikley", cost)
    if refusal is not None:
        return refusal
    task = _new_task(
        state, "apikley", "kling-ai-avatar-v1-pro", model, body, body.get("callBackUrl"), cost
    )
    return envelope("apikley", 200, "success", {"taskId": task.id})


_RECORD_NULL = "recordInfo is null"


async def apikley_get_task_details(state: MockState, taskId: str, **_: Any) -> Body:
    task = state.tasks.get(taskId)
    if task is None or task.provider != "apikley" or task.account != ACCOUNT.get():
        return envelope("apikley", 422, _RECORD_NULL)
    if task.null_reads_left > 0:
        # kie.ai answers this for a task created a moment ago, before its record exists.
        task.null_reads_left -= 1
        return envelope("apikley", 422, _RECORD_NULL)
    return envelope("apikley", 200, "success", apikley_record(state, task))


async def apikley_get_credits(state: MockState, **_: Any) -> Body:
    return envelope("apikley", 200, "success", state.balances["apikley"])


async def apikley_get_download_url(state: MockState, body: Body, **_: Any) -> Body:
    url: str = body["url"]
    path = _media_path(state, url)
    if path is None or not media_exists(state, path):
        return envelope("apikley", 404, "no file generated or uploaded by this account at url")
    expires = _ms(state.wall() + 20 * 60)
    return envelope("apikley", 200, "success", f"{media_url(state, path)}?expires={expires}")


# -- files -------------------------------------------------------------------------------


def _result_task(state: MockState, path: str) -> Task | None:
    """The task whose video ``results/<id>.mp4`` is, once it has succeeded."""
    if path.startswith("results/") and path.endswith(".mp4"):
        task = state.tasks.get(path[len("results/") : -len(".mp4")])
        if task is not None and task.settled and task.outcome == "success":
            return task
    return None


def media_exists(state: MockState, path: str) -> bool:
    return _result_task(state, path) is not None or path in state.media


# What media_lookup answers for a result video the mock no longer keeps (HTTP 410).
GONE = "gone"


async def media_lookup(state: MockState, path: str) -> tuple[bytes, str] | str | None:
    """The bytes and content type served at ``/media/<path>``, GONE, or None (not found)."""
    task = _result_task(state, path)
    if task is not None:
        video = await result_video(state, task)
        return GONE if video is None else (video, VIDEO_CONTENT_TYPE)
    return state.media.get(path)


async def _input(state: MockState, url: Any) -> bytes | None:
    """One of a task's inputs: a file uploaded here, or fetched from another loopback URL.

    A URL of this mock is never fetched: only uploads are read (from memory), never another
    task's result, so no render waits on another (nor, in a cycle, on itself).
    """
    from ._callbacks import fetch  # needs the server's HTTP client

    if not isinstance(url, str):
        return None
    if _points_here(state, url):
        own = _media_path(state, url)
        found = state.media.get(own) if own is not None else None
        return found[0] if found is not None else None
    fetched = await fetch(state, url, MAX_UPLOAD, seconds=5.0)
    return fetched[0] if isinstance(fetched, tuple) else None


async def result_video(state: MockState, task: Task) -> bytes | None:
    """The task's video, made from its portrait and audio (see _media), rendered once.

    GETs of a result being rendered wait for that render; a result the mock no longer keeps
    (see MockState.keep_result) is None, answered 410, never rendered again.
    """
    with state.lock:
        kept = state.results.get(task.id)
        if kept is not None or task.id in state.gone:
            return kept
    pending = state.rendering.get(task.id)
    if pending is None:
        pending = asyncio.ensure_future(_render_result(state, task))
        state.rendering[task.id] = pending
        pending.add_done_callback(lambda _: state.rendering.pop(task.id, None))
    # A GET that goes away does not cancel the render the others wait for.
    return await asyncio.shield(pending)


async def _render_result(state: MockState, task: Task) -> bytes:
    inputs = task.param.get("input")
    inputs = inputs if isinstance(inputs, dict) else {}
    image = await _input(state, inputs.get("image_url"))
    audio = await _input(state, inputs.get("audio_url"))
    if state.in_process:  # the caller's own loop, and no thread: the caller waits anyway
        video = _media.render(image, audio)
    else:
        # CPU work: off the loop, in the server's own small pool (not asyncio's default
        # executor, which waiting renders would fill); queued renders hold no thread.
        loop = asyncio.get_running_loop()
        video = await loop.run_in_executor(state.renders, _media.render, image, audio)
    state.keep_result(task.id, video)
    return video


# The file-upload API has codes of its own (200/400/401/405/500), and its errors are
# `{success: false, code, msg}` (kie.ai's and Apikley's file-upload pages), not the Market's.
UPLOAD_OPERATIONS = frozenset({"uploadFileStream", "uploadFileBase64", "uploadFileUrl"})


def upload_error(message: str) -> Body:
    return {"success": False, **envelope("apikley", 400, message)}


def rejection(provider: Provider, operation_id: str, message: str) -> Body:
    """The answer to a request the spec rejects, in the code set of the API it was sent to."""
    if operation_id in UPLOAD_OPERATIONS:
        return upload_error(message)
    return envelope(provider, 422, message)


def _store(
    state: MockState, upload_path: str, file_name: str | None, data: bytes, mime: str | None
) -> Body:
    segments = [_safe(s) for s in upload_path.split("/") if s not in ("", ".", "..")]
    if len(data) > MAX_UPLOAD:
        return upload_error("file is larger than 10 MB")
    name = _safe(file_name or f"{state.token()}{mimetypes.guess_extension(mime or '') or '.bin'}")
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
    return {"success": True, **envelope("apikley", 200, "File uploaded successfully", data_out)}


async def apikley_upload_stream(state: MockState, body: Body, file: Any, **_: Any) -> Body:
    data: bytes = await file.read()
    mime = getattr(file, "content_type", None)
    if mime in (None, "", "application/octet-stream"):
        mime = None
    name = body.get("fileName") or getattr(file, "filename", None) or None
    return _store(state, body["uploadPath"], name, data, mime)


_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(;[^,]*)?;base64,", re.ASCII)


async def apikley_upload_base64(state: MockState, body: Body, **_: Any) -> Body:
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
        return upload_error("base64Data is not valid base64")
    return _store(state, body["uploadPath"], body.get("fileName"), data, mime)


async def apikley_upload_url(state: MockState, body: Body, **_: Any) -> Body:
    from ._callbacks import fetch  # needs the server's HTTP client

    url: str = body["fileUrl"]
    if _points_here(state, url):  # read from memory, never fetched from itself
        own = _media_path(state, url)
        found = await media_lookup(state, own) if own is not None else None
        if not isinstance(found, tuple):
            status = 410 if found == GONE else 404
            return upload_error(f"fileUrl could not be downloaded: HTTP {status}")
    else:
        fetched = await fetch(state, url, MAX_UPLOAD)
        if isinstance(fetched, str):
            return upload_error(f"fileUrl could not be downloaded: {fetched}")
        found = fetched
    data, mime = found
    name = body.get("fileName") or unquote(urlsplit(url).path.rpartition("/")[2]) or None
    return _store(state, body["uploadPath"], name, data, mime or None)


HANDLERS: dict[str, Handler] = {
    "createTask": crun_create_task,
    "getTaskInfo": crun_get_task_info,
    "estimateTask": crun_estimate_task,
    "getBalance": crun_get_balance,
    "getUploadUrl": crun_get_upload_url,
    "listModels": _models_catalog.crun_list_models,
    "describeModel": _models_catalog.crun_describe_model,
    "kling-ai-avatar-v1-pro": apikley_create_task,
    "getTaskDetails": apikley_get_task_details,
    "getCredits": apikley_get_credits,
    "getDownloadUrl": apikley_get_download_url,
    "uploadFileStream": apikley_upload_stream,
    "uploadFileBase64": apikley_upload_base64,
    "uploadFileUrl": apikley_upload_url,
}
