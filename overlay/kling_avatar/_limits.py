"""Bounds on what one answer may cost: bytes read and decompressed, and seconds spent.

httpx's timeouts are per network operation, so a server sending one byte every half second
never trips them; and it decompresses a whole chunk at once, so a small gzip answer can expand
to gigabytes. Here a request gets a *deadline* that every read, write and connect of it is
clamped to (`deadline`, `install_deadlines`; the async client uses `asyncio.timeout` instead),
and its body is decoded by `BoundedBody`, which never holds more than the cap.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
import zlib
from collections.abc import Iterator

import httpx

from ._exceptions import ResponseTooLargeError

__all__ = [
    "DEFAULT_MAX_ANSWER_BYTES",
    "BoundedBody",
    "deadline",
    "framed_within",
    "install_deadlines",
    "too_large",
]

# API answers are a few kilobytes; a megabyte is generous and still harmless to hold.
DEFAULT_MAX_ANSWER_BYTES = 1024 * 1024
# What the client asks for, so that no server has a reason to send an encoding it cannot bound.
ACCEPT_ENCODING = "gzip, deflate"

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "kling_avatar_deadline", default=None
)


# --- bounded decoding -----------------------------------------------------------------------


class _Inflate:
    """gzip or deflate (zlib-wrapped, or raw as some servers send it), output bounded."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._raw_fallback = not self._gzip
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)
        self._pending = b""

    def feed(self, data: bytes, room: int) -> bytes:
        """At most `room` + 1 bytes of output; the input not yet inflated is kept."""
        data = self._pending + data
        try:
            out = self._z.decompress(data, room + 1)
        except zlib.error:
            if not self._raw_fallback:
                raise
            self._raw_fallback = False
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, room + 1)
        self._raw_fallback = False
        self._pending = self._z.unconsumed_tail
        return out

    @property
    def pending(self) -> bool:
        return bool(self._pending)


def framed_within(headers: httpx.Headers, limit: int) -> bool:
    """True when an answer's body is sent as is (no Content-Encoding) with one Content-Length
    of at most `limit`: HTTP/1.1's framing (h11, under httpx's transport; the clients speak
    no HTTP/2) then stops its read at that length, so httpx may read it whole without a
    bounded reader. A caller's own `transport=` is trusted to frame the same way."""
    encoding = headers.get("content-encoding", "").strip().lower()
    stated = stated_length(headers)
    return encoding in ("", "identity") and stated is not None and stated <= limit


def stated_length(headers: httpx.Headers) -> int | None:
    """The one Content-Length an answer states, or None (absent, repeated, not ASCII digits:
    `"²".isdigit()` is true, yet `int("²")` fails)."""
    stated = headers.get("content-length", "").strip()
    return int(stated) if stated.isascii() and stated.isdigit() else None


class BoundedBody:
    """Decodes one answer's raw bytes as they arrive; raises ResponseTooLargeError as soon as
    the encoded or the decoded body would pass `limit` bytes. Sans-I/O: the drivers feed it."""

    def __init__(self, headers: httpx.Headers, limit: int, provider: str | None = None) -> None:
        self.limit = limit
        self.provider = provider
        self.received = 0
        self._parts: list[bytes] = []
        self._size = 0
        encodings = [
            e.strip().lower() for e in headers.get("content-encoding", "").split(",") if e.strip()
        ]
        self._decoders: list[_Inflate] = []
        for encoding in encodings:
            if encoding == "identity":
                continue
            if encoding not in ("gzip", "x-gzip", "deflate"):
                raise httpx.DecodingError(f"unsupported Content-Encoding {encoding!r:.40}")
            self._decoders.insert(0, _Inflate(encoding))  # the last one applied comes off first
        stated = stated_length(headers)
        if stated is not None and stated > limit:
            raise self._too_large(f"it announces {stated} bytes")

    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.limit:
            # Encoded bytes count too: compressed data that inflates to little is still read.
            raise self._too_large("more bytes arrived")
        data = chunk
        while True:
            try:
                for decoder in self._decoders:
                    data = decoder.feed(data, self.limit - self._size)
            except zlib.error as exc:
                raise httpx.DecodingError(f"the answer does not decompress: {exc}") from None
            self._size += len(data)
            if self._size > self.limit:
                raise self._too_large("it decompresses to more")
            if data:
                self._parts.append(data)
            # A decoder holds input it had no room to inflate yet: inflate it now.
            if not any(decoder.pending for decoder in self._decoders):
                return
            data = b""

    def content(self) -> bytes:
        return b"".join(self._parts)

    def response(self, original: httpx.Response) -> httpx.Response:
        """A read, decoded copy of `original` (whose stream the caller closes)."""
        headers = [
            (name, value)
            for name, value in original.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            original.status_code,
            headers=headers,
            content=self.content(),
            request=original.request,
            extensions=original.extensions,
        )

    def _too_large(self, why: str) -> ResponseTooLargeError:
        return too_large(self.limit, why, self.provider)


def too_large(limit: int, why: str, provider: str | None) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"the answer is over the {limit}-byte cap ({why}); nothing more was read",
        provider=provider,
    )


# --- deadlines (sync) -----------------------------------------------------------------------


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every network operation of this thread's requests inside ends by `seconds` from now
    (an outer, earlier deadline still wins)."""
    outer = _deadline.get()
    end = time.monotonic() + max(0.0, seconds)
    token = _deadline.set(end if outer is None else min(outer, end))
    try:
        yield
    finally:
        _deadline.reset(token)


def clamped(timeout: float | None, exc: type[Exception]) -> float | None:
    """`timeout` cut to what is left of this thread's deadline; `exc` once none is left."""
    end = _deadline.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise exc("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


def install_deadlines(client: httpx.Client) -> httpx.Client:
    """Puts the deadline backend under `client`'s own transports, also under a wrapper that
    keeps its inner transport as `_inner` (a caller's own `transport=` that is no
    HTTPTransport is left alone: only the time between its chunks is then checked)."""
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    for outer in transports:
        transport = outer
        while transport is not None and not isinstance(transport, httpx.HTTPTransport):
            transport = getattr(transport, "_inner", None)  # under a wrapper (traffic recorder)
        if isinstance(transport, httpx.HTTPTransport):
            # Imported here: like httpx, the package loads httpcore only with a real transport.
            from ._deadline_backend import wrap_pool

            wrap_pool(getattr(transport, "_pool", None))
    return client


def check_deadline() -> None:
    """Between chunks: a transport without the backend still stops at the deadline."""
    clamped(None, httpx.ReadTimeout)
