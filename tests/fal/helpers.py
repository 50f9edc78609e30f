"""What the fal tests share: the key, clients of a mock, the mock's operation names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kling_avatar import AsyncAvatarClient, AvatarClient
from kling_avatar.testing import MockServer

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
PORTRAIT = MEDIA / "portrait.png"
VOICE = MEDIA / "voice.wav"

# fal's key shape, `<key_id>:<key_secret>`; nobody prints it by accident.
KEY = "5f3c2b1a-0000-4000-8000-0123456789ab:falSECRETfalSECRETfalSECRET00000"
FAST: dict[str, Any] = {"retry_delay": 0.01, "poll_interval": 0.01, "timeout": 10.0}

# The spec's operationIds, which the mock counts calls by.
SUBMIT = {
    ("v2", "std"): "submitAvatarV2Standard",
    ("v2", "pro"): "submitAvatarV2Pro",
    ("v1", "std"): "submitAvatarV1Standard",
    ("v1", "pro"): "submitAvatarV1Pro",
}
STATUS, RESULT, CANCEL = "getRequestStatus", "getRequestResult", "cancelRequest"
INITIATE, KEYS = "initiateUpload", "getWebhookKeys"


def client(mock: MockServer, **options: Any) -> AvatarClient:
    return AvatarClient("fal", api_key=KEY, base_url=mock.base_url, **{**FAST, **options})


def async_client(mock: MockServer, **options: Any) -> AsyncAvatarClient:
    return AsyncAvatarClient("fal", api_key=KEY, base_url=mock.base_url, **{**FAST, **options})


def submits(mock: MockServer) -> int:
    return sum(mock.calls(op) for op in SUBMIT.values())
