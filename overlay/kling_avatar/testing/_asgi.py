"""ASGI plumbing shared by the front app, the validating app behind it and the providers' own
routes: JSON answers, a request's content type, its body read whole within a bound."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Where the front app leaves the server's state and the matched operation for what is behind.
STATE_KEY = "kling_avatar.mock_state"
ROUTE_KEY = "kling_avatar.mock_route"

_JSON = [(b"content-type", b"application/json")]

MAX_BODY = 24 * 1024 * 1024  # a 10 MB file in base64, with room to spare


class BodyRefused(Exception):
    """A request body the mock will not take: too large, cut short, or (see _app) unparseable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


async def send_json(send: Send, body: Any, status: int = 200, headers: Any = ()) -> None:
    payload = dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON, (b"content-length", str(len(payload)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return str(value.decode("latin-1").split(";")[0].strip().lower())
    return ""


async def read_body(scope: Scope, receive: Receive) -> bytes:
    """The whole request body, at most MAX_BODY bytes (a declared length is checked first)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                raise BodyRefused("Content-Length is not a number") from None
            if declared > MAX_BODY:
                raise BodyRefused("request body is too large")
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyRefused("client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyRefused("request body is too large")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)
