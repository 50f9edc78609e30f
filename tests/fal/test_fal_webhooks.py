"""fal's webhooks at the receiver: fal signs the body with Ed25519 keys it publishes, so a
genuine webhook is handed on once, as it says, without a status read; a forged, a stale and a
replayed one are refused."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import attrs
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kling_avatar import (
    InvalidSignatureError,
    Receiver,
    Task,
    TaskState,
    verify_published_signature,
)
from kling_avatar._serving import serve
from kling_avatar.testing import MockServer
from kling_avatar.testing._providers import fal as fal_mock

from .helpers import KEYS, PORTRAIT, STATUS, VOICE, client

SECRET = "fal-webhook-tests-secret-0123456789"


@attrs.define
class Served:
    receiver: Receiver
    handled: list[Task]

    def wait_handled(self, count: int, timeout: float = 10.0) -> list[Task]:
        deadline = time.monotonic() + timeout
        while len(self.handled) < count:
            assert time.monotonic() < deadline, f"{len(self.handled)} of {count} handed on"
            time.sleep(0.01)
        return list(self.handled)

    def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        url = self.receiver.callback_url("fal")
        return httpx.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}
        )


@contextmanager
def served(mock: MockServer, **kwargs: Any) -> Iterator[Served]:
    """A Receiver with a blocking fal client on `mock`, served by uvicorn."""
    handled: list[Task] = []
    receiver = Receiver("http://127.0.0.1:1", secret=SECRET, handler=handled.append, **kwargs)
    with ExitStack() as stack:
        receiver.add_client(stack.enter_context(client(mock)))
        receiver.public_url = stack.enter_context(serve(receiver))
        yield Served(receiver, handled)
        receiver.close()


def signed(
    body: dict[str, Any],
    *,
    key: Ed25519PrivateKey = fal_mock.SIGNING_KEY,
    at: float | None = None,
    request_id: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A webhook as fal sends one: the body's bytes and its signed headers."""
    payload = json.dumps(body).encode()
    rid = request_id or str(body["request_id"])
    stamp = str(int(time.time() if at is None else at))
    message = "\n".join([rid, "user-1", stamp, hashlib.sha256(payload).hexdigest()])
    return payload, {
        "X-Fal-Webhook-Request-Id": rid,
        "X-Fal-Webhook-User-Id": "user-1",
        "X-Fal-Webhook-Timestamp": stamp,
        "X-Fal-Webhook-Signature": key.sign(message.encode()).hex(),
    }


def ok(request_id: str = "r-1") -> dict[str, Any]:
    video = {"url": "https://v3.fal.media/files/x/avatar.mp4", "content_type": "video/mp4"}
    return {"request_id": request_id, "status": "OK", "payload": {"video": video, "duration": 2}}


def test_a_genuine_webhook_is_handed_on_once_without_a_status_read(mock: MockServer) -> None:
    mock.step = 3600.0  # the task ends when the clock is moved
    with served(mock) as service, client(mock) as fal:
        task = fal.create_task(
            image_url=fal.upload_file(PORTRAIT),
            audio_url=fal.upload_file(VOICE),
            callback_url=service.receiver.callback_url("fal"),
        )
        reads, keys = mock.calls(STATUS), mock.calls(KEYS)
        mock.advance(7200.0)
        (handed,) = service.wait_handled(1)
        mock.wait_idle()
        assert mock.callbacks[-1].status == 200
    assert handed.id == task.id and handed.state is TaskState.SUCCEEDED
    assert handed.video_url == f"{mock.base_url}/media/results/{task.id}.mp4"
    assert mock.calls(STATUS) == reads  # the signed body is fal's word: no read
    assert mock.calls(KEYS) == keys + 1


def test_a_wait_with_the_receiver_ends_on_the_webhook(mock: MockServer) -> None:
    mock.step = 3600.0
    with served(mock) as service, client(mock) as fal:
        urls = fal.upload_file(PORTRAIT), fal.upload_file(VOICE)
        result: list[Task] = []
        before = mock.calls(STATUS)
        waiting = threading.Thread(
            target=lambda: result.append(
                fal.generate(
                    image_url=urls[0], audio_url=urls[1], receiver=service.receiver, timeout=30
                )
            )
        )
        waiting.start()
        while mock.calls(STATUS) == before:  # the wait's first read: the task is queued
            time.sleep(0.01)
        mock.advance(7200.0)
        waiting.join(20)
    (task,) = result
    assert task.state is TaskState.SUCCEEDED and mock.calls(STATUS) == before + 1


def test_a_failed_request_is_handed_on_failed(mock: MockServer) -> None:
    body = {
        "request_id": "r-failed",
        "status": "ERROR",
        "error": "Invalid status code: 422",
        "payload": {"detail": [{"loc": ["body", "image_url"], "msg": "no face", "type": "face"}]},
    }
    with served(mock) as service:
        assert service.post(*signed(body)).status_code == 200
    (task,) = service.handled
    assert task.state is TaskState.FAILED and task.error_code == "face"
    assert "no face" in (task.error_message or "")


def test_a_forged_webhook_is_refused(mock: MockServer) -> None:
    forger = Ed25519PrivateKey.generate()
    with served(mock) as service:
        answer = service.post(*signed(ok(), key=forger))
    assert answer.status_code == 401 and "does not match" in answer.json()["msg"]
    assert service.handled == []


def test_a_tampered_body_is_refused(mock: MockServer) -> None:
    body, headers = signed(ok())
    forged = body.replace(b"v3.fal.media", b"evil.example")
    with served(mock) as service:
        assert service.post(forged, headers).status_code == 401
    assert service.handled == []


def test_a_stale_webhook_is_refused(mock: MockServer) -> None:
    with served(mock) as service:
        answer = service.post(*signed(ok(), at=time.time() - 400))
    assert answer.status_code == 401 and "outside the 300s window" in answer.json()["msg"]
    assert service.handled == []


def test_a_replayed_webhook_is_refused(mock: MockServer) -> None:
    body, headers = signed(ok("r-replayed"))
    with served(mock) as service:
        first = service.post(body, headers)
        again = service.post(body, headers)
    assert (first.status_code, again.status_code) == (200, 401)
    assert "replay" in again.json()["msg"] and len(service.handled) == 1


def test_a_retry_signed_anew_is_a_duplicate_not_handed_on_again(mock: MockServer) -> None:
    with served(mock) as service:
        first = service.post(*signed(ok("r-retried"), at=time.time() - 5))
        retry = service.post(*signed(ok("r-retried")))
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json()["msg"] == "duplicate" and len(service.handled) == 1


def test_the_signed_request_id_must_be_the_bodys(mock: MockServer) -> None:
    with served(mock) as service:
        answer = service.post(*signed(ok("r-1"), request_id="r-other"))
    assert answer.status_code == 401 and service.handled == []


@pytest.mark.parametrize("missing", ["X-Fal-Webhook-User-Id", "X-Fal-Webhook-Signature"])
def test_a_webhook_missing_a_signed_header_is_refused(mock: MockServer, missing: str) -> None:
    body, headers = signed(ok())
    del headers[missing]
    with served(mock) as service:
        answer = service.post(body, headers)
    assert answer.status_code == 401 and missing in answer.json()["msg"]


def test_the_keys_are_fetched_once_and_kept(mock: MockServer) -> None:
    keys = mock.calls(KEYS)
    with served(mock) as service:
        for n in range(3):
            assert service.post(*signed(ok(f"r-kept-{n}"))).status_code == 200
    assert mock.calls(KEYS) == keys + 1 and len(service.handled) == 3


def test_keys_that_cannot_be_fetched_ask_fal_to_come_back(mock: MockServer) -> None:
    mock.fault("http", "getWebhookKeys", status=500, times=None)
    with served(mock) as service:
        refused = service.post(*signed(ok("r-later")))
        mock.clear_faults()
        later = service.post(*signed(ok("r-later"), at=time.time() + 1))
    assert refused.status_code == 503 and later.status_code == 200
    assert len(service.handled) == 1


def test_verify_published_signature_for_a_service_of_its_own() -> None:
    body, headers = signed(ok("r-own"))
    keys = [fal_mock.public_key()]
    assert verify_published_signature(body, headers, keys, provider="fal") == "r-own"
    with pytest.raises(InvalidSignatureError, match="does not match"):
        verify_published_signature(body + b" ", headers, keys, provider="fal")
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(InvalidSignatureError, match="does not match"):
        verify_published_signature(body, headers, [other], provider="fal")
