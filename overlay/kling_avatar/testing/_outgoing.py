"""What the mock sends itself, to loopback hosts only: task callbacks (retried) and URL fetches.

What a callback says and how it is signed is each provider's (its ``Lifecycle``); sending it,
retrying it and keeping a record of every attempt is the same for all.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any, Protocol

import attrs
import httpx

from .._tls import tls_context

CALLBACK_TIMEOUT = httpx.Timeout(5.0)


@attrs.frozen
class CallbackDelivery:
    """One POST the mock made to a task's callback URL (one per attempt)."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int | None  # None when the request failed (refused, timed out)
    attempt: int
    error: str | None = None  # why no status: the exception's type, e.g. "ConnectError"
    # Seconds (of the mock's clock) until the next attempt; None when there is none (this one
    # was accepted, or it was the last).
    retry_in: float | None = None


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
        self._inner = inner or httpx.AsyncHTTPTransport(verify=tls_context())

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


class Sender(Protocol):
    """What sending a callback needs of the mock's state (MockState)."""

    http: httpx.AsyncClient | None
    callback_attempts: int
    callback_backoff: float

    async def sleep(self, seconds: float) -> None:
        """Sleep on the mock's clock (``advance`` cuts it short)."""

    def record_callback(self, delivery: CallbackDelivery) -> None:
        """Keep the attempt for ``MockServer.callbacks``."""


async def deliver(
    sender: Sender, url: str, body: dict[str, Any], headers: Callable[[bytes], dict[str, str]]
) -> None:
    """POST ``body`` to ``url``; retry refused or non-2xx deliveries as providers do.

    Up to ``sender.callback_attempts`` attempts, the delay doubling from
    ``sender.callback_backoff`` seconds of the mock's clock. ``headers`` are made anew for each
    attempt (a signature carries its time) from the very bytes sent (a signature may cover
    them). Each attempt is recorded, with its status or the error that stood in for one.
    """
    client = sender.http
    if client is None:
        return
    payload = json.dumps(body, separators=(",", ":")).encode()
    for attempt in range(1, sender.callback_attempts + 1):
        sent = headers(payload)
        status: int | None = None
        error: str | None = None
        try:
            response = await client.post(
                url, content=payload, headers=sent, timeout=CALLBACK_TIMEOUT
            )
            status = response.status_code
        except (httpx.HTTPError, ValueError) as exc:  # ValueError: a host IDNA cannot encode
            error = type(exc).__name__  # the type only: a message may quote the URL's token
        delivered = status is not None and 200 <= status < 300
        last = delivered or attempt == sender.callback_attempts
        delay = None if last else sender.callback_backoff * 2 ** (attempt - 1)
        sender.record_callback(
            CallbackDelivery(
                url=url,
                headers=sent,
                body=body,
                status=status,
                attempt=attempt,
                error=error,
                retry_in=delay,
            )
        )
        if delay is None:
            return
        await sender.sleep(delay)


async def fetch(
    client: httpx.AsyncClient | None, url: str, limit: int, seconds: float = 10.0
) -> tuple[bytes, str] | str:
    """The bytes and content type at ``url``, or why they could not be had."""
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
                    return f"file is larger than {limit / 2**20:g} MB"
                chunks.append(chunk)
            mime = response.headers.get("content-type", "").split(";")[0].strip()
            return b"".join(chunks), mime
    except (httpx.HTTPError, ValueError) as exc:  # ValueError: a host IDNA cannot encode
        return type(exc).__name__
