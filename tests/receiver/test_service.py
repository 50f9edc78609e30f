"""End to end: examples/service under uvicorn (its own process) against the mock, which calls
back signed (Apikley) and unsigned (crun); forged and replayed callbacks change nothing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kling_avatar.testing import MockServer
from kling_avatar.testing._providers.apikley import sign

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_KEY = "whsec-service-e2e"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(
        step=0.3, seed=21, webhook_key=WEBHOOK_KEY, callback_attempts=3, callback_backoff=0.05
    ) as mock:
        yield mock
    assert not mock.errors


@pytest.fixture(scope="module")
def service(mock: MockServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    database = tmp_path_factory.mktemp("service") / "videos.sqlite3"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        **os.environ,
        "CRUN_API_KEY": mock.crun_key,
        "APIKLEY_API_KEY": mock.apikley_key,
        "CRUN_BASE_URL": mock.base_url,
        "APIKLEY_BASE_URL": mock.base_url,
        "APIKLEY_WEBHOOK_KEY": WEBHOOK_KEY,
    }
    env.pop("SERVICE_PUBLIC_URL", None)
    process = subprocess.Popen(  # noqa: S603 - this interpreter, the example in this repository
        [sys.executable, str(ROOT / "examples" / "service" / "app.py"), "--port", str(port)],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the service exited"
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def make_video(service: str, mock: MockServer, provider: str) -> dict[str, Any]:
    answer = httpx.post(
        service + "/videos",
        json={
            "provider": provider,
            "image_url": f"{mock.base_url}/media/portrait.png",
            "audio_url": f"{mock.base_url}/media/voice.mp3",
            "prompt": "hello",
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    video: dict[str, Any] = answer.json()
    assert video["state"] == "pending" and video["id"]
    return video


def finished(service: str, video_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        video: dict[str, Any] = httpx.get(f"{service}/videos/{video_id}").json()
        if video["state"] in ("succeeded", "failed"):
            return video
        assert time.monotonic() < deadline, video
        time.sleep(0.05)


def delivery_of(mock: MockServer, task_id: str) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for delivery in mock.callbacks:
            if task_id in json.dumps(delivery.body) and delivery.status == 200:
                return delivery
        time.sleep(0.02)
    raise AssertionError(f"no delivered callback for {task_id}")


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_videos_finish_from_callbacks_and_forgeries_change_nothing(
    service: str, mock: MockServer, provider: str
) -> None:
    reads_op = "getTaskInfo" if provider == "crun" else "getTaskDetails"
    reads_before = mock.calls(reads_op)
    video = make_video(service, mock, provider)
    done = finished(service, video["id"])
    assert done["state"] == "succeeded"
    assert done["video_url"].startswith(mock.base_url + "/media/results/")
    # The service never polls: its one read is the receiver confirming the callback.
    assert mock.calls(reads_op) - reads_before == 1

    delivery = delivery_of(mock, video["task_id"])
    callback_url = delivery.url
    assert callback_url.startswith(service + f"/callbacks/{provider}/")
    reads = mock.calls(reads_op)

    # A replay of the real delivery: acknowledged, not handed on again, no read spent.
    replay = httpx.post(callback_url, json=delivery.body, headers=delivery.headers)
    assert replay.status_code == 200 and replay.json()["msg"] == "duplicate"

    # Forgeries: a URL the service never minted; for Apikley a bad or stale signature; a
    # body claiming the task failed, which the provider's API contradicts.
    nonce, mac = callback_url.rsplit("/", 1)[1].split(".")
    other = f"{service}/callbacks/{provider}/{nonce}.{'A' * len(mac)}"
    assert httpx.post(other, json=delivery.body, headers=delivery.headers).status_code == 403
    if provider == "apikley":
        stale = str(int(time.time()) - 3600)
        for headers in (
            {},
            {
                "X-Webhook-Timestamp": stale,
                "X-Webhook-Signature": sign(WEBHOOK_KEY, video["task_id"], stale),
            },
            {**delivery.headers, "X-Webhook-Signature": sign("guessed-key", video["task_id"], "1")},
        ):
            assert httpx.post(callback_url, json=delivery.body, headers=headers).status_code == 401
        failed_body = {
            "code": 501,
            "msg": "failed",
            "data": {**delivery.body["data"], "state": "fail", "failMsg": "forged"},
        }
    else:
        failed_body = {
            **delivery.body,
            "status": "failed",
            "result": {"code": 501, "message": "forged"},
        }
    forged = httpx.post(callback_url, json=failed_body, headers=delivery.headers)
    assert forged.status_code == 200 and forged.json()["msg"] == "duplicate", forged.text
    assert mock.calls(reads_op) == reads + 1  # the forged claim was checked, once

    after = httpx.get(f"{service}/videos/{video['id']}").json()
    assert after == done  # nothing changed: same state, URL, and the time it finished


def test_bad_requests_are_4xx(service: str) -> None:
    assert httpx.post(service + "/videos", json={"provider": "kie"}).status_code == 422
    assert httpx.get(service + "/videos/nope").status_code == 404
    assert httpx.post(service + "/callbacks/crun/x.y", content=b"[1]").status_code == 403
