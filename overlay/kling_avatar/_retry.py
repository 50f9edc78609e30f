"""When to try again and how long to wait first: pure decisions, shared by both clients."""

from __future__ import annotations

import email.utils
import logging
import random
from datetime import UTC, datetime

import attrs

from ._exceptions import TRANSIENT, APIConnectionError, AvatarError

logger = logging.getLogger("kling_avatar")

# A provider asking for a longer pause than this is not waited out silently: the error goes to
# the caller, whose `retry_after` says how long.
MAX_RETRY_AFTER = 60.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@attrs.frozen
class Backoff:
    """Exponential backoff with jitter: `initial * factor**n`, capped, then up to `jitter` of it
    taken off at random so that many clients do not retry in step."""

    initial: float
    factor: float = 2.0
    maximum: float = 8.0
    jitter: float = 0.25

    def delay(self, attempt: int) -> float:
        base = min(max(self.maximum, self.initial), self.initial * self.factor**attempt)
        return base * (1.0 - self.jitter * random.random())  # noqa: S311 - not cryptographic


def is_retryable(error: AvatarError, *, idempotent: bool) -> bool:
    """Reads retry every transient error; a creation only one that provably never left."""
    if idempotent:
        return isinstance(error, TRANSIENT)
    return isinstance(error, APIConnectionError) and not error.request_sent


@attrs.define
class Retrier:
    """Counts the attempts of one call and says how long to sleep before the next."""

    operation: str
    max_retries: int
    backoff: Backoff
    idempotent: bool
    attempt: int = 0

    def delay_after(self, error: AvatarError) -> float:
        """The pause before retrying after `error`; raises `error` when it must not be retried."""
        if self.attempt >= self.max_retries or not is_retryable(error, idempotent=self.idempotent):
            raise error
        if error.retry_after is not None and error.retry_after > MAX_RETRY_AFTER:
            raise error
        delay = self.backoff.delay(self.attempt) if error.retry_after is None else error.retry_after
        self.attempt += 1
        logger.info(
            "retrying %s in %.2fs (retry %d of %d) after: %s",
            self.operation,
            delay,
            self.attempt,
            self.max_retries,
            error,
        )
        return delay
