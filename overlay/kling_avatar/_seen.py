"""What a callback receiver has already handled: in memory by default, Redis across processes.

A provider retries a delivery it thinks failed, and an attacker can replay one it captured; a
receiver claims each delivery's key here before handing it on, so the second one is refused.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from ._exceptions import AvatarError, InvalidRequestError

if TYPE_CHECKING:
    import redis

__all__ = ["MemorySeenStore", "RedisSeenStore", "SeenStore"]

DEFAULT_MAX_ENTRIES = 100_000


@runtime_checkable
class SeenStore(Protocol):
    """A set of keys, each kept for a time: the seen-set that refuses a second delivery.

    `add` must be atomic (two receivers claiming one key at once: exactly one gets True).
    `blocking` says whether its calls do I/O (a receiver then runs them off the event loop).
    """

    blocking: ClassVar[bool]

    def add(self, key: str, ttl: float) -> bool:
        """Claims `key` for `ttl` seconds: True if it was not there, False if it already was."""
        ...

    def discard(self, key: str) -> None:
        """Forgets `key` (a delivery whose handling failed may be handed on again)."""
        ...

    def __contains__(self, key: object) -> bool: ...


def _check_ttl(ttl: float) -> float:
    if not (isinstance(ttl, int | float) and not isinstance(ttl, bool) and ttl > 0):
        raise InvalidRequestError(f"ttl: must be a positive number, got {ttl!r:.40}", field="ttl")
    if not math.isfinite(ttl):
        raise InvalidRequestError("ttl: must be finite", field="ttl")
    return float(ttl)


class MemorySeenStore:
    """One process's seen-set, thread-safe and bounded: past `max_entries` the oldest go first
    (expired ones before any live one)."""

    blocking: ClassVar[bool] = False

    def __init__(
        self, *, max_entries: int = DEFAULT_MAX_ENTRIES, clock: Any = time.monotonic
    ) -> None:
        if not (isinstance(max_entries, int) and max_entries > 0):
            raise InvalidRequestError(
                "max_entries: must be a positive integer", field="max_entries"
            )
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def __repr__(self) -> str:
        return f"MemorySeenStore(entries={len(self._expiry)}, max_entries={self._max})"

    def add(self, key: str, ttl: float) -> bool:
        ttl = _check_ttl(ttl)
        now = self._clock()
        with self._lock:
            expiry = self._expiry.get(key)
            if expiry is not None and expiry > now:
                return False
            self._expiry.pop(key, None)
            if len(self._expiry) >= self._max:
                for old in [k for k, e in self._expiry.items() if e <= now]:
                    del self._expiry[old]
                while len(self._expiry) >= self._max:
                    self._expiry.popitem(last=False)
            self._expiry[key] = now + ttl
            return True

    def discard(self, key: str) -> None:
        with self._lock:
            self._expiry.pop(key, None)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            expiry = self._expiry.get(key) if isinstance(key, str) else None
            return expiry is not None and expiry > self._clock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)


class RedisSeenStore:
    """A seen-set in Redis, shared by every process and machine that uses the same server and
    prefix: `SET key 1 NX PX ttl`, so a claim is atomic and expires by itself.

    Needs the `redis` extra (`pip install "kling-avatar[redis]"`). Pass a URL
    (``redis://host:6379/0``) or a ready `redis.Redis` client. Redis failures raise AvatarError.
    """

    blocking: ClassVar[bool] = True

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        prefix: str = "kling-avatar:seen:",
        timeout: float = 5.0,
    ) -> None:
        if (url is None) == (client is None):
            raise InvalidRequestError("pass exactly one of url= or client=", field="url")
        if client is None:
            try:
                import redis as redis_module
            except ImportError:
                raise AvatarError(
                    'RedisSeenStore needs redis-py: pip install "kling-avatar[redis]"'
                ) from None
            client = redis_module.Redis.from_url(
                str(url), socket_timeout=timeout, socket_connect_timeout=timeout
            )
        self._client = client
        self._prefix = prefix

    def __repr__(self) -> str:
        # The URL may carry a password: never shown.
        return f"RedisSeenStore(prefix={self._prefix!r})"

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import redis as redis_module

        try:
            return getattr(self._client, method)(*args, **kwargs)
        except redis_module.RedisError as exc:
            raise AvatarError(f"the Redis seen-store failed: {type(exc).__name__}") from None
        except Exception as exc:  # redis-py's parser lets ValueError (":abc") and others out
            raise AvatarError(
                f"the Redis seen-store answered something unreadable: {type(exc).__name__}"
            ) from None

    def add(self, key: str, ttl: float) -> bool:
        millis = max(1, math.ceil(_check_ttl(ttl) * 1000))
        # redis-py reads SET's +OK as True and its nil (NX: the key is there) as None; any
        # other answer is not a claim, nor a proof of a duplicate.
        answer = self._call("set", self._prefix + key, b"1", nx=True, px=millis)
        if answer is True or answer is None:
            return answer is True
        raise _nonsense("SET", answer)

    def discard(self, key: str) -> None:
        _count(self._call("delete", self._prefix + key), "DEL")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and _count(self._call("exists", self._prefix + key), "EXISTS")

    def close(self) -> None:
        self._client.close()


def _count(answer: object, command: str) -> bool:
    # DEL and EXISTS of one key answer how many keys there were: 0 or 1.
    if isinstance(answer, int) and not isinstance(answer, bool) and answer in (0, 1):
        return answer == 1
    raise _nonsense(command, answer)


def _nonsense(command: str, answer: object) -> AvatarError:
    return AvatarError(
        f"the Redis seen-store answered {command} with a {type(answer).__name__}, not what"
        " Redis answers"
    )
