"""What the overlay tests share: operation names per provider, clients on the mock."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from kling_avatar import (
    AsyncAvatarClient,
    AuthenticationError,
    AvatarClient,
    AvatarError,
    EndpointNotFoundError,
    FeatureDisabledError,
    GenerationFailedError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    as_provider,
)
from kling_avatar.testing import MockServer

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
PORTRAIT = MEDIA / "portrait.png"
VOICE = MEDIA / "voice.wav"

# The spec's operationIds, which the mock counts calls by.
OPS: dict[str, dict[str, str]] = {
    "crun": {"create": "createTask", "get": "getTaskInfo", "credits": "getBalance"},
    "apikley": {
        "create": "kling-ai-avatar-v1-pro",
        "get": "getTaskDetails",
        "credits": "getCredits",
    },
}

# Each documented code and the class it must raise, told by the HTTP status or the body `code`
# alike (restated here, not imported: the tests check the mapping, not repeat it).
CODES: dict[int, type[AvatarError]] = {
    401: AuthenticationError,
    402: InsufficientCreditsError,
    404: NotFoundError,
    422: InvalidRequestError,
    429: RateLimitError,
    455: ServiceUnavailableError,
    500: ServerError,
    501: GenerationFailedError,
    503: ServiceUnavailableError,
    505: FeatureDisabledError,
}

# As an HTTP status, 404 is the one code that means something else: nothing at that address
# (a missing task is HTTP 200 with code 404 in the body).
HTTP_STATUSES: dict[int, type[AvatarError]] = {**CODES, 404: EndpointNotFoundError}

# Small pauses so that retries and polls cost milliseconds, not seconds.
FAST: dict[str, Any] = {"retry_delay": 0.01, "poll_interval": 0.01, "timeout": 10.0}


def key_of(mock: MockServer, provider: str) -> str:
    return mock.keys[as_provider(provider)]


def make_client(mock: MockServer, provider: str, **kwargs: Any) -> AvatarClient:
    options = {**FAST, "api_key": key_of(mock, provider), "base_url": mock.base_url, **kwargs}
    return AvatarClient(as_provider(provider), **options)


def make_async_client(mock: MockServer, provider: str, **kwargs: Any) -> AsyncAvatarClient:
    options = {**FAST, "api_key": key_of(mock, provider), "base_url": mock.base_url, **kwargs}
    return AsyncAvatarClient(as_provider(provider), **options)


class MediaUrls(TypedDict):
    image_url: str
    audio_url: str


def media_urls(mock: MockServer) -> MediaUrls:
    """URLs of media the mock serves itself, as create_task expects them."""
    return {
        "image_url": f"{mock.base_url}/media/portrait.png",
        "audio_url": f"{mock.base_url}/media/voice.wav",
    }


class Calls:
    """`mock.calls(op)` counted from when this object was made (the mock lives all session)."""

    def __init__(self, mock: MockServer) -> None:
        self._mock = mock
        self._start = {op: mock.calls(op) for ops in OPS.values() for op in ops.values()}
        for op in ("getUploadUrl", "uploadFileStream"):
            self._start[op] = mock.calls(op)

    def __call__(self, op: str) -> int:
        return self._mock.calls(op) - self._start.get(op, 0)
