"""A typed client for the Kling Avatar video API at crun.ai and Apikley, sync and async."""

from ._async_client import AsyncAvatarClient
from ._callbacks import parse_callback, verify_callback_signature
from ._client import AvatarClient
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    AvatarError,
    DownloadError,
    FeatureDisabledError,
    GenerationFailedError,
    InsufficientCreditsError,
    InvalidRequestError,
    InvalidSignatureError,
    NotFoundError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    ServiceUnavailableError,
    UnexpectedResponseError,
    WaitTimeoutError,
)
from ._models import Provider, RawTask, Task, TaskState
from ._ratelimit import MemoryRateLimitStore, RateLimit, RateLimiterError, RedisRateLimitStore
from ._receiver import Receiver
from ._router import (
    AsyncAvatarRouter,
    AvatarRouter,
    DeadlineExceededError,
    NoProviderError,
    RouteEvent,
)
from ._seen import MemorySeenStore, RedisSeenStore, SeenStore
from ._uploads import MAX_UPLOAD_BYTES

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
    "DeadlineExceededError",
    "DownloadError",
    "FeatureDisabledError",
    "GenerationFailedError",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "InvalidSignatureError",
    "MemoryRateLimitStore",
    "MemorySeenStore",
    "NoProviderError",
    "NotFoundError",
    "Provider",
    "RateLimit",
    "RateLimitError",
    "RateLimiterError",
    "RawTask",
    "Receiver",
    "RedisRateLimitStore",
    "RedisSeenStore",
    "ResponseTooLargeError",
    "RouteEvent",
    "SeenStore",
    "ServerError",
    "ServiceUnavailableError",
    "Task",
    "TaskState",
    "UnexpectedResponseError",
    "WaitTimeoutError",
    "parse_callback",
    "verify_callback_signature",
]
