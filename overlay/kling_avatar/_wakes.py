"""Wake messages: a confirmed finished task, sealed with the receiver's secret, on a wake bus.

Whoever can write to the bus (anyone reaching Redis) is not trusted: a message is opened only
if its HMAC-SHA256, under a key derived from the receiver's secret, matches; only then are its
bounded, checked fields made into a `Task`. So a woken waiter returns a task without reading it
again (two status reads per task, as in one process), on the word of a process that holds the
secret and confirmed the task with the provider's API. A Redis writer without the secret can
delay or drop wakes (the waiters then poll, as for a lost callback) and replay genuine ones
(each says, truly, how a finished task ended), but cannot make a waiter return a task the
provider did not confirm.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import math
import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ._bus import MAX_MESSAGE, Subscription, WakeBus
from ._exceptions import AvatarError
from ._models import Task, TaskState
from ._registry import PROVIDERS

__all__ = ["Wakes", "open_wake", "seal_wake"]

logger = logging.getLogger("kling_avatar.bus")

_VERSION = 1
_MAC_CHARS = 43  # base64url of 32 bytes, unpadded
_MAX_TEXT = 4096  # one field: an error message, a provider's state word, one URL
_MAX_URLS = 16
_TEXT_FIELDS = ("provider_state", "error_code", "error_message")
_TIME_FIELDS = ("created_at", "completed_at")


def bus_key(secret: bytes) -> bytes:
    """The key that seals wakes: derived from the receiver's secret, and for this use only, so
    no wake's MAC is ever a valid callback URL's and no callback URL's a wake's."""
    return hmac.new(secret, b"kling-avatar wake bus v1", hashlib.sha256).digest()


def _mac(key: bytes, payload: bytes) -> bytes:
    digest = hmac.new(key, payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=")


def seal_wake(key: bytes, task: Task) -> bytes | None:
    """The message for finished `task`: ``<mac>.<json>``; None when it would be too long."""
    body: dict[str, Any] = {
        "id": task.id,
        "provider": task.provider,
        "state": task.state.value,
        "video_urls": list(task.video_urls),
        "credits_used": task.credits_used,
    }
    body.update({name: getattr(task, name) for name in _TEXT_FIELDS})
    for name in _TIME_FIELDS:
        value: datetime | None = getattr(task, name)
        body[name] = None if value is None else value.isoformat()
    payload = json.dumps({"v": _VERSION, "task": body}, separators=(",", ":")).encode()
    message = _mac(key, payload) + b"." + payload
    return message if len(message) <= MAX_MESSAGE else None


def open_wake(key: bytes, message: object) -> Task | None:
    """The finished task a genuine message names, or None for anything else (never raises)."""
    if not isinstance(message, bytes) or len(message) > MAX_MESSAGE:
        return None
    mac, dot, payload = message.partition(b".")
    if not (dot and len(mac) == _MAC_CHARS):
        return None
    if not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    try:
        decoded = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    if not (isinstance(decoded, dict) and decoded.get("v") == _VERSION):
        return None
    try:
        return _task(decoded.get("task"))
    except (TypeError, ValueError):
        return None


def _task(body: object) -> Task:
    """A `Task` from a sealed message's fields, each checked (TypeError/ValueError if not)."""
    if not isinstance(body, dict):
        raise TypeError("task")
    task_id, provider, state = body.get("id"), body.get("provider"), body.get("state")
    if not (isinstance(task_id, str) and task_id.strip() and len(task_id) <= 200):
        raise ValueError("id")
    if provider not in PROVIDERS:
        raise ValueError("provider")
    if not isinstance(state, str):
        raise TypeError("state")
    final = TaskState(state)
    if not final.is_terminal:
        raise ValueError("state")
    urls = body.get("video_urls")
    if not (isinstance(urls, list) and len(urls) <= _MAX_URLS and all(map(_text, urls))):
        raise ValueError("video_urls")
    texts = [body.get(name) for name in _TEXT_FIELDS]
    if not all(value is None or _text(value) for value in texts):
        raise ValueError("text")
    credits = body.get("credits_used")
    if credits is not None and not (
        isinstance(credits, int | float)
        and not isinstance(credits, bool)
        and math.isfinite(credits)
    ):
        raise ValueError("credits_used")
    provider_state, error_code, error_message = texts
    return Task(
        id=task_id,
        provider=provider,
        state=final,
        provider_state=provider_state,
        video_urls=list(urls),
        error_code=error_code,
        error_message=error_message,
        created_at=_time(body.get("created_at")),
        completed_at=_time(body.get("completed_at")),
        credits_used=None if credits is None else float(credits),
    )


def _text(value: object) -> bool:
    return isinstance(value, str) and len(value) <= _MAX_TEXT


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    if not (isinstance(value, str) and len(value) <= 64):
        raise ValueError("time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("time zone")
    return moment


class Wakes:
    """A receiver's end of a wake bus: publishes the tasks it confirmed, and wakes its own
    waiters (through `wake`) with the tasks other processes confirmed.

    Listening starts with the first waiter (`listen`), so a process that never waits reads
    nothing; after a fork the child starts its own listener (threads do not cross a fork).
    """

    def __init__(self, bus: WakeBus, secret: bytes, wake: Callable[[Task], None]) -> None:
        if not isinstance(bus, WakeBus):
            raise TypeError("bus: a WakeBus (publish, subscribe), e.g. RedisWakeBus(url)")
        self.bus = bus
        self._key = bus_key(secret)
        self._wake = wake
        self._lock = threading.Lock()
        self._subscription: Subscription | None = None
        self._pid = 0
        self._closed = False
        self.published = 0
        self.woken = 0  # genuine messages that named a finished task
        self.refused = 0  # messages that did not open: forged, altered, malformed

    def __repr__(self) -> str:
        return f"Wakes(bus={self.bus!r}, published={self.published}, woken={self.woken})"

    def listen(self) -> None:
        """Subscribes once per process (cheap after the first call)."""
        if self._subscription is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._closed or (self._subscription is not None and self._pid == os.getpid()):
                return
            self._subscription = self.bus.subscribe(self._on_message)
            self._pid = os.getpid()

    async def publish(self, task: Task) -> None:
        """Tells every listening process that `task` is finished; a failure is only logged (a
        waiter elsewhere then learns it by its fallback poll)."""
        message = seal_wake(self._key, task)
        if message is None:
            logger.warning("wake bus: task %r is too long to announce; waiters will poll", task.id)
            return
        try:
            if getattr(self.bus, "blocking", True):
                await asyncio.to_thread(self.bus.publish, message)
            else:
                self.bus.publish(message)
        except AvatarError as error:
            logger.warning("wake bus: could not announce task %r: %s", task.id, error)
            return
        self.published += 1

    def _on_message(self, message: bytes) -> None:
        task = open_wake(self._key, message)
        if task is None:
            self.refused += 1
            if self.refused == 1 or self.refused % 1000 == 0:
                logger.warning(
                    "wake bus: %d message(s) refused (not sealed with this service's secret)",
                    self.refused,
                )
            return
        self.woken += 1
        self._wake(task)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            subscription, self._subscription = self._subscription, None
        if subscription is not None and self._pid == os.getpid():
            subscription.close()
