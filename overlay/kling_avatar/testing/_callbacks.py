"""Outgoing requests: task-completion callbacks (signed the kie.ai way) and URL uploads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import time
from typing import Any

import httpx

from ._state import CallbackDelivery, MockState, Task

CALLBACK_TIMEOUT = httpx.Timeout(5.0)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class LoopbackOnlyTransport(httpx.AsyncBaseTransport):
    """Refuses, before any DNS look-up or connect, every host that is not this machine.

    The mock runs in test suites and demos: a callback or ``fileUrl`` naming another host must
    not make it send traffic off the machine (nor leave resolver threads behind at exit).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not is_loopback(request.url.host):
            raise httpx.ConnectError(
                f"the mock only contacts loopback hosts, not {request.url.host!r}", request=request
            )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def outgoing_client() -> httpx.AsyncClient:
    """The client for everything the mock sends itself: callbacks and URL uploads."""
    return httpx.AsyncClient(transport=LoopbackOnlyTransport(), trust_env=False)


def sign(key: str, task_id: str, timestamp: str) -> str:
    """kie.ai's webhook signature: base64(HMAC-SHA256(key, taskId + "." + timestamp))."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def callback_payload(state: MockState, task: Task) -> dict[str, Any]:
    from ._handlers import apikley_record, crun_task_info

    if task.provider == "crun":
        # crun's page: the payload "is consistent with the data object" of the status query.
        return crun_task_info(state, task)
    record = apikley_record(state, task)
    success = task.outcome == "success"
    # kie.ai's callbacks also say what the task cost (a failed task is refunded: nothing).
    record["creditsConsumed"] = task.cost if success else 0
    return {
        "code": 200 if success else 501,
        "msg": "Playground task completed successfully." if success else "Playground task failed.",
        "data": record,
    }


async def deliver(state: MockState, task: Task) -> None:
    """POST the payload; retry refused or non-2xx deliveries as providers do.

    Up to ``state.callback_attempts`` attempts, the delay doubling from
    ``state.callback_backoff`` seconds of the mock's clock (``advance`` cuts a wait short).
    Each attempt is recorded, with its status or the error that stood in for one.
    """
    assert task.callback_url is not None
    client = state.http
    if client is None:
        return
    body = callback_payload(state, task)
    for attempt in range(1, state.callback_attempts + 1):
        headers = {"Content-Type": "application/json"}
        if task.provider == "apikley" and state.webhook_key:
            timestamp = str(int(time.time()))
            headers["X-Webhook-Timestamp"] = timestamp
            headers["X-Webhook-Signature"] = sign(state.webhook_key, task.id, timestamp)
        status: int | None = None
        error: str | None = None
        try:
            response = await client.post(
                task.callback_url, json=body, headers=headers, timeout=CALLBACK_TIMEOUT
            )
            status = response.status_code
        except (httpx.HTTPError, ValueError) as exc:  # ValueError: a host IDNA cannot encode
            error = type(exc).__name__  # the type only: a message may quote the URL's token
        delivered = status is not None and 200 <= status < 300
        last = delivered or attempt == state.callback_attempts
        delay = None if last else state.callback_backoff * 2 ** (attempt - 1)
        with state.lock:
            state.callbacks.append(
                CallbackDelivery(
                    url=task.callback_url,
                    headers=headers,
                    body=body,
                    status=status,
                    attempt=attempt,
                    error=error,
                    retry_in=delay,
                )
            )
        if delay is None:
            return
        await state.sleep(delay)


async def fetch(
    state: MockState, url: str, limit: int, seconds: float = 10.0
) -> tuple[bytes, str] | str:
    """The bytes and content type at ``url``, or why they could not be had."""
    client = state.http
    if client is None:
        return "the server is not running"
    try:
        async with client.stream("GET", url, timeout=httpx.Timeout(seconds)) as response:
            if response.status_code != 200:
                return f"HTTP {response.status_code}"
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    return "file is larger than 10 MB"
                chunks.append(chunk)
            mime = response.headers.get("content-type", "").split(";")[0].strip()
            return b"".join(chunks), mime
    except (httpx.HTTPError, ValueError) as exc:  # ValueError: a host IDNA cannot encode
        return type(exc).__name__
