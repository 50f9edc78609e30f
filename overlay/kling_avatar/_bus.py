"""The wake bus: how a callback received by one process wakes a waiter in another.

A transport of opaque, bounded messages between the processes of one service; what a message
says and who may say it is `_wakes`' business. `RedisWakeBus` carries them on a Redis stream:
every listening process reads every message (no consumer groups: a wake is for whoever waits),
and a listener that lost its connection resumes from the last message it read, so a short
outage delays wakes instead of losing them. The stream is capped, so Redis holds a bounded
backlog however long the service runs.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from ._exceptions import AvatarError, InvalidRequestError
from ._inputs import positive_int, positive_seconds

if TYPE_CHECKING:
    import redis

__all__ = ["MAX_MESSAGE", "RedisWakeBus", "Subscription", "WakeBus"]

logger = logging.getLogger("kling_avatar.bus")

MAX_MESSAGE = 16 * 1024  # a sealed finished task is well under 2 KB; anything longer is refused
DEFAULT_STREAM = "kling-avatar:wakes"
DEFAULT_MAX_LEN = 10_000  # messages kept; a listener more than this far behind only polls
_BATCH = 256  # messages per read
_BLOCK = 1.0  # seconds one read waits for news; `close` ends it sooner (CLIENT UNBLOCK)
# A new listener starts this far back on Redis's clock, so a message published between the
# waiter's first watch and the listener's first read still wakes it.
_CATCH_UP_MS = 10_000
_ENTRY_ID = re.compile(rb"\A[0-9]{1,20}-[0-9]{1,20}\Z")
_RETRY_FIRST, _RETRY_MOST = 0.1, 5.0  # seconds between reconnection attempts, doubling


@runtime_checkable
class Subscription(Protocol):
    def close(self) -> None:
        """Stops delivering; returns at once, or within about a second."""
        ...


@runtime_checkable
class WakeBus(Protocol):
    """Messages from any process to every listening process of the same service.

    `publish` may lose a message (the waiter's fallback polling covers it) but must not block
    for long; `blocking` says whether it does I/O (a receiver then runs it off the event loop).
    `subscribe` calls `deliver` with each message published from then on, on a thread of the
    bus's own, until the subscription is closed. A message is at most `MAX_MESSAGE` bytes, and
    nothing read from the bus is trusted: `deliver` checks it.
    """

    blocking: ClassVar[bool]

    def publish(self, message: bytes) -> None: ...

    def subscribe(self, deliver: Callable[[bytes], None]) -> Subscription: ...


class RedisWakeBus:
    """A wake bus on a Redis stream (`XADD` capped at `max_len`, `XREAD BLOCK`), shared by
    every process using the same server and `stream`.

    Needs the `redis` extra (`pip install "kling-avatar[redis]"`). Pass a URL
    (``redis://host:6379/0``) or a ready `redis.Redis` client (its socket timeout must exceed
    the one-second blocking read). Nothing connects until the first publish or subscription.
    """

    blocking: ClassVar[bool] = True

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        stream: str = DEFAULT_STREAM,
        max_len: int = DEFAULT_MAX_LEN,
        timeout: float = 5.0,
    ) -> None:
        if (url is None) == (client is None):
            raise InvalidRequestError("pass exactly one of url= or client=", field="url")
        if not (isinstance(stream, str) and 0 < len(stream) <= 200):
            raise InvalidRequestError("stream: a name of 1 to 200 characters", field="stream")
        self.max_len = positive_int("max_len", max_len)
        timeout = positive_seconds("timeout", timeout)
        if client is None:
            try:
                import redis as redis_module
            except ImportError:
                raise AvatarError(
                    'RedisWakeBus needs redis-py: pip install "kling-avatar[redis]"'
                ) from None
            client = redis_module.Redis.from_url(
                str(url), socket_timeout=timeout + _BLOCK, socket_connect_timeout=timeout
            )
        self._client = client
        self.stream = stream

    def __repr__(self) -> str:
        # The URL may carry a password: never shown.
        return f"RedisWakeBus(stream={self.stream!r})"

    def publish(self, message: bytes) -> None:
        if not isinstance(message, bytes) or len(message) > MAX_MESSAGE:
            raise InvalidRequestError(f"a wake message is bytes of at most {MAX_MESSAGE}")
        _call(
            self._client.xadd, self.stream, {b"m": message}, maxlen=self.max_len, approximate=True
        )

    def subscribe(self, deliver: Callable[[bytes], None]) -> Subscription:
        listener = _Listener(self._client, self.stream, deliver)
        listener.start()
        return listener

    def close(self) -> None:
        self._client.close()


def _call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    import redis as redis_module

    try:
        return method(*args, **kwargs)
    except redis_module.RedisError as exc:
        raise AvatarError(f"the Redis wake bus failed: {type(exc).__name__}") from None
    except Exception as exc:  # redis-py's parser lets ValueError and others out
        raise AvatarError(
            f"the Redis wake bus answered something unreadable: {type(exc).__name__}"
        ) from None


class _Listener:
    """One subscription: a daemon thread reading the stream until closed.

    It reads on a connection of its own (from the client's pool), whose Redis client id it
    keeps, so that `close` can end a blocked read at once with ``CLIENT UNBLOCK`` from another
    connection instead of waiting the read out. Where that is refused (an ACL without
    ``CLIENT``) or misses (the read was not blocked yet), the read ends by itself within
    `_BLOCK`."""

    def __init__(self, client: redis.Redis, stream: str, deliver: Callable[[bytes], None]) -> None:
        self._client = client
        self._stream = stream
        self._deliver = deliver
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"kling-wake-bus-{os.getpid()}", daemon=True
        )
        self._reader_id: int | None = None  # the reading connection's CLIENT ID, once known
        self.ignored = 0  # entries that were not a wake message (wrong shape or size)

    def __repr__(self) -> str:
        return f"_Listener(stream={self._stream!r}, alive={self._thread.is_alive()})"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is threading.current_thread():
            return
        deadline = time.monotonic() + _BLOCK + 1
        unblock = True
        while self._thread.is_alive() and time.monotonic() < deadline:
            # Again until the thread ends: an UNBLOCK that arrives just before the read it
            # meant to end is lost.
            unblock = unblock and self._unblock()
            self._thread.join(timeout=0.05 if unblock else deadline - time.monotonic())

    def _unblock(self) -> bool:
        """Ends the listener's blocked read, if any; False when the server refuses it.

        The id is read before each read, so it is the reading connection's, unless redis-py
        connected again during that read (after a Redis restart, when ids start over): at
        worst another client's blocking read then ends early, as at its timeout."""
        reader_id = self._reader_id
        if reader_id is None:
            return True
        try:
            _call(self._client.client_unblock, reader_id)
        except AvatarError:
            return False
        return True

    def _run(self) -> None:
        import redis as redis_module

        last: bytes | None = None
        failures = 0
        reader: redis.Redis | None = None
        try:
            while not self._stop.is_set():
                try:
                    if reader is None:
                        reader = _call(
                            redis_module.Redis,
                            connection_pool=self._client.connection_pool,
                            single_connection_client=True,
                        )
                    if last is None:
                        last = self._start_id()
                    # Asked before each read: a connection redis-py opened again has a new id.
                    self._reader_id = _client_id(reader)
                    if self._stop.is_set():
                        break
                    answer = _call(
                        reader.xread, {self._stream: last}, count=_BATCH, block=int(_BLOCK * 1000)
                    )
                except AvatarError as error:
                    if failures == 0:  # once per outage, not once per attempt
                        logger.warning(
                            "wake bus: %s; waiters fall back to polling meanwhile", error
                        )
                    self._reader_id = None
                    if reader is not None:
                        reader.close()
                        reader = None
                    self._stop.wait(min(_RETRY_MOST, _RETRY_FIRST * 2**failures))
                    failures = min(failures + 1, 16)
                    continue
                if failures:
                    logger.info("wake bus: reading again")
                    failures = 0
                for entry_id, message in self._entries(answer):
                    last = entry_id
                    if message is None:
                        self.ignored += 1
                        continue
                    try:
                        self._deliver(message)
                    except Exception:  # one bad delivery must not end the listening
                        logger.exception("wake bus: delivering a message failed")
        finally:
            self._reader_id = None
            if reader is not None:
                reader.close()

    def _start_id(self) -> bytes:
        answer = _call(self._client.time)
        if not (
            isinstance(answer, list | tuple)
            and len(answer) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in answer)
        ):
            raise AvatarError("the Redis wake bus answered TIME with something else")
        millis = max(0, answer[0] * 1000 + answer[1] // 1000 - _CATCH_UP_MS)
        return b"%d-0" % millis

    def _entries(self, answer: object) -> list[tuple[bytes, bytes | None]]:
        """(id, message or None) of each entry in an XREAD answer, in order; an answer of any
        other shape gives none (RESP2's list of [stream, entries], or RESP3's dict)."""
        if isinstance(answer, dict):
            streams: list[Any] = [list(item) for item in answer.items()]
        elif isinstance(answer, list):
            streams = answer
        else:
            return []
        out: list[tuple[bytes, bytes | None]] = []
        for stream in streams[:1]:  # one stream was asked for
            if not (isinstance(stream, list | tuple) and len(stream) == 2):
                return []
            entries = stream[1]
            if isinstance(entries, list | tuple) and len(entries) == 1 and _is_list(entries[0]):
                entries = entries[0]  # RESP3 nests the entries once more
            if not isinstance(entries, list | tuple):
                return []
            for entry in entries[:_BATCH]:
                if not (isinstance(entry, list | tuple) and len(entry) == 2):
                    continue
                entry_id, fields = entry
                if not (isinstance(entry_id, bytes) and _ENTRY_ID.match(entry_id)):
                    continue  # never resumed from: it could be anything
                message = fields.get(b"m") if isinstance(fields, dict) else None
                valid = isinstance(message, bytes) and len(message) <= MAX_MESSAGE
                out.append((entry_id, message if valid else None))
        return out


def _client_id(reader: redis.Redis) -> int | None:
    """The connection's CLIENT ID; None where it is refused (an ACL without ``CLIENT``) or
    answered with anything but an id: `close` then waits the read out."""
    try:
        answer = _call(reader.client_id)
    except AvatarError:
        return None
    if isinstance(answer, int) and not isinstance(answer, bool) and answer > 0:
        return answer
    return None


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple) and bool(value) and isinstance(value[0], list | tuple)
