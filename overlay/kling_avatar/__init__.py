"""A typed client for the Kling Avatar video API at crun.ai and Apikley, sync and async."""

from ._async_client import AsyncAvatarClient
from ._callbacks import parse_callback, verify_callback_signature
from ._client import AvatarClient
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    AvatarError,
    FeatureDisabledError,
    GenerationFailedError,
    InsufficientCreditsError,
    InvalidRequestError,
    InvalidSignatureError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    UnexpectedResponseError,
    WaitTimeoutError,
)
from ._models import Provider, RawTask, Task, TaskState
from ._receiver import Receiver
from ._seen import MemorySeenStore, RedisSeenStore, SeenStore
from ._uploads import MAX_UPLOAD_BYTES

__all__ = [
    "MAX_UPLOAD_BYTES",
    "APIConnectionError",
    "APITimeoutError",
    "AsyncAvatarClient",
    "AuthenticationError",
    "AvatarClient",
    "AvatarError",
    "FeatureDisabledError",
    "GenerationFailedError",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "InvalidSignatureError",
    "MemorySeenStore",
    "NotFoundError",
    "Provider",
    "RateLimitError",
    "RawTask",
    "Receiver",
    "RedisSeenStore",
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
