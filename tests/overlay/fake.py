"""A client whose "network" is a function, for answers a real server will not give."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from kling_avatar import AvatarClient, as_provider

Handler = Callable[[httpx.Request], httpx.Response]

KEY = "sk-test-0123456789abcdef"


def answer(body: object = None, status: int = 200, **headers: str) -> httpx.Response:
    """An httpx.Response: JSON for a dict/list/None body, raw bytes/str otherwise."""
    if isinstance(body, bytes | str):
        content = body.encode() if isinstance(body, str) else body
    else:
        content = json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers)


def fake_client(provider: str, handler: Handler, **kwargs: Any) -> AvatarClient:
    options: dict[str, Any] = {"retry_delay": 0.001, "poll_interval": 0.001, **kwargs}
    return AvatarClient(
        as_provider(provider), api_key=KEY, transport=httpx.MockTransport(handler), **options
    )


def always(response: httpx.Response) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return response

    return handler


def task_data(provider: str, state: str, **fields: object) -> dict[str, object]:
    """A status query's `data` object for a task in `state`."""
    if provider == "crun":
        return {"task_id": "t-1", "status": state, **fields}
    return {"taskId": "t-1", "state": state, **fields}


def envelope(data: object, code: int = 200, message: str = "success") -> dict[str, object]:
    return {"code": code, "message": message, "data": data}
