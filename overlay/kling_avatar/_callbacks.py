"""Completion callbacks: reading them, and checking kie.ai-style signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from ._exceptions import InvalidSignatureError, UnexpectedResponseError
from ._models import Task
from ._providers import adapter_class, decode_json

__all__ = ["parse_callback", "verify_callback_signature"]

Payload = bytes | str | Mapping[str, object]


def _body(payload: Payload, provider: str | None) -> Mapping[str, object]:
    body = payload if isinstance(payload, Mapping) else decode_json(payload)
    if not isinstance(body, Mapping):
        raise UnexpectedResponseError(
            f"the callback body is not a JSON object: {str(payload)[:120]!r}", provider=provider
        )
    return body


def parse_callback(provider: str, payload: Payload) -> Task:
    """The task a completion callback reports.

    `payload` is the request body as bytes or str, or already decoded. crun's bare `TaskInfo`
    and its envelope-wrapped form are both accepted, and Apikley's `{code, msg, data}`.
    Anything else raises UnexpectedResponseError.
    """
    adapter = adapter_class(provider)()
    return adapter.task(adapter.callback_data(_body(payload, adapter.name)))


def verify_callback_signature(
    payload: Payload,
    headers: Mapping[str, str],
    key: str | bytes,
    *,
    tolerance: float = 300,
    now: float | None = None,
) -> None:
    """Checks a kie.ai-style webhook signature, raising InvalidSignatureError when it fails.

    `X-Webhook-Signature` must be base64(HMAC-SHA256(key, taskId + "." + X-Webhook-Timestamp)),
    compared in constant time, and the timestamp within `tolerance` seconds of `now`, so a
    captured callback cannot be replayed later. The scheme signs the task id and the time only,
    not the body: read the result with `get_task` when the body itself must be trusted.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    stamp = lowered.get("x-webhook-timestamp")
    signature = lowered.get("x-webhook-signature")
    if not stamp or not signature:
        raise InvalidSignatureError("missing X-Webhook-Timestamp or X-Webhook-Signature header")
    try:
        sent_at = int(stamp.strip())
    except ValueError:
        raise InvalidSignatureError(
            f"X-Webhook-Timestamp is not a Unix time: {stamp!r:.40}"
        ) from None
    body = _body(payload, None)
    data = body.get("data")
    task_id = _task_id(data) if isinstance(data, Mapping) else None
    task_id = task_id or _task_id(body)
    if task_id is None:
        raise InvalidSignatureError("the callback body carries no task id to check")
    secret = key.encode() if isinstance(key, str) else key
    digest = hmac.new(secret, f"{task_id}.{sent_at}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(base64.b64encode(digest), signature.strip().encode()):
        raise InvalidSignatureError("the signature does not match")
    age = (time.time() if now is None else now) - sent_at
    if abs(age) > tolerance:
        raise InvalidSignatureError(
            f"the timestamp is {age:.0f}s off, outside the {tolerance:g}s window (a replay?)"
        )


def _task_id(obj: Mapping[str, object]) -> str | None:
    for key in ("taskId", "task_id"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    return None
