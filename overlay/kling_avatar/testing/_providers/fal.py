"""fal.ai's side of the mock: its queue, storage and signed webhooks.

fal answers bare JSON with real HTTP statuses (no envelope): errors are ``{"detail": ...}``. A
request is submitted to its endpoint (std or pro, v1 or v2) and runs ``IN_QUEUE`` (202, with
its place in the queue), ``IN_PROGRESS`` (202, with logs when asked) and ``COMPLETED`` (200),
also when it failed (then with ``error`` and ``error_type``); the video is in the result, a
request of its own. The submit answer hands back the status, result and cancel URLs (the
owner/app paths). A cancel of a request that has not completed ends it failed (what a cancelled
request reads as is not documented: the mock's guess); it answers OK (200) for a queued one and
CANCELLATION_REQUESTED (202) for one in progress, as fal's cancel page tells them apart. A file
is uploaded by initiating it, then PUTting its bytes to the URL the answer names. Webhooks
(``fal_webhook``) are signed with the mock's own Ed25519 key, whose public half
``/.well-known/jwks.json`` serves, as fal signs its own; an account whose balance cannot pay is
locked (403), as fal's accounts are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import time
import uuid
import wave
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..._registry import Provider
from .._asgi import BodyRefused, Receive, Scope, Send, content_type, read_body, send_json
from .._files import media_path, media_url, safe_segment
from .._media import FALLBACK_SECONDS, MAX_SECONDS, VIDEO_CONTENT_TYPE
from .._provider_mock import Body, ProviderMock, Reply
from .._state import COST_PRO, COST_STD, Lifecycle, MockState, Task
from .._tasks import admit, own_task, start_task

NAME: Provider = "fal"
# fal's keys are `<key_id>:<key_secret>`.
DEFAULT_KEY = "00000000-0000-4000-8000-00000000fa10:mockmockmockmockmockmockmockmock"
UPLOAD_PREFIX = "/fal-upload/"  # where the upload URLs point
APP = "fal-ai/kling-video"  # the owner/app the request URLs use, whichever endpoint
LOCKED = (
    "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."
)
# What a cancelled request reads as: fal documents no state or error for it (a guess).
CANCELLED = ("request_cancelled", "Request was cancelled by the user")
# The mock's own webhook key, for this process; its public half is served as fal's JWKS.
SIGNING_KEY = Ed25519PrivateKey.generate()
# Each of the two accounts' fal user id (signed into every webhook).
USER_IDS = ("mock-fal-user", "mock-fal-user-second-account")

ENDPOINTS = {
    "submitAvatarV2Standard": "fal-ai/kling-video/ai-avatar/v2/standard",
    "submitAvatarV2Pro": "fal-ai/kling-video/ai-avatar/v2/pro",
    "submitAvatarV1Standard": "fal-ai/kling-video/v1/standard/ai-avatar",
    "submitAvatarV1Pro": "fal-ai/kling-video/v1/pro/ai-avatar",
}


def envelope(code: int, message: str, data: Any = None) -> Body:
    """fal has no envelope: an error is ``{"detail": message}`` with the HTTP status."""
    return {"detail": message} if data is None else data


def refusal(operation_id: str, code: int, message: str) -> Body:
    return {"detail": "No user found for Key ID and Secret" if code == 401 else message}


def rejection(operation_id: str, message: str) -> Body:
    return {"detail": [{"loc": ["body"], "msg": message, "type": "value_error"}]}


def public_key() -> bytes:
    return SIGNING_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# -- requests ----------------------------------------------------------------------------


def _urls(state: MockState, task: Task) -> Body:
    base = f"{state.base_url}/{APP}/requests/{quote(task.id, safe='')}"
    return {"response_url": base, "status_url": f"{base}/status", "cancel_url": f"{base}/cancel"}


def _ahead(state: MockState, task: Task) -> int:
    """How many of the account's requests queued before this one are still queued."""
    with state.lock:
        others = list(state.tasks.values())
    return sum(
        1
        for other in others
        if other.provider == NAME
        and other.account == task.account
        and other.created_mono < task.created_mono
        and state.phase(other) == "IN_QUEUE"
    )


def _seconds(state: MockState, task: Task) -> float:
    """How long the video is: the audio's length, where the mock can tell (an uploaded WAV)."""
    path = media_path(state, str(task.param.get("audio_url", "")))
    found = state.media.get(path) if path is not None else None
    if found is not None:
        try:
            with wave.open(io.BytesIO(found[0])) as reading:
                rate: int = reading.getframerate()
                frames: int = reading.getnframes()
            if rate > 0:
                return min(MAX_SECONDS, round(frames / rate, 3))
        except (wave.Error, EOFError, ValueError, OSError):
            pass
    return FALLBACK_SECONDS


def output(state: MockState, task: Task) -> Body:
    """The model's output: the result call's answer, an OK webhook's payload."""
    return {
        "video": {
            "url": state.result_url(task),
            "content_type": VIDEO_CONTENT_TYPE,
            "file_name": f"{task.id}.mp4",
        },
        "duration": _seconds(state, task),
    }


def _refusal_of(task: Task) -> Body:
    """A failed request's body, as the model's 422 says it."""
    return {"detail": [{"loc": ["body"], "msg": task.fail_msg, "type": task.fail_code}]}


def webhook(state: MockState, task: Task) -> Body:
    """What fal POSTs to ``fal_webhook`` once the request is done."""
    ids = {"request_id": task.id, "gateway_request_id": task.id}
    if task.outcome == "success":
        return {**ids, "status": "OK", "payload": output(state, task)}
    return {
        **ids,
        "status": "ERROR",
        "error": "Invalid status code: 422",
        "payload": _refusal_of(task),
    }


def sign(task: Task, payload: bytes) -> dict[str, str]:
    """fal's webhook signature: Ed25519 over the request id, the user id, the Unix time and the
    body's SHA-256 (hex), one per line; the signature in hex."""
    timestamp = str(int(time.time()))
    user = USER_IDS[task.account]
    message = "\n".join([task.id, user, timestamp, hashlib.sha256(payload).hexdigest()])
    return {
        "X-Fal-Webhook-Request-Id": task.id,
        "X-Fal-Webhook-User-Id": user,
        "X-Fal-Webhook-Timestamp": timestamp,
        "X-Fal-Webhook-Signature": SIGNING_KEY.sign(message.encode()).hex(),
    }


LIFECYCLE = Lifecycle(
    states=("IN_QUEUE", "IN_PROGRESS"),
    success="COMPLETED",
    failure="COMPLETED",  # a failed request ends COMPLETED too, with an error
    callback=webhook,
    sign_body=sign,
    inputs_key=None,  # the input is the whole body
)


def _submit(operation_id: str) -> Any:
    endpoint = ENDPOINTS[operation_id]
    cost = COST_STD if "standard" in endpoint else COST_PRO

    async def submit(
        state: MockState, body: Body, fal_webhook: str | None = None, **_: Any
    ) -> Reply:
        if not admit(state, NAME, cost):
            return Reply({"detail": LOCKED}, 403)
        task = start_task(
            state,
            NAME,
            LIFECYCLE,
            task_id=str(uuid.UUID(int=state.random_bits(128), version=4)),
            operation_id=operation_id,
            model=endpoint,
            param=body,
            callback_url=fal_webhook,
            cost=cost,
        )
        answer = {"status": "IN_QUEUE", "request_id": task.id, **_urls(state, task)}
        return Reply({**answer, "queue_position": _ahead(state, task)})

    return submit


async def status(state: MockState, request_id: str, logs: Any = None, **_: Any) -> Reply:
    task = own_task(state, NAME, request_id)
    if task is None:
        return Reply({"detail": "Request not found"}, 404)
    phase = state.phase(task)
    answer: Body = {"status": phase, "request_id": task.id, **_urls(state, task)}
    with_logs = str(logs) in ("1", "true")
    if phase == "IN_QUEUE":
        return Reply({**answer, "queue_position": _ahead(state, task)}, 202)
    stamp = datetime.fromtimestamp(state.wall(), UTC).isoformat(timespec="milliseconds")
    line = {
        "message": "Generating the video",
        "level": "INFO",
        "source": "user",
        "timestamp": stamp,
    }
    answer["logs"] = [line] if with_logs else None
    if phase == "IN_PROGRESS":
        return Reply(answer, 202)
    answer["metrics"] = {"inference_time": state.run_time(task)}
    if task.outcome != "success":
        answer.update(error=task.fail_msg, error_type=task.fail_code)
    return Reply(answer)


async def result(state: MockState, request_id: str, **_: Any) -> Reply:
    task = own_task(state, NAME, request_id)
    if task is None:
        return Reply({"detail": "Request not found"}, 404)
    if state.phase(task) != "COMPLETED":
        return Reply({"detail": "Request is still in progress"}, 400)
    if task.outcome != "success":
        return Reply(_refusal_of(task), 422)
    return Reply(output(state, task))


async def cancel(state: MockState, request_id: str, **_: Any) -> Reply:
    task = own_task(state, NAME, request_id)
    if task is None:
        return Reply({"detail": "Request not found"}, 404)
    phase = state.phase(task)
    if phase == "COMPLETED":
        return Reply({"status": "ALREADY_COMPLETED"}, 400)
    # Queued or running, it ends now, refunded; its status reads COMPLETED with the error.
    task.outcome = "fail"
    task.fail_code, task.fail_msg = CANCELLED
    state.settle(task)
    # fal's cancel page: a queued request is removed (OK), one in progress is signalled.
    if phase == "IN_QUEUE":
        return Reply({"status": "OK"}, 200)
    return Reply({"status": "CANCELLATION_REQUESTED"}, 202)


# -- uploads: initiate, then a PUT of the bytes ------------------------------------------


async def initiate_upload(state: MockState, body: Body, **_: Any) -> Reply:
    name = safe_segment(f"{state.token()}-{body['file_name']}")
    signature = state.token()
    state.presigned[name] = (str(body["content_type"]), signature)
    state.expire_later("presigned", name)
    return Reply(
        {
            "upload_url": f"{state.base_url}{UPLOAD_PREFIX}{quote(name)}?signature={signature}",
            "file_url": media_url(state, f"uploads/{name}"),
        }
    )


async def upload_put(state: MockState, scope: Scope, receive: Receive, send: Send) -> None:
    """PUT of the raw bytes to an upload URL; the file is then at its ``file_url``."""
    name = scope["path"][len(UPLOAD_PREFIX) :]
    expected = state.presigned.get(name)
    if expected is None:
        await send_json(send, {"detail": "Not found"}, 404)
        return
    mime_asked, signature = expected
    given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("signature", [""])
    if not hmac.compare_digest(given[-1].encode(), signature.encode()):
        await send_json(send, {"detail": "Signature does not match"}, 403)
        return
    try:
        data = await read_body(scope, receive)
    except BodyRefused as refused:
        await send_json(send, {"detail": refused.message}, 413)
        return
    state.store_media(f"uploads/{name}", data, content_type(scope) or mime_asked)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]}
    )
    await send({"type": "http.response.body", "body": b""})


async def webhook_keys(state: MockState, **_: Any) -> Reply:
    x = base64.urlsafe_b64encode(public_key()).decode("ascii").rstrip("=")
    return Reply({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "kling-mock"}]})


def _handlers() -> dict[str, Any]:
    found: dict[str, Any] = {op: _submit(op) for op in ENDPOINTS}
    for version in ("V2Standard", "V2Pro", "V1Standard", "V1Pro"):
        found[f"getAvatar{version}Status"] = status
        found[f"getAvatar{version}Result"] = result
        found[f"cancelAvatar{version}"] = cancel
    found.update(
        getRequestStatus=status,
        getRequestResult=result,
        cancelRequest=cancel,
        initiateUpload=initiate_upload,
        getWebhookKeys=webhook_keys,
    )
    return found


MOCK = ProviderMock(
    name=NAME,
    title="fal.ai",
    default_key=DEFAULT_KEY,
    key_variable="FAL_KEY",
    base_url_variable="FAL_BASE_URL",
    lifecycle=LIFECYCLE,
    handlers=_handlers(),
    envelope=envelope,
    refusal=refusal,
    rejection=rejection,
    raw_routes={("PUT", UPLOAD_PREFIX): upload_put},
    # Above its concurrency limit fal queues requests rather than refusing them.
    http_statuses=True,
)
