"""Answers in each provider's own shape, for the hostile server's routes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

from kling_avatar import AsyncAvatarClient, AvatarClient, Provider

from .server import HostileServer, Request, Script, answer, envelope, head

KEY = "sk-hostile-0123456789abcdefghijklmnop"
SIGNATURE = "SIGsecretSIGsecretSIG"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"v" * 500
PATHS = {
    "crun": {
        "status": "/api/v1/client/job/TaskInfo",
        "create": "/api/v1/client/job/CreateTask",
        "credits": "/api/v1/client/account/balance",
        "upload": "/api/v1/client/files/upload-url",
    },
    "apikley": {
        "status": "/api/v1/jobs/recordInfo",
        "create": "/api/v1/jobs/createTask",
        "credits": "/api/v1/chat/credit",
        "upload": "/file-upload/api/file-stream-upload",
    },
}


def task_data(provider: str, task_id: str, state: str = "success", **fields: Any) -> dict[str, Any]:
    """A status answer's `data`: `urls` are the video URLs, `message` a failure's text."""
    urls = fields.pop("urls", [])
    message = fields.pop("message", None)
    if provider == "crun":
        status = {"success": "success", "failed": "failed", "running": "running"}.get(state, state)
        result: dict[str, Any] = {"media_urls": urls}
        if message is not None:
            result.update(code=500, message=message)
        return {"task_id": task_id, "status": status, "result": result, **fields}
    word = {"success": "success", "failed": "fail", "running": "generating"}.get(state, state)
    data: dict[str, Any] = {"taskId": task_id, "state": word, **fields}
    if urls:
        data["resultJson"] = json.dumps({"resultUrls": urls})
    if message is not None:
        data.update(failCode="500", failMsg=message)
    return data


def created(provider: str, task_id: str) -> bytes:
    return envelope({"task_id": task_id} if provider == "crun" else {"taskId": task_id})


def asked_id(provider: str, request: Request) -> str:
    return request.param("task_id" if provider == "crun" else "taskId") or ""


def routes(provider: str, **scripts: Callable[[Request], Script]) -> Callable[[Request], Script]:
    """A route answering each operation (`status=`, `create=`, ...) by path; anything else,
    for instance `other=`, answers the remaining paths; 404 when nothing does."""
    by_path = {PATHS[provider][name]: script for name, script in scripts.items() if name != "other"}

    def route(request: Request) -> Script:
        script = by_path.get(request.path) or scripts.get("other")
        if script is None:
            return [answer({"code": 404, "msg": "no such path"}, 404)]
        return script(request)

    return route


class Clock:
    """The client's time, moved on only by its own pauses: a wait runs every poll, pause and
    deadline it would on the machine's clock, without sleeping through them."""

    def __init__(self) -> None:
        self.start, self.slept = time.time(), 0.0

    def monotonic(self) -> float:
        return self.slept

    def time(self) -> float:
        return self.start + self.slept

    def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def sync_client(provider: str, url: str, **options: Any) -> AvatarClient:
    options = {"max_retries": 0, "poll_interval": 0.05, "base_url": url, **options}
    return AvatarClient(cast(Provider, provider), api_key=KEY, **options)


def async_client(provider: str, url: str, **options: Any) -> AsyncAvatarClient:
    options = {"max_retries": 0, "poll_interval": 0.05, "base_url": url, **options}
    return AsyncAvatarClient(cast(Provider, provider), api_key=KEY, **options)


def fragments(text: str, secret: str = KEY, shortest: int = 6) -> Iterator[str]:
    """Every piece of `secret` of `shortest` or more characters found in `text`."""
    for size in range(len(secret), shortest - 1, -1):
        for start in range(len(secret) - size + 1):
            piece = secret[start : start + size]
            if piece in text:
                yield piece
                return


def longest_fragment(text: str, secret: str = KEY) -> int:
    """How many characters of `secret` in a row appear in `text`."""
    return max((len(f) for f in fragments(text, secret, 1)), default=0)


def hostile_crun(task_id: str, state: str = "success") -> HostileServer:
    """All of crun a `kling-avatar generate` touches: it creates `task_id`, which ends in
    `state` with a video URL ending `.pth`; uploads get a presigned URL with a SIGNATURE."""

    def status(request: Request) -> Script:
        url = f"http://{request.headers['host']}/video.pth"
        return [envelope(task_data("crun", asked_id("crun", request), state, urls=[url]))]

    def upload(request: Request) -> Script:
        base = f"http://{request.headers['host']}"
        presigned = f"{base}/put?X-Amz-Signature={SIGNATURE}&X-Amz-Expires=60"
        return [envelope({"presigned_url": presigned, "file_url": f"{base}/files/p.png"})]

    def other(request: Request) -> Script:
        body = b"" if request.path == "/put" else VIDEO
        return [head(200, {"Content-Type": "video/mp4"}, len(body)) + body]

    return HostileServer(
        routes(
            "crun",
            create=lambda r: [created("crun", task_id)],
            status=status,
            upload=upload,
            other=other,
        )
    )
