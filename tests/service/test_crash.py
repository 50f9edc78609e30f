"""examples/service killed with SIGKILL around a creation (issue 25), the provider scripted on
a real socket. Killed between the creation and saving its answer (the provider holds the answer
until the service is dead): started again on its database, the service hands the video on once
when the callback comes, and the caller's retry (same Idempotency-Key) creates nothing more.
Killed before the creation was sent: the retry creates it, once."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from hostile.provider import KEY, PATHS, asked_id, created, routes, task_data
from hostile.server import HostileServer, Request, Script, envelope
from kling_avatar import RateLimit, RedisRateLimitStore
from kling_avatar._ratelimit import account_key
from receiver.service_process import free_port, service
from redis_server import redis_server

TASK = "task-crash-0001"


def callback_body(provider: str, video: str) -> dict[str, Any]:
    data = task_data(provider, TASK, "success", urls=[video])
    return data if provider == "crun" else {"code": 200, "msg": "success", "data": data}


def records(database: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM videos")]


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_a_service_killed_between_creation_and_record_hands_the_video_on_once_after_restart(
    provider: str, tmp_path: Path
) -> None:
    creations: list[str] = []  # the callback URL of each creation the provider took
    dead = threading.Event()

    def create(request: Request) -> Script:
        sent = json.loads(request.body)
        creations.append(sent.get("callback_url") or sent.get("callBackUrl"))

        def after_the_service_died() -> Iterator[bytes | float]:
            while not dead.is_set():  # the task exists; its answer waits for the kill
                yield 0.01
            yield created(provider, TASK)

        return after_the_service_died()

    def status(request: Request) -> Script:
        video = f"http://{request.headers['host']}/video.mp4"
        return [envelope(task_data(provider, asked_id(provider, request), "success", urls=[video]))]

    database = tmp_path / "videos.sqlite3"
    port = free_port()
    name = provider.upper()
    request = {"provider": provider, "image_url": "", "audio_url": ""}
    headers = {"Idempotency-Key": "order-42"}
    with HostileServer(routes(provider, create=create, status=status)) as provider_server:
        env = {
            f"{name}_API_KEY": KEY,
            f"{name}_BASE_URL": provider_server.url,
            "DATABASE_URL": f"sqlite:///{database}",
        }
        media = provider_server.url + "/media"
        request.update(image_url=media + "/portrait.png", audio_url=media + "/voice.mp3")
        with service(env, port=port) as (url, process):
            sending = threading.Thread(
                target=lambda: _post_ignoring_the_crash(url, request, headers), daemon=True
            )
            sending.start()
            while not creations:  # bounded by the thread's own timeout, then the assert
                sending.join(0.01)
                assert sending.is_alive() or creations, "the creation never reached the provider"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            dead.set()
            sending.join(30)
        [before] = records(database)
        assert before["state"] == "creating" and before["task_id"] is None  # the id was lost
        with service(env, port=port) as (url, _):
            # The provider's callback, to the URL the task was created with.
            body = callback_body(provider, provider_server.url + "/video.mp4")
            first = httpx.post(creations[0], json=body, timeout=30)
            assert first.status_code == 200 and first.json()["msg"] == "success", first.text
            again = httpx.post(creations[0], json=body, timeout=30)
            assert again.status_code == 200 and again.json()["msg"] == "duplicate"
            # The caller's retry: the same video, nothing created again.
            retry = httpx.post(url + "/videos", json=request, headers=headers, timeout=30)
            assert retry.status_code == 200, retry.text
            video = retry.json()
            assert video["id"] == before["id"] and video["task_id"] == TASK
            assert video["state"] == "succeeded" and video["video_url"].endswith("/video.mp4")
    [after] = records(database)
    assert after["handed_on"] == 1 and after["task_id"] == TASK
    assert len(creations) == 1
    assert [r.path for r in provider_server.requests].count(PATHS[provider]["create"]) == 1


def _post_ignoring_the_crash(url: str, request: dict[str, str], headers: dict[str, str]) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the service died under it: the point
        httpx.post(url + "/videos", json=request, headers=headers, timeout=30)


def test_a_service_killed_before_it_sent_the_creation_lets_the_retry_create_it_once(
    tmp_path: Path,
) -> None:
    """Killed while the creation waited for a rate-limit slot (Apikley: 20 per 10 s, all taken
    here): nothing was sent, so the caller's retry takes the record over and creates it."""
    provider = "apikley"
    creations: list[str] = []

    def create(request: Request) -> Script:
        sent = json.loads(request.body)
        creations.append(sent["callBackUrl"])
        return [created(provider, TASK)]

    def status(request: Request) -> Script:
        video = f"http://{request.headers['host']}/video.mp4"
        return [envelope(task_data(provider, asked_id(provider, request), "success", urls=[video]))]

    database = tmp_path / "videos.sqlite3"
    request = {"provider": provider, "image_url": "", "audio_url": ""}
    headers = {"Idempotency-Key": "order-43"}
    with (
        redis_server(tmp_path / "redis") as (redis_url, _),
        HostileServer(routes(provider, create=create, status=status)) as provider_server,
    ):
        store = RedisRateLimitStore(redis_url)
        account, limit = account_key(provider, KEY), RateLimit(20, 10.0)
        held = [f"elsewhere-{i}" for i in range(limit.requests)]
        assert all(store.acquire(account, limit, token) == 0 for token in held)
        env = {
            "APIKLEY_API_KEY": KEY,
            "APIKLEY_BASE_URL": provider_server.url,
            "DATABASE_URL": f"sqlite:///{database}",
            "REDIS_URL": redis_url,
        }
        media = provider_server.url + "/media"
        request.update(image_url=media + "/portrait.png", audio_url=media + "/voice.mp3")
        with service(env) as (url, process):
            sending = threading.Thread(
                target=lambda: _post_ignoring_the_crash(url, request, headers), daemon=True
            )
            sending.start()
            for _ in range(3000):  # bounded: 30 s for the record to be written
                if records(database):
                    break
                sending.join(0.01)
            [waiting] = records(database)
            assert waiting["sent_at"] is None  # waiting for a slot: not sent
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            sending.join(30)
        # The slots held elsewhere, a window after their answers: released now, they would
        # still count for the window (10 s) first, which is the limiter's business, not this.
        assert redis.Redis.from_url(redis_url).zrem(account, *held) == len(held)
        assert creations == []
        with service(env) as (url, _):
            retry = httpx.post(url + "/videos", json=request, headers=headers, timeout=60)
            assert retry.status_code == 201, retry.text  # this request created it
            video = retry.json()
            assert video["id"] == waiting["id"] and video["task_id"] == TASK
            [callback_url] = creations
            body = callback_body(provider, provider_server.url + "/video.mp4")
            answer = httpx.post(callback_url, json=body, timeout=30)
            assert answer.status_code == 200 and answer.json()["msg"] == "success", answer.text
            done = httpx.get(f"{url}/videos/{video['id']}").json()
            assert done["state"] == "succeeded"
    [after] = records(database)
    assert after["handed_on"] == 1 and after["nonce"] != waiting["nonce"]
    assert _nonce(callback_url) == after["nonce"]


def _nonce(url: str) -> str:
    return url.rsplit("/", 1)[1].partition(".")[0]
