"""The providers' documented creation limits, enforced on demand (off unless asked).

kie.ai (whose API Apikley clones) documents about 20 new generation requests per 10 s per
account, and says requests over the limit are rejected, not queued; crun publishes none. A
client's own limiter and router are tested against this one.
"""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from collections.abc import Mapping

import attrs

from .._registry import PROVIDERS, Provider


@attrs.frozen
class Limit:
    """At most ``creations`` tasks created per account in any window of ``window`` seconds."""

    creations: int
    window: float

    @classmethod
    def of(cls, provider: str, value: tuple[int, float]) -> Limit:
        if provider not in PROVIDERS:
            raise ValueError(f"rate limit for unknown provider {provider!r}")
        try:
            creations, window = value
        except (TypeError, ValueError):
            raise ValueError("a rate limit is (max creations, window seconds)") from None
        if isinstance(creations, bool) or not isinstance(creations, int) or creations < 1:
            raise ValueError("a rate limit allows at least 1 creation")
        if isinstance(window, bool) or not isinstance(window, int | float):
            raise ValueError("a rate limit's window is a number of seconds")
        if not (math.isfinite(window) and window > 0):
            raise ValueError("a rate limit's window is a finite number of seconds > 0")
        return cls(creations, float(window))


def parse_rate_limit(text: str) -> tuple[str, tuple[int, float]]:
    """The command line's form: ``PROVIDER=CREATIONS/SECONDS``, e.g. ``apikley=20/10``."""
    match = re.fullmatch(r"\s*(\w+)\s*=\s*(\d+)\s*/\s*([0-9.]+)\s*", text)
    if match is None:
        raise ValueError(
            f"{text!r} is not PROVIDER=CREATIONS/SECONDS, PROVIDER one of {', '.join(PROVIDERS)}"
        )
    provider, creations, window = match.group(1), int(match.group(2)), float(match.group(3))
    limit = Limit.of(provider, (creations, window))
    return provider, (limit.creations, limit.window)


class RateLimiter:
    """A sliding window of creation times per (provider, account key).

    Times come from the mock's own clock, so ``MockServer.advance`` moves the window too.
    """

    def __init__(self, limits: Mapping[str, tuple[int, float]] | None) -> None:
        self.limits: dict[str, Limit] = {
            provider: Limit.of(provider, value) for provider, value in (limits or {}).items()
        }
        self._lock = threading.Lock()
        self._times: dict[tuple[str, str], deque[float]] = {}

    def admit(self, provider: Provider, account: str, now: float) -> float | None:
        """Count one creation now and return None, or return the seconds until one is allowed.

        A rejected creation is not counted: kie.ai rejects, it does not queue.
        """
        limit = self.limits.get(provider)
        if limit is None:
            return None
        with self._lock:
            times = self._times.setdefault((provider, account), deque())
            while times and times[0] <= now - limit.window:
                times.popleft()
            if len(times) >= limit.creations:
                return times[0] + limit.window - now
            times.append(now)
            return None

    def refund(self, provider: Provider, account: str, now: float) -> None:
        """Take back the creation counted at ``now`` (it did not create a task after all)."""
        with self._lock:
            times = self._times.get((provider, account))
            if times and times[-1] == now:
                times.pop()


class RateLimited(Exception):
    """Raised by a creation handler over the limit; answered as HTTP 429 with Retry-After."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited for {wait:.3f} s")
        self.wait = wait

    @property
    def retry_after(self) -> str:
        # Whole seconds (RFC 9110 delta-seconds), rounded up so a client that waits it is let in.
        return str(max(1, math.ceil(self.wait)))
