"""Completion callbacks: both providers' shapes, and kie.ai-style signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from kling_avatar import (
    InvalidRequestError,
    InvalidSignatureError,
    TaskState,
    UnexpectedResponseError,
    parse_callback,
    verify_callback_signature,
)

WEBHOOK_KEY = "whsec-test-key"
NOW = 1_755_597_100

APIKLEY_FAILED = {
    # kie.ai's documented failure callback, verbatim.
    "code": 501,
    "data": {
        "completeTime": 1755597081000,
        "failCode": "500",
        "failMsg": "Internal server error",
        "model": "...",
        "state": "fail",
        "taskId": "bd3a37c523149e4adf45a3ddb5faf1a8",
    },
    "msg": "Playground task failed.",
}
CRUN_BARE = {
    "task_id": "task_12345678",
    "status": "success",
    "result": {"code": 200, "message": "ok", "media_urls": ["https://resource.crun.ai/t.mp4"]},
}


def signed_headers(task_id: str, timestamp: int, key: str = WEBHOOK_KEY) -> dict[str, str]:
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return {
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": base64.b64encode(digest).decode(),
    }


def test_apikley_failure_callback_as_bytes_str_and_mapping() -> None:
    for payload in (
        json.dumps(APIKLEY_FAILED).encode(),
        json.dumps(APIKLEY_FAILED),
        APIKLEY_FAILED,
    ):
        task = parse_callback("apikley", payload)
        assert task.id == "bd3a37c523149e4adf45a3ddb5faf1a8"
        assert task.state is TaskState.FAILED
        assert (task.error_code, task.error_message) == ("500", "Internal server error")
        assert task.completed_at is not None and task.completed_at.year == 2025


def test_crun_callback_bare_and_wrapped_give_the_same_task() -> None:
    bare = parse_callback("crun", CRUN_BARE)
    wrapped = parse_callback("crun", {"code": 200, "message": "success", "data": CRUN_BARE})
    assert bare == wrapped
    assert bare.state is TaskState.SUCCEEDED
    assert bare.video_url == "https://resource.crun.ai/t.mp4"


@pytest.mark.parametrize(
    ("provider", "payload"),
    [
        ("crun", b"\xff\xfe not json"),
        ("crun", "[]"),
        ("crun", {"status": "success"}),
        ("apikley", {"code": 200, "msg": "ok"}),
        ("apikley", {"code": 200, "data": {"taskId": "x", "state": 3}}),
        ("apikley", "<html></html>"),
    ],
)
def test_malformed_callbacks_are_typed_errors(provider: str, payload: object) -> None:
    with pytest.raises(UnexpectedResponseError):
        parse_callback(provider, payload)


def test_unknown_provider_is_rejected_by_name() -> None:
    with pytest.raises(InvalidRequestError, match="provider"):
        parse_callback("kie", APIKLEY_FAILED)


def test_valid_signature_passes() -> None:
    headers = signed_headers(APIKLEY_FAILED["data"]["taskId"], NOW)  # type: ignore[index]
    verify_callback_signature(json.dumps(APIKLEY_FAILED), headers, WEBHOOK_KEY, now=NOW + 5)


def test_header_names_are_case_insensitive_and_key_may_be_bytes() -> None:
    headers = {
        k.lower(): v for k, v in signed_headers("bd3a37c523149e4adf45a3ddb5faf1a8", NOW).items()
    }
    verify_callback_signature(APIKLEY_FAILED, headers, WEBHOOK_KEY.encode(), now=NOW)


def test_tampered_task_id_fails() -> None:
    headers = signed_headers("bd3a37c523149e4adf45a3ddb5faf1a8", NOW)
    forged = {**APIKLEY_FAILED, "data": {**APIKLEY_FAILED["data"], "taskId": "someone-else"}}  # type: ignore[dict-item]
    with pytest.raises(InvalidSignatureError, match="does not match"):
        verify_callback_signature(forged, headers, WEBHOOK_KEY, now=NOW)


def test_tampered_signature_timestamp_or_key_fails() -> None:
    good = signed_headers("bd3a37c523149e4adf45a3ddb5faf1a8", NOW)
    flipped = good["X-Webhook-Signature"][:-2] + (
        "A=" if good["X-Webhook-Signature"][-2] != "A" else "B="
    )
    cases = [
        {**good, "X-Webhook-Signature": flipped},
        {**good, "X-Webhook-Timestamp": str(NOW + 1)},
        signed_headers("bd3a37c523149e4adf45a3ddb5faf1a8", NOW, key="another-key"),
        {**good, "X-Webhook-Signature": "ünïcode"},
    ]
    for headers in cases:
        with pytest.raises(InvalidSignatureError):
            verify_callback_signature(APIKLEY_FAILED, headers, WEBHOOK_KEY, now=NOW)


def test_replayed_callback_outside_the_window_fails() -> None:
    headers = signed_headers("bd3a37c523149e4adf45a3ddb5faf1a8", NOW)
    verify_callback_signature(APIKLEY_FAILED, headers, WEBHOOK_KEY, now=NOW + 300)
    with pytest.raises(InvalidSignatureError, match="window"):
        verify_callback_signature(APIKLEY_FAILED, headers, WEBHOOK_KEY, now=NOW + 301)
    with pytest.raises(InvalidSignatureError, match="window"):
        verify_callback_signature(APIKLEY_FAILED, headers, WEBHOOK_KEY, now=NOW - 301)
    with pytest.raises(InvalidSignatureError, match="window"):
        verify_callback_signature(APIKLEY_FAILED, headers, WEBHOOK_KEY, tolerance=10, now=NOW + 11)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Webhook-Timestamp": str(NOW)},
        {"X-Webhook-Signature": "abc", "X-Webhook-Timestamp": "noon"},
    ],
)
def test_missing_or_malformed_headers_fail(headers: dict[str, str]) -> None:
    with pytest.raises(InvalidSignatureError):
        verify_callback_signature(APIKLEY_FAILED, headers, WEBHOOK_KEY, now=NOW)


def test_signature_errors_never_show_the_key() -> None:
    with pytest.raises(InvalidSignatureError) as caught:
        verify_callback_signature(
            APIKLEY_FAILED, {"X-Webhook-Signature": "x", "X-Webhook-Timestamp": "1"}, WEBHOOK_KEY
        )
    assert WEBHOOK_KEY not in str(caught.value) and WEBHOOK_KEY not in repr(caught.value)
