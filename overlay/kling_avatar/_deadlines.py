"""A whole request's deadline, for the blocking client.

httpx's timeouts are per network operation, so a server sending one byte every half second never
trips them. A request sent inside `deadline(seconds)` has every connect, read and write clamped
to what is left of it (`_deadline_backend` puts this under httpcore), and `check_deadline`
stops a read between chunks. The async client uses `asyncio.timeout` instead.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

import httpx

__all__ = ["check_deadline", "clamped", "deadline", "end_deadline", "start_deadline"]

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "kling_avatar_deadline", default=None
)


def start_deadline(seconds: float) -> contextvars.Token[float | None]:
    """Every network operation of this thread's requests, until `end_deadline` with the token
    this returns, ends by `seconds` from now (an outer, earlier deadline still wins). A pair of
    calls, not only a context manager: every request passes here."""
    end = time.monotonic() + max(0.0, seconds)
    outer = _deadline.get()
    return _deadline.set(end if outer is None or end < outer else outer)


end_deadline = _deadline.reset  # (token): the deadline before `start_deadline` again


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """`start_deadline(seconds)` for the block inside."""
    token = start_deadline(seconds)
    try:
        yield
    finally:
        end_deadline(token)


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
