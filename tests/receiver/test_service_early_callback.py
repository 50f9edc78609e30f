"""examples/service when the provider calls back before the creation's answer (issue 21, item 6):
the provider, scripted on a real socket, posts the callback and waits for its answer before it
answers the creation. The service wrote its record under the callback URL's nonce before it
sent the creation (issue 25), so the early callback finds it and is handed on at once; a
callback to one of its URLs with no record at all is answered 503, so the provider retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hostile.provider import KEY, PATHS, asked_id, created, routes, task_data
from hostile.server import HostileServer, Request, Script, envelope
from kling_avatar import Receiver

from .service_process import service

TASK = "task-early-0001"


def callback_body(provider: str, video: str) -> dict[str, Any]:
    data = task_data(provider, TASK, "success", urls=[video])
    return data if provider == "crun" else {"code": 200, "msg": "success", "data": data}


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_a_callback_before_the_creations_answer_finds_its_record_through_the_url(
    provider: str,
) -> None:
    early: dict[str, Any] = {}
    answered = threading.Event()

    def create(request: Request) -> Script:
        sent = json.loads(request.body)
        early["url"] = sent.get("callback_url") or sent.get("callBackUrl")
        early["body"] = callback_body(provider, f"http://{request.headers['host']}/video.mp4")

        def call_back() -> None:
            answer = httpx.post(early["url"], json=early["body"], timeout=30)
            early["status"] = answer.status_code
            answered.set()

        threading.Thread(target=call_back, daemon=True).start()

        def after_the_callback() -> Iterator[bytes | float]:
            while not answered.is_set():  # the creation's answer waits for the callback's
                yield 0.01
            yield created(provider, TASK)

        return after_the_callback()

    def status(request: Request) -> Script:
        video = f"http://{request.headers['host']}/video.mp4"
        return [envelope(task_data(provider, asked_id(provider, request), "success", urls=[video]))]

    name = provider.upper()
    with HostileServer(routes(provider, create=create, status=status)) as provider_server:
        env = {f"{name}_API_KEY": KEY, f"{name}_BASE_URL": provider_server.url}
        with service(env) as (url, _):
            media = provider_server.url + "/media"
            made = httpx.post(
                url + "/videos",
                json={
                    "provider": provider,
                    "image_url": media + "/portrait.png",
                    "audio_url": media + "/voice.mp3",
                },
                timeout=60,
            )
            assert made.status_code == 201, made.text
            video = made.json()
            # Taken before the creation's answer came: the record was found by the URL.
            assert early["status"] == 200
            done = httpx.get(f"{url}/videos/{video['id']}").json()
            assert done == video
            assert done["state"] == "succeeded" and done["video_url"].endswith("/video.mp4")
            assert done["task_id"] == TASK
            # The provider's retry changes nothing.
            again = httpx.post(early["url"], json=early["body"], timeout=30)
            assert again.status_code == 200 and again.json()["msg"] == "duplicate"
            assert httpx.get(f"{url}/videos/{video['id']}").json() == done
    assert PATHS[provider]["create"] in [r.path for r in provider_server.requests]


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_a_callback_no_record_knows_is_answered_so_the_provider_retries(provider: str) -> None:
    secret = "service-test-secret-0123456789"

    def status(request: Request) -> Script:
        video = f"http://{request.headers['host']}/video.mp4"
        return [envelope(task_data(provider, asked_id(provider, request), "success", urls=[video]))]

    name = provider.upper()
    with HostileServer(routes(provider, status=status)) as provider_server:
        env = {
            f"{name}_API_KEY": KEY,
            f"{name}_BASE_URL": provider_server.url,
            "SERVICE_CALLBACK_SECRET": secret,
        }
        with service(env) as (url, _):
            # A URL the service would accept (its secret), for which it holds no record.
            minted = Receiver(url + "/callbacks", secret=secret).mint(provider)
            body = callback_body(provider, provider_server.url + "/video.mp4")
            for _ in range(2):  # not marked seen: each retry is asked for again
                answer = httpx.post(minted.url, json=body, timeout=30)
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"] == "5"


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_a_seen_set_that_forgot_does_not_change_a_finished_video(
    provider: str, redis_url: str
) -> None:
    """A Redis restarted without persistence forgets what was handed on: the receiver hands a
    replay on again, and the service keeps the first final state it recorded."""
    import redis

    state = {"now": "success"}

    def create(request: Request) -> Script:
        return [created(provider, TASK)]

    def status(request: Request) -> Script:
        video = f"http://{request.headers['host']}/video.mp4"
        data = task_data(provider, asked_id(provider, request), state["now"], urls=[video])
        return [envelope(data)]

    name = provider.upper()
    with HostileServer(routes(provider, create=create, status=status)) as provider_server:
        env = {
            f"{name}_API_KEY": KEY,
            f"{name}_BASE_URL": provider_server.url,
            "REDIS_URL": redis_url,
        }
        with service(env) as (url, _):
            media = provider_server.url + "/media"
            made = httpx.post(
                url + "/videos",
                json={
                    "provider": provider,
                    "image_url": media + "/portrait.png",
                    "audio_url": media + "/voice.mp3",
                },
                timeout=60,
            )
            assert made.status_code == 201, made.text
            video = made.json()
            # The callback URL the service created the task with, as the provider saw it.
            [creation] = [r for r in provider_server.requests if r.method == "POST"]
            sent = json.loads(creation.body)
            callback_url = sent.get("callback_url") or sent.get("callBackUrl")
            body = callback_body(provider, provider_server.url + "/video.mp4")
            first = httpx.post(callback_url, json=body, timeout=30)
            assert first.status_code == 200 and first.json()["msg"] == "success"
            done = httpx.get(f"{url}/videos/{video['id']}").json()
            assert done["state"] == "succeeded"
            # Redis forgets (restarted without persistence); the provider now says failed.
            store = redis.Redis.from_url(redis_url)
            forgotten = store.keys(f"kling-avatar:seen:delivery:{provider}:{TASK}:*")
            assert forgotten and store.delete(*forgotten) == len(forgotten)
            store.close()
            state["now"] = "failed"
            failed = task_data(provider, TASK, "failed", message="changed its mind")
            replay_body = failed if provider == "crun" else {"code": 501, "data": failed}
            replay = httpx.post(callback_url, json=replay_body, timeout=30)
            assert replay.status_code == 200  # handed on again: the store forgot
            assert httpx.get(f"{url}/videos/{video['id']}").json() == done
