"""A small video service on kling_avatar: it creates talking videos and learns they are done
from the providers' callbacks only (no polling loop of its own).

    make serve [PORT=8200]            # or: python examples/service/app.py --port 8200

Environment: CRUN_API_KEY / APIKLEY_API_KEY (a provider without a key is not offered),
CRUN_BASE_URL / APIKLEY_BASE_URL, APIKLEY_WEBHOOK_KEY (Apikley's callbacks must then be signed),
SERVICE_PUBLIC_URL (where the providers reach this service; default http://127.0.0.1:PORT),
SERVICE_CALLBACK_SECRET (share it between processes behind one URL; random otherwise, so
callback URLs minted before a restart are refused after it), REDIS_URL (a seen-set shared by
several processes; in memory otherwise).

HTTP API: POST /videos {"provider", "image_url", "audio_url", "prompt"} -> 201 {"id", ...}
(image_url and audio_url http(s) URLs only: anything else, a path included, is 422);
GET /videos/{id} -> {"id", "state": pending|running|succeeded|failed, "video_url", ...};
the callback receiver under /callbacks/.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Literal
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI, HTTPException
from kling_avatar import (
    AsyncAvatarClient,
    AvatarError,
    InsufficientCreditsError,
    InvalidRequestError,
    MemorySeenStore,
    Receiver,
    RedisSeenStore,
    SeenStore,
    Task,
    TaskNotKnownYet,
    TaskState,
    as_provider,
    uvicorn_limits,
)
from pydantic import AfterValidator, BaseModel, Field

DEFAULT_PORT = 8200
logger = logging.getLogger("service")
KEY_ENV = {"crun": "CRUN_API_KEY", "apikley": "APIKLEY_API_KEY"}
STATES = {
    TaskState.PENDING: "pending",
    TaskState.RUNNING: "running",
    TaskState.SUCCEEDED: "succeeded",
    TaskState.FAILED: "failed",
}


def _http_url(value: str) -> str:
    """A caller's media must be a URL the provider fetches: a path would name a file on this
    server (the client refuses a str that is no URL too; this says so as a 422 up front)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    return value


MediaUrl = Annotated[str, Field(max_length=2048), AfterValidator(_http_url)]


class NewVideo(BaseModel):
    provider: Literal["crun", "apikley"]
    image_url: MediaUrl
    audio_url: MediaUrl
    prompt: str = Field(default="", max_length=5000)


class Video(BaseModel):
    id: str
    provider: str
    task_id: str
    state: Literal["pending", "running", "succeeded", "failed"]
    video_url: str | None = None
    error: str | None = None
    finished_at: float | None = None  # when the callback said so (service clock)


class Videos:
    """The service's own records (a real service keeps them in its database)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Video] = {}
        self._by_task: dict[tuple[str, str], str] = {}

    def add(self, provider: str, task: Task) -> Video:
        video = Video(
            id=secrets.token_urlsafe(12), provider=provider, task_id=task.id, state="pending"
        )
        with self._lock:
            self._by_id[video.id] = video
            self._by_task[(provider, task.id)] = video.id
        return video

    def get(self, video_id: str) -> Video | None:
        with self._lock:
            return self._by_id.get(video_id)

    def finished(self, task: Task) -> None:
        """The receiver's handler: each finished task arrives here once, already confirmed
        with the provider's API."""
        with self._lock:
            video_id = self._by_task.get((task.provider, task.id))
            if video_id is None:
                # The callback URL was minted here, so the task is ours: the callback came
                # before the creation's answer was stored. The provider will send it again.
                raise TaskNotKnownYet(f"task {task.id} is not recorded yet")
            video = self._by_id[video_id]
            if video.finished_at is not None:
                # Handed on once per task by the receiver; this guards a seen-set that forgot
                # (a Redis restarted without persistence): the first final state stands.
                logger.warning("video %s: task %s finished again, ignored", video_id, task.id)
                return
            self._by_id[video_id] = video.model_copy(
                update={
                    "state": STATES.get(task.state, "running"),
                    "video_url": task.video_url,
                    "error": task.error_message or task.error_code,
                    "finished_at": time.time(),
                }
            )


def create_app(env: Mapping[str, str] | None = None, port: int = DEFAULT_PORT) -> FastAPI:
    env = os.environ if env is None else env
    public_url = env.get("SERVICE_PUBLIC_URL") or f"http://127.0.0.1:{port}"
    seen: SeenStore = (
        RedisSeenStore(env["REDIS_URL"]) if env.get("REDIS_URL") else MemorySeenStore()
    )
    videos = Videos()
    receiver = Receiver(
        public_url.rstrip("/") + "/callbacks",
        secret=env.get("SERVICE_CALLBACK_SECRET") or None,
        handler=videos.finished,
        webhook_key=env.get("APIKLEY_WEBHOOK_KEY") or None,
        seen=seen,
    )
    clients: dict[str, AsyncAvatarClient] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Created on the serving loop: the receiver confirms callbacks with these clients.
        for provider, variable in KEY_ENV.items():
            if env.get(variable):
                clients[provider] = AsyncAvatarClient(
                    as_provider(provider),
                    api_key=env[variable],
                    base_url=env.get(f"{provider.upper()}_BASE_URL") or None,
                )
                receiver.add_client(clients[provider])
        try:
            yield
        finally:
            for client in clients.values():
                await client.close()
            receiver.close()

    app = FastAPI(title="talking videos", lifespan=lifespan)
    app.mount("/callbacks", receiver)

    @app.post("/videos", status_code=201)
    async def create_video(request: NewVideo) -> Video:
        client = clients.get(request.provider)
        if client is None:
            raise HTTPException(400, f"provider {request.provider} is not configured here")
        try:
            task = await client.create_task(
                image_url=request.image_url,
                audio_url=request.audio_url,
                prompt=request.prompt,
                callback_url=receiver.callback_url(request.provider),
            )
        except InvalidRequestError as error:
            raise HTTPException(422, error.message) from None
        except InsufficientCreditsError:
            raise HTTPException(402, "the provider account is out of credits") from None
        except AvatarError as error:  # the provider's trouble, not the caller's
            raise HTTPException(502, f"{request.provider}: {type(error).__name__}") from None
        return videos.add(request.provider, task)

    @app.get("/videos/{video_id}")
    async def get_video(video_id: str) -> Video:
        video = videos.get(video_id)
        if video is None:
            raise HTTPException(404, "no such video")
        return video

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--header-timeout",
        type=float,
        help="seconds a client has to send a request's headers (default: uvicorn_limits')",
    )
    args = parser.parse_args()
    limits = {} if args.header_timeout is None else {"header_timeout": args.header_timeout}
    print(f"serving on http://127.0.0.1:{args.port} (callbacks under /callbacks/)", flush=True)
    uvicorn.run(
        create_app(port=args.port),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        # Headers bounded in size and time: the same limits as the mock's.
        **uvicorn_limits(**limits),
    )


if __name__ == "__main__":
    main()
