"""A small video service on kling_avatar: it creates talking videos, keeps them in SQLite, and
learns they are done from the providers' callbacks (polling only as the fallback of a waiting
request), on one process or several behind one URL.

    make serve [PORT=8200] [WORKERS=2]      # or: python examples/service/app.py --port 8200

Environment: CRUN_API_KEY / APIKLEY_API_KEY (a provider without a key is not offered),
CRUN_BASE_URL / APIKLEY_BASE_URL, APIKLEY_WEBHOOK_KEY (Apikley's callbacks must then be signed),
SERVICE_PUBLIC_URL (where the providers reach this service; default http://127.0.0.1:PORT),
DATABASE_URL (sqlite:///relative/path or sqlite:////absolute/path; default
sqlite:///videos.sqlite3), SERVICE_CALLBACK_SECRET (default: one drawn once and kept in the
database, so every process on that database shares it and a restart keeps accepting the
callback URLs minted before it), REDIS_URL (several processes: the receiver's seen-set, the
creation rate limits and the wake bus in Redis; in memory otherwise), SERVICE_FALLBACK_POLL
(seconds before a waiting request polls for a lost callback; default 30).

HTTP API: POST /videos {"provider", "image_url", "audio_url", "prompt"} -> 201 {"id", ...}
(image_url and audio_url http(s) URLs only: anything else, a path included, is 422); with an
`Idempotency-Key` header a repeated request answers the first one's video (200) instead of
creating another; `?wait=S` answers once the video is finished or S seconds have passed.
GET /videos/{id}[?wait=S] -> {"id", "state": creating|pending|running|succeeded|failed,
"video_url", ...}; the callback receiver under /callbacks/.

What a crash cannot lose: the record is written (with the nonce of its callback URL) before the
creation, and marked sent the moment before the creation's request goes out. A process killed
after that and before it saved the task id still has the video: its callback finds the record
through the URL, and is handed on then. A record never sent (the process died before, waiting
for a rate-limit slot, say) is created by the caller's next request with the same
Idempotency-Key, which takes it over; the request that held it, if it still lives, then sends
nothing. A callback for a URL of ours with no record is answered 503 (TaskNotKnownYet): the
provider retries.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import httpx
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Query, Response
from kling_avatar import (
    AsyncAvatarClient,
    AsyncAvatarRouter,
    AvatarError,
    DeadlineExceededError,
    GenerationFailedError,
    InvalidRequestError,
    MemoryRateLimitStore,
    MemorySeenStore,
    NoProviderError,
    Receiver,
    RedisRateLimitStore,
    RedisSeenStore,
    RedisWakeBus,
    SeenStore,
    Task,
    TaskNotKnownYet,
    TaskState,
    as_provider,
    uvicorn_limits,
)
from pydantic import AfterValidator, BaseModel, Field

DEFAULT_PORT = 8200
DEFAULT_DATABASE = "sqlite:///videos.sqlite3"
MAX_WAIT = 600.0  # seconds a request may ask to wait
_FAILED_START = 5.0  # seconds: a worker that exits sooner by itself is not started again
_CREATING_RECHECK = 0.25  # seconds between looks at a record whose task id is not known yet
logger = logging.getLogger("service")
KEY_ENV = {"crun": "CRUN_API_KEY", "apikley": "APIKLEY_API_KEY"}
STATES = {
    TaskState.PENDING: "pending",
    TaskState.RUNNING: "running",
    TaskState.SUCCEEDED: "succeeded",
    TaskState.FAILED: "failed",
}
FINAL = ("succeeded", "failed")
T = TypeVar("T")


def _http_url(value: str) -> str:
    """A caller's media must be a URL the provider fetches: a path would name a file on this
    server (the client refuses a str that is no URL too; this says so as a 422 up front)."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL")
    return value


MediaUrl = Annotated[str, Field(max_length=2048), AfterValidator(_http_url)]
IdempotencyKey = Annotated[str | None, Header(max_length=200, pattern=r"^[\x21-\x7e]+$")]
Wait = Annotated[float, Query(ge=0, le=MAX_WAIT)]


class NewVideo(BaseModel):
    provider: Literal["crun", "apikley"]
    image_url: MediaUrl
    audio_url: MediaUrl
    prompt: str = Field(default="", max_length=5000)


class Video(BaseModel):
    id: str
    provider: str
    task_id: str | None  # None until the creation's answer is saved
    state: Literal["creating", "pending", "running", "succeeded", "failed"]
    video_url: str | None = None
    error: str | None = None
    finished_at: float | None = None  # when the service learnt it (its clock)


# --- the records ------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY,
    request_key TEXT UNIQUE,        -- the caller's Idempotency-Key
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL UNIQUE,     -- of the callback URL the task is created with
    owner TEXT NOT NULL,            -- the request that creates it
    sent_at REAL,                   -- NULL: the creation was never sent
    task_id TEXT,                   -- NULL until the creation's answer is saved
    state TEXT NOT NULL,
    video_url TEXT,
    error TEXT,
    created_at REAL NOT NULL,
    finished_at REAL,
    handed_on INTEGER NOT NULL DEFAULT 0,  -- times the receiver gave us the finished task
    UNIQUE (provider, task_id)
);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# The first final state recorded stands: a later one (a seen-set that forgot, a provider that
# changed its mind, the waiter and the callback both) changes nothing but the count.
_FINISH = """
UPDATE videos SET
    task_id = COALESCE(task_id, :task_id),
    handed_on = handed_on + :handed_on,
    state = CASE WHEN finished_at IS NULL THEN :state ELSE state END,
    video_url = CASE WHEN finished_at IS NULL THEN :video_url ELSE video_url END,
    error = CASE WHEN finished_at IS NULL THEN :error ELSE error END,
    finished_at = COALESCE(finished_at, :now)
WHERE provider = :provider AND (nonce = :nonce OR id = :id)
    AND (task_id IS NULL OR task_id = :task_id)
"""
_BY_ID = (
    "SELECT id, provider, task_id, state, video_url, error, finished_at FROM videos WHERE id = ?"
)


def database_path(url: str) -> Path:
    """The file a `sqlite:///path` URL names (four slashes: an absolute path)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix) or ":memory:" in url:
        raise SystemExit(f"DATABASE_URL: sqlite:///path/to/file only (got {url[:40]!r})")
    return Path(url[len(prefix) :])


class Records:
    """The videos in one SQLite file (WAL: readers never wait for the writer; every write is
    one statement, committed before it returns, so a process killed at any moment leaves each
    record as it was before or after). Every process of the service opens the same file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # The file holds the callback secret: readable by this user only.
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._local = threading.local()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def __repr__(self) -> str:
        return f"Records(path={str(self.path)!r})"

    def _connect(self) -> sqlite3.Connection:
        # One connection per thread (sqlite3 connections are not shared across threads);
        # autocommit, each statement its own transaction; FULL: a commit survives power loss.
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("PRAGMA synchronous=FULL")
            self._local.db = db
        return db

    def secret(self) -> str:
        """The callback secret every process on this database shares, drawn once."""
        db = self._connect()
        db.execute(
            "INSERT OR IGNORE INTO settings VALUES ('callback_secret', ?)",
            (secrets.token_urlsafe(32),),
        )
        row = db.execute("SELECT value FROM settings WHERE name = 'callback_secret'").fetchone()
        return str(row["value"])

    def claim(
        self, provider: str, nonce: str, request_key: str | None, owner: str
    ) -> tuple[Video, bool]:
        """The record a creation is about to be sent for, saved first: (video, True) when
        `owner` is to send it (a new record, or one of `request_key` that was never sent: its
        nonce replaced, since the old one never left), else (that key's video, False)."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")  # one claim at a time: read and write as one
        try:
            row = None
            if request_key is not None:
                row = db.execute(
                    "SELECT id, provider, state, sent_at FROM videos WHERE request_key = ?",
                    (request_key,),
                ).fetchone()
            if row is None:
                video_id, mine = secrets.token_urlsafe(12), True
                db.execute(
                    "INSERT INTO videos (id, request_key, provider, nonce, owner, state,"
                    " created_at) VALUES (?, ?, ?, ?, ?, 'creating', ?)",
                    (video_id, request_key, provider, nonce, owner, time.time()),
                )
            else:
                video_id = row["id"]
                mine = (row["state"], row["sent_at"], row["provider"]) == (
                    "creating",
                    None,
                    provider,
                )
                if mine:
                    db.execute(
                        "UPDATE videos SET owner = ?, nonce = ? WHERE id = ?",
                        (owner, nonce, video_id),
                    )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        video = self.get(video_id)
        assert video is not None
        return video, mine

    def sending(self, video_id: str, owner: str) -> bool:
        """Marks the creation sent, the moment before it is; False if another request took
        the record over meanwhile (this one must then send nothing)."""
        cursor = self._connect().execute(
            "UPDATE videos SET sent_at = COALESCE(sent_at, ?) WHERE id = ? AND owner = ?",
            (time.time(), video_id, owner),
        )
        return cursor.rowcount > 0

    def created(self, video_id: str, task_id: str) -> Video:
        """The creation's answer: the task id (a callback that came first may have set it)."""
        self._connect().execute(
            "UPDATE videos SET task_id = COALESCE(task_id, ?), sent_at = COALESCE(sent_at, ?),"
            " state = CASE WHEN state = 'creating' THEN 'pending' ELSE state END WHERE id = ?",
            (task_id, time.time(), video_id),
        )
        video = self.get(video_id)
        assert video is not None
        return video

    def not_created(self, video_id: str, owner: str) -> None:
        """The creation was refused, no task made: nothing will ever call back, so the record
        goes, and the caller's next request with its key starts afresh."""
        self._connect().execute(
            "DELETE FROM videos WHERE id = ? AND owner = ? AND task_id IS NULL"
            " AND state = 'creating'",
            (video_id, owner),
        )

    def handed_on(self, task: Task, nonce: str) -> None:
        """The receiver's handler: each finished task arrives here once, already confirmed
        with the provider's API, with the nonce of the URL its callback came to."""
        changed = self._finish(task, nonce=nonce, handed_on=1)
        if changed:
            return
        if self._connect().execute("SELECT 1 FROM videos WHERE nonce = ?", (nonce,)).fetchone():
            # Our URL, but the record is another task's: the provider's mistake; nothing to do.
            logger.warning("task %s came to the URL of another task's video; ignored", task.id)
            return
        # A URL this service minted (the receiver checked its mac) with no record: one
        # written by a process we cannot see yet, or lost. Never acknowledged and dropped:
        # the provider retries.
        raise TaskNotKnownYet(f"no record for task {task.id} yet")

    def waited(self, video_id: str, task: Task) -> Video | None:
        """What a waiting request learnt (the callback, or its own fallback poll)."""
        self._finish(task, video_id=video_id, handed_on=0)
        return self.get(video_id)

    def _finish(
        self, task: Task, *, handed_on: int, nonce: str | None = None, video_id: str | None = None
    ) -> bool:
        """Records `task` finished on the video of `nonce` or `video_id`; False if none."""
        cursor = self._connect().execute(
            _FINISH,
            {
                "nonce": nonce,
                "id": video_id,
                "provider": task.provider,
                "task_id": task.id,
                "handed_on": handed_on,
                "state": STATES.get(task.state, "running"),
                "video_url": task.video_url,
                "error": task.error_message or task.error_code,
                "now": time.time(),
            },
        )
        return cursor.rowcount > 0

    def get(self, video_id: str) -> Video | None:
        return self._one(_BY_ID, video_id)

    def _one(self, query: str, value: str) -> Video | None:
        found = self._connect().execute(query, (value,)).fetchone()
        return None if found is None else Video(**dict(found))


# The record whose creation this task is sending, and its owner (see MarkBeforeSending).
SENDING: ContextVar[tuple[str, str] | None] = ContextVar("sending", default=None)


class MarkBeforeSending(httpx.AsyncBaseTransport):
    """The clients' transport: a POST sent while `SENDING` names a record is its creation,
    marked sent just before it goes out; if another request took the record over, it is not
    sent at all (a connection never made, to the client: nothing was created)."""

    def __init__(self, records: Records) -> None:
        self._records = records
        self._inner = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=20)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sending = SENDING.get()
        if sending is not None and request.method == "POST":
            video_id, owner = sending
            if not await off_loop(self._records.sending, video_id, owner):
                raise httpx.ConnectError("taken over by another request; not sent", request=request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def off_loop(call: Callable[..., T], *args: Any) -> T:
    """A database call, off the event loop (a write may wait for another process's)."""
    return await asyncio.to_thread(call, *args)


# --- the app ----------------------------------------------------------------------------


def create_app(env: Mapping[str, str] | None = None, port: int = DEFAULT_PORT) -> FastAPI:
    env = os.environ if env is None else env
    public_url = env.get("SERVICE_PUBLIC_URL") or f"http://127.0.0.1:{port}"
    records = Records(database_path(env.get("DATABASE_URL") or DEFAULT_DATABASE))
    redis_url = env.get("REDIS_URL") or None
    seen: SeenStore = RedisSeenStore(redis_url) if redis_url else MemorySeenStore()
    limits: RedisRateLimitStore | MemoryRateLimitStore = (
        RedisRateLimitStore(redis_url) if redis_url else MemoryRateLimitStore()
    )
    receiver = Receiver(
        public_url.rstrip("/") + "/callbacks",
        secret=env.get("SERVICE_CALLBACK_SECRET") or records.secret(),
        handler=records.handed_on,
        webhook_key=env.get("APIKLEY_WEBHOOK_KEY") or None,
        seen=seen,
        bus=RedisWakeBus(redis_url) if redis_url else None,
        poll_interval=float(env.get("SERVICE_FALLBACK_POLL") or 30),
    )
    routers: dict[str, AsyncAvatarRouter] = {}
    clients: dict[str, AsyncAvatarClient] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Created on the serving loop: the receiver confirms callbacks with these clients.
        for provider, variable in KEY_ENV.items():
            if env.get(variable):
                name = as_provider(provider)
                # A router of one provider: its creations wait for a slot of the provider's
                # rate limit, shared by every process through `limits`; it never retries a
                # creation whose outcome is unknown.
                routers[provider] = AsyncAvatarRouter(
                    [name],
                    api_keys={name: env[variable]},
                    base_urls={name: env[f"{provider.upper()}_BASE_URL"]}
                    if env.get(f"{provider.upper()}_BASE_URL")
                    else None,
                    rate_limit_store=limits,
                    cooldown=0,  # one provider: nowhere else to go, so never skip it
                    transport=MarkBeforeSending(records),
                )
                clients[provider] = routers[provider].clients[name]
                receiver.add_client(clients[provider])
        try:
            yield
        finally:
            for router in routers.values():
                await router.close()
            receiver.close()

    app = FastAPI(title="talking videos", lifespan=lifespan)
    app.mount("/callbacks", receiver)

    async def settle(video: Video, wait: float) -> Video:
        """`video`, or once finished if that comes within `wait` seconds."""
        deadline = time.monotonic() + wait
        while video.task_id is None and video.state == "creating":
            # Created by a process that died before saving the task id (or still creating):
            # only its callback can tell the id. A look at the record now and then.
            left = deadline - time.monotonic()
            if left <= 0:
                return video
            await asyncio.sleep(min(_CREATING_RECHECK, left))
            video = await latest(video)
        left = deadline - time.monotonic()
        if left <= 0 or video.state in FINAL or video.task_id is None:
            return video
        client = clients.get(video.provider)
        if client is None:
            return video
        try:
            task = await client.wait_for_task(video.task_id, receiver=receiver, timeout=left)
        except GenerationFailedError as error:
            if error.task is None:
                raise
            task = error.task
        except AvatarError as error:  # WaitTimeoutError included: answered as it stands
            logger.info("video %s: still waiting (%s)", video.id, type(error).__name__)
            return await latest(video)
        found = await off_loop(records.waited, video.id, task)
        return video if found is None else found

    async def latest(video: Video) -> Video:
        found = await off_loop(records.get, video.id)
        return video if found is None else found

    @app.post("/videos", status_code=201)
    async def create_video(
        request: NewVideo,
        response: Response,
        idempotency_key: IdempotencyKey = None,
        wait: Wait = 0.0,
    ) -> Video:
        router = routers.get(request.provider)
        if router is None:
            raise HTTPException(400, f"provider {request.provider} is not configured here")
        owner = secrets.token_urlsafe(12)
        minted = receiver.mint(request.provider)
        video, mine = await off_loop(
            records.claim, request.provider, minted.nonce, idempotency_key, owner
        )
        if not mine:  # that key's video, sent already (or being sent by another request)
            if video.provider != request.provider:
                raise HTTPException(409, "this Idempotency-Key was used for another provider")
            response.status_code = 200
            return await settle(video, wait)
        sending = SENDING.set((video.id, owner))
        try:
            task = await router.create_task(
                image_url=request.image_url,
                audio_url=request.audio_url,
                prompt=request.prompt,
                callback_url=minted.url,
            )
        except InvalidRequestError as error:
            await off_loop(records.not_created, video.id, owner)
            raise HTTPException(422, error.message) from None
        except (NoProviderError, DeadlineExceededError) as error:
            await off_loop(records.not_created, video.id, owner)
            raise HTTPException(
                503, f"{request.provider} took no task: {error}", {"Retry-After": "5"}
            ) from None
        except AvatarError as error:
            # The provider may have made the task (the answer was lost): the record stays, and
            # its callback will finish it if so. Never sent again: that could pay twice.
            raise HTTPException(
                502,
                f"{request.provider}: {type(error).__name__}; the video may still be made:"
                f" GET /videos/{video.id}",
            ) from None
        finally:
            SENDING.reset(sending)
        video = await off_loop(records.created, video.id, task.id)
        return await settle(video, wait)

    @app.get("/videos/{video_id}")
    async def get_video(video_id: str, wait: Wait = 0.0) -> Video:
        video = await off_loop(records.get, video_id)
        if video is None:
            raise HTTPException(404, "no such video")
        return await settle(video, wait)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving the port (more than one needs REDIS_URL)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        help="seconds a client has to send a request's headers (default: uvicorn_limits')",
    )
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workers > 1:
        supervise(args)
        return
    limits = {} if args.header_timeout is None else {"header_timeout": args.header_timeout}
    config = uvicorn.Config(
        create_app(port=args.port),
        log_level="warning",
        # Headers bounded in size and time: the same limits as the mock's.
        **uvicorn_limits(**limits),
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.reuse_port:  # one of several workers: the kernel spreads connections among them
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", args.port))
    if not args.reuse_port:
        print(f"serving on http://127.0.0.1:{args.port} (callbacks under /callbacks/)", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


def supervise(args: argparse.Namespace) -> None:
    """`args.workers` processes of this script on one port (SO_REUSEPORT), each with its own
    app, sharing the database file and Redis; one that dies is started again."""
    if not os.environ.get("REDIS_URL"):
        raise SystemExit(
            "--workers > 1 needs REDIS_URL: the seen-set, the rate limits and the wake bus"
            " must be shared"
        )
    env = dict(os.environ)
    env["SERVICE_PUBLIC_URL"] = env.get("SERVICE_PUBLIC_URL") or f"http://127.0.0.1:{args.port}"
    # The database (and the callback secret in it) made once, before the workers start.
    Records(database_path(env.get("DATABASE_URL") or DEFAULT_DATABASE)).secret()
    command = [sys.executable, str(Path(__file__).resolve()), "--port", str(args.port)]
    if args.header_timeout is not None:
        command += ["--header-timeout", str(args.header_timeout)]
    command.append("--reuse-port")

    def start() -> tuple[subprocess.Popen[bytes], float]:
        process = subprocess.Popen(command, env=env)  # noqa: S603 - this script, its options
        return process, time.monotonic()

    running = [start() for _ in range(args.workers)]
    print(
        f"serving on http://127.0.0.1:{args.port} with {args.workers} workers"
        " (callbacks under /callbacks/)",
        flush=True,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            for index, (process, started) in enumerate(running):
                code = process.poll()
                if code is None:
                    continue
                if code >= 0 and time.monotonic() - started < _FAILED_START:
                    raise SystemExit(f"a worker exited at its start ({code}); see above")
                logger.warning("worker %d ended (%d); starting another", process.pid, code)
                running[index] = start()
    finally:
        for process, _ in running:
            process.terminate()
        for process, _ in running:
            process.wait(timeout=15)


if __name__ == "__main__":
    main()
