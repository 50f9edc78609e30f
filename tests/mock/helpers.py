"""Requests both providers accept, and the headers that carry each provider's key."""

from __future__ import annotations

from typing import Any

from kling_avatar.testing import MockServer

CRUN_CREATE = "/api/v1/client/job/CreateTask"
CRUN_INFO = "/api/v1/client/job/TaskInfo"
CRUN_ESTIMATE = "/api/v1/client/job/EstimateTask"
CRUN_BALANCE = "/api/v1/client/account/balance"
CRUN_UPLOAD_URL = "/api/v1/client/files/upload-url"
APIKLEY_CREATE = "/api/v1/jobs/createTask"
APIKLEY_RECORD = "/api/v1/jobs/recordInfo"
APIKLEY_CREDIT = "/api/v1/chat/credit"
APIKLEY_DOWNLOAD = "/api/v1/common/download-url"
APIKLEY_STREAM = "/file-upload/api/file-stream-upload"
APIKLEY_BASE64 = "/file-upload/api/file-base64-upload"
APIKLEY_URL = "/file-upload/api/file-url-upload"


def crun_headers(mock: MockServer) -> dict[str, str]:
    return {"x-api-key": mock.crun_key}


def apikley_headers(mock: MockServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {mock.apikley_key}"}


def crun_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "kling/avatar",
        "input": {
            "mode": "pro",
            "image_url": "https://example.com/face.png",
            "audio_url": "https://example.com/voice.mp3",
            "prompt": "smile",
        },
        **extra,
    }


def apikley_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "kling/ai-avatar-v1-pro",
        "input": {
            "image_url": "https://example.com/face.png",
            "audio_url": "https://example.com/voice.mp3",
            "prompt": "",
        },
        **extra,
    }
