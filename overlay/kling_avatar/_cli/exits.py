"""The command's exit statuses: one per error class, and what each one means."""

from __future__ import annotations

from kling_avatar import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    AvatarError,
    EndpointNotFoundError,
    FeatureDisabledError,
    GenerationFailedError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    NotSupportedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    UnexpectedResponseError,
    WaitTimeoutError,
)

__all__ = [
    "EXIT_DOWNLOAD",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_STATUSES",
    "EXIT_UNEXPECTED",
    "EXIT_USAGE",
    "meanings",
    "status_of",
]

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_DOWNLOAD = 17
EXIT_INTERRUPTED = 130

# One status per error class, so a script can tell "top up the account" from "try again later"
# without parsing text. An error is mapped through its class's MRO, so a subclass the client
# adds later still lands on its nearest documented ancestor.
EXIT_STATUSES: dict[type[AvatarError], int] = {
    AuthenticationError: 3,
    InsufficientCreditsError: 4,
    NotFoundError: 5,
    InvalidRequestError: 6,
    RateLimitError: 7,
    ServiceUnavailableError: 8,
    ServerError: 9,
    GenerationFailedError: 10,
    FeatureDisabledError: 11,
    APIConnectionError: 12,
    APITimeoutError: 13,
    WaitTimeoutError: 14,
    UnexpectedResponseError: 15,
    EndpointNotFoundError: 18,
    NotSupportedError: 19,
    AvatarError: 16,
}

_MEANINGS = {
    AuthenticationError: "no API key, or a wrong one",
    InsufficientCreditsError: "not enough credits",
    NotFoundError: "no such task",
    InvalidRequestError: "input rejected (by the provider or before sending)",
    RateLimitError: "too many requests; try again later",
    ServiceUnavailableError: "provider unavailable or under maintenance",
    ServerError: "provider-side error",
    GenerationFailedError: "the task ended failed",
    FeatureDisabledError: "feature disabled for this account",
    APIConnectionError: "could not reach the provider",
    APITimeoutError: "the provider did not answer in time",
    WaitTimeoutError: "the task did not finish within --timeout",
    UnexpectedResponseError: "the provider answered something undocumented",
    EndpointNotFoundError: "HTTP 404: nothing at that address; check --base-url",
    NotSupportedError: "the provider has no such operation (cancel, credits)",
    AvatarError: "any other client error",
}


def meanings() -> dict[int, str]:
    """Every status the command exits with, and what it means (for --help)."""
    texts = {
        EXIT_OK: "success",
        EXIT_UNEXPECTED: "unexpected error (a bug: rerun with --debug and report it)",
        EXIT_USAGE: "bad arguments (usage)",
        EXIT_DOWNLOAD: "--output: the video could not be downloaded or saved",
        EXIT_INTERRUPTED: "interrupted (Ctrl-C); a task already created keeps running",
    }
    texts.update(
        {status: f"{cls.__name__}: {_MEANINGS[cls]}" for cls, status in EXIT_STATUSES.items()}
    )
    return texts


def status_of(exc: AvatarError) -> int:
    for cls in type(exc).__mro__:
        if cls in EXIT_STATUSES:
            return EXIT_STATUSES[cls]
    return EXIT_STATUSES[AvatarError]
