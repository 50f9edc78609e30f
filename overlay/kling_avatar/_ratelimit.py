"""Client-side rate limits per provider account, so that a burst waits here instead of
collecting 429s there.

A sliding-window log: at most `requests` creations are let through in any `per` seconds. The
provider counts a request somewhere between its sending and its answer, so a slot's time is the
answer's: waiting a window after the answer can never be too early by the provider's clock,
however long the request took on the way. Until the answer comes back, the slot counts as taken
at every moment (it is stored `LEASE` seconds ahead, and moved back to the answer's time by
`release`), so that nobody, in this process or another, is let through on the strength of a
request still in flight; a process that dies mid-request holds its slot for `LEASE` at most.

Two stores: `MemoryRateLimitStore` (the default; one process) and `RedisRateLimitStore` (the
``redis`` extra; every process and machine using one account shares one window). The Redis one
is a small Lua script on a sorted set that reads Redis's own clock, so machines whose clocks
disagree still share one window.
"""

from __future__ import annotations

import hashlib
import reprlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ._exceptions import AvatarError
from ._redact import cut

if TYPE_CHECKING:
    pass

__all__ = [
    "MemoryRateLimitStore",
    "RateLimit",
    "RateLimitStore",
    "RateLimiterError",
    "RedisRateLimitStore",
    "account_key",
    "checked_wait",
]


def _positive_int(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a positive integer, got {value!r}")


def _positive_number(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e7:
        raise ValueError(f"{attribute.name} must be a positive number of seconds, got {value!r}")


@attrs.frozen
class RateLimit:
    """At most `requests` task creations in any `per` seconds, per provider account."""

    requests: int = attrs.field(validator=_positive_int)
    per: float = attrs.field(validator=_positive_number, converter=float)


# Longer than any creation request may take (the clients' default timeout is 60 s).
LEASE = 120.0


class RateLimiterError(AvatarError):
    """The rate-limit store failed, or answered something that is not a slot or a wait, while
    a creation waited for its slot; no task was created. (After a creation the router never
    raises it: a failure to free the slot is logged, and the slot frees itself within LEASE.)"""


def account_key(provider: str, api_key: str) -> str:
    """The store's name for one provider account: a digest, so the key itself is never stored."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:24]
    return f"kling-avatar:ratelimit:{provider}:{digest}"


class RateLimitStore(Protocol):
    """Where the slots of each account live. `acquire` takes a slot named `token` and answers
    0, or answers the seconds until one may free up (taking nothing; at most a window, since a
    slot still in flight frees up no sooner than a window after its answer); `release` moves a
    slot taken earlier to now, the time the creation's answer came back."""

    def acquire(self, key: str, limit: RateLimit, token: str) -> float: ...

    def release(self, key: str, limit: RateLimit, token: str) -> None: ...

    async def acquire_async(self, key: str, limit: RateLimit, token: str) -> float: ...

    async def release_async(self, key: str, limit: RateLimit, token: str) -> None: ...


class MemoryRateLimitStore:
    """Slots in this process's memory, shared by every router (and thread) given this store."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: dict[str, dict[str, float]] = {}

    def __repr__(self) -> str:
        return "MemoryRateLimitStore()"

    def acquire(self, key: str, limit: RateLimit, token: str) -> float:
        with self._lock:
            now = self._clock()
            slots = self._slots.setdefault(key, {})
            for old in [t for t, at in slots.items() if at <= now - limit.per]:
                del slots[old]
            if len(slots) < limit.requests:
                slots[token] = now + LEASE  # in flight: taken at every moment until released
                return 0.0
            return min(max(min(slots.values()) + limit.per - now, 1e-3), limit.per)

    def release(self, key: str, limit: RateLimit, token: str) -> None:
        with self._lock:
            slots = self._slots.get(key, {})
            if token in slots:
                slots[token] = self._clock()

    async def acquire_async(self, key: str, limit: RateLimit, token: str) -> float:
        return self.acquire(key, limit, token)  # no I/O: a lock held for microseconds

    async def release_async(self, key: str, limit: RateLimit, token: str) -> None:
        self.release(key, limit, token)


# KEYS[1]: the account's sorted set (member: slot token, score: microseconds by Redis's clock,
# exact in a double until the year 2255). ARGV: requests, window and lease in microseconds,
# token. A slot in flight is stored a lease ahead. Answers 0 when the slot was taken, else the
# microseconds to wait (at most a window).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil((window + lease) / 500))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.min(window, math.max(1, tonumber(oldest[2]) + window - now))
"""

# Moves a slot in flight back to now, the time its answer came (XX: never re-adds one that has
# expired; needs Redis 3.0.2). ARGV: window and lease in microseconds, token.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(ARGV[1]) + tonumber(ARGV[2])) / 500))
return 0
"""


class RedisRateLimitStore:
    """Slots in Redis (redis-py, the ``redis`` extra), shared by every process and machine that
    uses one account. `url` is e.g. ``redis://127.0.0.1:6379/0``; the sync and asyncio
    connections are made on first use."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        try:
            import redis  # noqa: F401 - fail here, not on the first creation
        except ImportError as exc:
            raise RateLimiterError(
                "RedisRateLimitStore needs redis-py: pip install 'kling-avatar[redis]'"
            ) from exc
        self._url = url
        self._timeout = timeout
        self._sync: Any = None
        self._async: Any = None

    def __repr__(self) -> str:
        # The URL may carry a password.
        return "RedisRateLimitStore(...)"

    def _scripts(self) -> Any:
        if self._sync is None:
            import redis

            client = redis.Redis.from_url(
                self._url, socket_timeout=self._timeout, socket_connect_timeout=self._timeout
            )
            self._sync = (
                client,
                client.register_script(_ACQUIRE),
                client.register_script(_RELEASE),
            )
        return self._sync

    def _async_scripts(self) -> Any:
        if self._async is None:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(
                self._url, socket_timeout=self._timeout, socket_connect_timeout=self._timeout
            )
            self._async = (
                client,
                client.register_script(_ACQUIRE),
                client.register_script(_RELEASE),
            )
        return self._async

    def acquire(self, key: str, limit: RateLimit, token: str) -> float:
        try:
            answer = self._scripts()[1](keys=[key], args=_acquire_args(limit, token))
        except Exception as exc:  # every failure: see _failed
            raise _failed(exc) from exc
        return _wait_from(answer, limit)

    def release(self, key: str, limit: RateLimit, token: str) -> None:
        try:
            answer = self._scripts()[2](keys=[key], args=[_window_us(limit), _LEASE_US, token])
        except Exception as exc:  # every failure: see _failed
            raise _failed(exc) from exc
        _released(answer)

    async def acquire_async(self, key: str, limit: RateLimit, token: str) -> float:
        try:
            answer = await self._async_scripts()[1](keys=[key], args=_acquire_args(limit, token))
        except Exception as exc:  # every failure: see _failed
            raise _failed(exc) from exc
        return _wait_from(answer, limit)

    async def release_async(self, key: str, limit: RateLimit, token: str) -> None:
        try:
            answer = await self._async_scripts()[2](
                keys=[key], args=[_window_us(limit), _LEASE_US, token]
            )
        except Exception as exc:  # every failure: see _failed
            raise _failed(exc) from exc
        _released(answer)

    def close(self) -> None:
        """Closes the sync connection (the asyncio one with `aclose`)."""
        if self._sync is not None:
            self._sync[0].close()
            self._sync = None

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async[0].aclose()
            self._async = None


def _window_us(limit: RateLimit) -> int:
    return max(1, round(limit.per * 1e6))


_LEASE_US = round(LEASE * 1e6)


def _acquire_args(limit: RateLimit, token: str) -> list[int | str]:
    return [limit.requests, _window_us(limit), _LEASE_US, token]


def checked_wait(value: object, limit: RateLimit) -> float:
    """Any store's answer to `acquire`, checked: 0 (the slot is taken) or the seconds to wait,
    at most a window (the protocol's bound, so no wait is longer). Anything else (not a number,
    NaN, negative, more than a window) is RateLimiterError: no slot is taken on its strength,
    so no task was created."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= limit.per:
        raise _nonsense("acquire", value, f"0 or a wait of at most {limit.per:g} s")
    return float(value)


def _wait_from(answer: object, limit: RateLimit) -> float:
    # The script answers whole microseconds, 0 to a window (the window is rounded to them).
    if (
        isinstance(answer, int)
        and not isinstance(answer, bool)
        and 0 <= answer <= _window_us(limit)
    ):
        return checked_wait(min(answer / 1e6, limit.per), limit)
    raise _nonsense("acquire", answer, f"0 to {_window_us(limit)} microseconds")


def _released(answer: object) -> None:
    if not (isinstance(answer, int) and not isinstance(answer, bool) and answer == 0):
        raise _nonsense("release", answer, "0")


def _shown(value: object) -> str:
    """A store's answer in a message: short, whatever its size or depth."""
    shown = reprlib.Repr()  # keyword arguments only from Python 3.12
    shown.maxlevel, shown.maxlist, shown.maxstring, shown.maxother, shown.maxlong = 2, 4, 40, 40, 40
    try:
        return shown.repr(value)
    except ValueError:  # an int past Python's digit limit for str()
        return f"a {type(value).__name__} too long to show"


def _nonsense(call: str, value: object, expected: str) -> RateLimiterError:
    return RateLimiterError(
        f"the rate-limit store answered {_shown(value)} to {call}, not {expected}"
    )


def _failed(exc: Exception) -> RateLimiterError:
    # Not only RedisError: redis-py's parser lets ValueError (":abc"), TypeError and others out
    # of an answer that is not RESP, and a store call is one step whose failures are all alike.
    # redis-py's messages name host and port, never the password.
    import redis

    what = "is unreachable" if isinstance(exc, redis.ConnectionError) else "failed"
    return RateLimiterError(
        f"the rate-limit store {what}: {type(exc).__name__}: {cut(str(exc), 200)}"
    )
