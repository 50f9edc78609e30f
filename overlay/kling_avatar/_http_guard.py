"""Bounds on what a client may send: one rule for every server here.

uvicorn with httptools reads a request's headers for as long and as large as the client sends
them (h11 bounds the size, 16 KiB, but not the time), and arms no timer until the first request
is read. So one client dribbling a header byte now and then holds a connection for ever, and a
few sending hundreds of MB of headers take the process's memory with them. The mock and the
reference service both run uvicorn with `uvicorn_limits()`. Past the headers, an ASGI app reads
a body it takes with `read_body`: bounded in size and in time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from ._inputs import positive_int, positive_seconds

__all__ = [
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_MAX_HEADER_BYTES",
    "BodyRefused",
    "read_body",
    "uvicorn_limits",
]

# Seconds a client has to send a request's headers, from connecting or from the previous answer.
DEFAULT_HEADER_TIMEOUT = 10.0
# A request line and headers of 64 KiB: four times h11's default, more than any provider's
# callback or a browser with a full cookie jar sends.
DEFAULT_MAX_HEADER_BYTES = 64 * 1024

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 31\r\n"
    b"connection: close\r\n\r\n"
    b"Request header fields too large"
)


def uvicorn_limits(
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
) -> dict[str, Any]:
    """Options for `uvicorn.run` / `uvicorn.Config`: a connection whose request line and headers
    take longer than `header_timeout` seconds or more than `max_header_bytes` bytes is closed
    (431 for the size), whichever HTTP implementation uvicorn picks."""
    timeout = positive_seconds("header_timeout", header_timeout)
    size = positive_int("max_header_bytes", max_header_bytes)
    return {"http": guarded_protocol(timeout, size), "h11_max_incomplete_event_size": size}


def guarded_protocol(
    timeout: float, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, closing connections whose headers do not arrive in time or
    grow past `max_header_bytes`."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # uvicorn without httptools: the h11 implementation has the same hooks
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base  # type: ignore[assignment]

    class Guarded(Base):
        _header_timer: asyncio.TimerHandle | None = None
        _header_bytes = 0

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            waiting = self._header_timer is not None
            super().data_received(data)
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete:
                self._disarm()  # the headers are in; the app's own limits take over
            elif waiting:
                # Counted only while no request is under way, so a body is never counted;
                # the parser holds at most this much plus one read.
                self._header_bytes += len(data)
                if self._header_bytes > max_header_bytes and not self.transport.is_closing():
                    self._disarm()
                    self.transport.write(_TOO_LARGE)
                    self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._header_bytes = 0
            self._header_timer = self.loop.call_later(timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            if not self.transport.is_closing():
                self.transport.close()

    return Guarded


class BodyRefused(Exception):
    """A request body refused before or while it was read: the HTTP status to answer, and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(
    headers: Iterable[tuple[bytes, bytes]],
    receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
    *,
    limit: int,
    within: float,
) -> bytes:
    """An ASGI request's body (`headers` are the scope's), of at most `limit` bytes, read within
    `within` seconds. BodyRefused otherwise: 413 as soon as a Content-Length or the bytes read
    pass the limit (nothing more is read), 400 for a Content-Length that is no number or a
    client that went away, 408 past the time."""
    for name, value in headers:
        if name.lower() == b"content-length":
            digits = value.strip()
            if not (digits.isascii() and digits.isdigit()):
                raise BodyRefused(400, "Content-Length is not a number")
            # Compared as text first: int() refuses numbers of thousands of digits.
            if len(digits) > len(str(limit)) or int(digits) > limit:
                raise BodyRefused(413, f"the body is over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(within):
            while True:
                message = await receive()
                if message.get("type") == "http.disconnect":
                    raise BodyRefused(400, "the client went away")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise BodyRefused(413, f"the body is over {limit} bytes")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise BodyRefused(408, "the body took too long") from None
