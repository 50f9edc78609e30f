"""A whole request's deadline, for the blocking client.

httpx's timeouts are per network operation, so a server sending one byte every half second never
trips them. A request sent inside `deadline(seconds)` has every connect, read and write clamped
to what is left of it (`_deadline_backend` puts this under httpcore), and `check_deadline`
stops a read between chunks. The async client uses `asyncio.timeout` instead.
"""

from __future__ import annotations

import contextvars
import time

import httpx

__all__ = ["check_deadline", "clamped", "deadline"]

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "kling_avatar_deadline", default=None
)


class deadline:  # lower case: used as a function, `with deadline(seconds):`
    """Every network operation of this thread's requests inside ends by `seconds` from now
    (an outer, earlier deadline still wins)."""

    # A class, not a @contextmanager generator: every request enters one (a third of the cost).
    __slots__ = ("_seconds", "_token")
    _token: contextvars.Token[float | None]

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def __enter__(self) -> None:
        end = time.monotonic() + max(0.0, self._seconds)
        outer = _deadline.get()
        self._token = _deadline.set(end if outer is None else min(outer, end))

    def __exit__(self, *exc_info: object) -> None:
        _deadline.reset(self._token)


def clamped(timeout: float | None, exc: type[Exception]) -> float | None:
    """`timeout` cut to what is left of this thread's deadline; `exc` once none is left."""
    end = _deadline.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise exc("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


def check_deadline() -> None:
    """Between chunks: a transport without the backend still stops at the deadline."""
    clamped(None, httpx.ReadTimeout)
