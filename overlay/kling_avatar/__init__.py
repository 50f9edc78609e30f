"""A typed client for the Kling Avatar video API at crun.ai and Apikley, sync and async.

Names load on first use (PEP 562): the sync command line never imports asyncio, and a
provider's generated client is imported only when a client for that provider is made.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._async_client import AsyncAvatarClient
    from ._bus import RedisWakeBus, WakeBus
    from ._callbacks import (
        parse_callback,
        verify_callback_signature,
        verify_published_signature,
    )
    from ._client import AvatarClient
    from ._exceptions import (
        APIConnectionError,
        APITimeoutError,
        AuthenticationError,
        AvatarError,
        DownloadError,
        EndpointNotFoundError,
        FeatureDisabledError,
        GenerationFailedError,
        InsufficientCreditsError,
        InvalidRequestError,
        InvalidSignatureError,
        NotFoundError,
        NotSupportedError,
        RateLimitError,
        ResponseTooLargeError,
        ServerError,
        ServiceUnavailableError,
        UnexpectedResponseError,
        WaitTimeoutError,
    )
    from ._http_guard import uvicorn_limits
    from ._models import Provider, RawTask, Task, TaskState
    from ._providers import as_provider
    from ._ratelimit import MemoryRateLimitStore, RateLimit, RateLimiterError, RedisRateLimitStore
    from ._receiver import CallbackUrl, Receiver, TaskNotKnownYet
    from ._router import (
        AsyncAvatarRouter,
        AvatarRouter,
        DeadlineExceededError,
        NoProviderError,
        RouteEvent,
        TaskCreatedError,
    )
    from ._seen import MemorySeenStore, RedisSeenStore, SeenStore
    from ._uploads import MAX_UPLOAD_BYTES

from ._version import __version__

__all__ = [
    "MAX_UPLOAD_BYTES",
    "APIConnectionError",
    "APITimeoutError",
    "AsyncAvatarClient",
    "AsyncAvatarRouter",
    "AuthenticationError",
    "AvatarClient",
    "AvatarError",
    "AvatarRouter",
    "CallbackUrl",
    "DeadlineExceededError",
    "DownloadError",
    "EndpointNotFoundError",
    "FeatureDisabledError",
    "GenerationFailedError",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "InvalidSignatureError",
    "MemoryRateLimitStore",
    "MemorySeenStore",
    "NoProviderError",
    "NotFoundError",
    "NotSupportedError",
    "Provider",
    "RateLimit",
    "RateLimitError",
    "RateLimiterError",
    "RawTask",
    "Receiver",
    "RedisRateLimitStore",
    "RedisSeenStore",
    "RedisWakeBus",
    "ResponseTooLargeError",
    "RouteEvent",
    "SeenStore",
    "ServerError",
    "ServiceUnavailableError",
    "Task",
    "TaskCreatedError",
    "TaskNotKnownYet",
    "TaskState",
    "UnexpectedResponseError",
    "WaitTimeoutError",
    "WakeBus",
    "__version__",
    "as_provider",
    "parse_callback",
    "uvicorn_limits",
    "verify_callback_signature",
    "verify_published_signature",
]

# Where each public name lives; everything not listed comes from `_exceptions`.
_HOMES = {
    "AsyncAvatarClient": "_async_client",
    "AvatarClient": "_client",
    "parse_callback": "_callbacks",
    "verify_callback_signature": "_callbacks",
    "verify_published_signature": "_callbacks",
    "Provider": "_models",
    "as_provider": "_providers",
    "RawTask": "_models",
    "Task": "_models",
    "TaskState": "_models",
    "MAX_UPLOAD_BYTES": "_uploads",
    "MemoryRateLimitStore": "_ratelimit",
    "RateLimit": "_ratelimit",
    "RateLimiterError": "_ratelimit",
    "RedisRateLimitStore": "_ratelimit",
    "AsyncAvatarRouter": "_router",
    "AvatarRouter": "_router",
    "DeadlineExceededError": "_router",
    "NoProviderError": "_router",
    "RouteEvent": "_router",
    "TaskCreatedError": "_router",
    "CallbackUrl": "_receiver",
    "Receiver": "_receiver",
    "RedisWakeBus": "_bus",
    "WakeBus": "_bus",
    "TaskNotKnownYet": "_receiver",
    "uvicorn_limits": "_http_guard",
    "MemorySeenStore": "_seen",
    "RedisSeenStore": "_seen",
    "SeenStore": "_seen",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES.get(name, '_exceptions')}", __name__), name)
    globals()[name] = value  # the next lookup is a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
