"""The pure retry rules: Retry-After parsing, backoff growth, what may be retried."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from kling_avatar import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    AvatarError,
    GenerationFailedError,
    InvalidRequestError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from kling_avatar._retry import Backoff, is_retryable, parse_retry_after

NOW = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2", 2.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2026 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2026 07:27:00 GMT", 0.0),  # in the past: retry now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds_and_http_dates(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_backoff_grows_is_capped_and_jittered_downwards() -> None:
    backoff = Backoff(0.5, factor=2.0, maximum=4.0, jitter=0.25)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0)]:
        delays = {backoff.delay(attempt) for _ in range(50)}
        assert all(0.75 * ceiling <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered, so clients do not retry in step


@pytest.mark.parametrize(
    ("error", "read", "create"),
    [
        (RateLimitError("x"), True, False),
        (ServiceUnavailableError("x"), True, False),
        (ServerError("x"), True, False),
        (APIConnectionError("x", request_sent=True), True, False),
        (APITimeoutError("x", request_sent=True), True, False),
        (APIConnectionError("x", request_sent=False), True, True),
        (APITimeoutError("x", request_sent=False), True, True),
        (AuthenticationError("x"), False, False),
        (InvalidRequestError("x"), False, False),
        (GenerationFailedError("x"), False, False),
        (UnexpectedResponseError("x"), False, False),
    ],
)
def test_reads_retry_transient_errors_creations_only_unsent_ones(
    error: AvatarError, read: bool, create: bool
) -> None:
    assert is_retryable(error, idempotent=True) is read
    assert is_retryable(error, idempotent=False) is create
