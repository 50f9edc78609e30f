"""Bounds on what one answer may cost: bytes read and decompressed, and seconds spent.

httpx's timeouts are per network operation, so a server sending one byte every half second
never trips them; and it decompresses a whole chunk at once, so a small gzip answer can expand
to gigabytes. Here a request's body is decoded by `BoundedBody`, which never holds more than the
cap; its time is bounded by a deadline (`_deadlines`).
"""

from __future__ import annotations

import zlib

import httpx

from ._exceptions import ResponseTooLargeError

__all__ = [
    "DEFAULT_MAX_ANSWER_BYTES",
    "BoundedBody",
    "framed_within",
    "too_large",
]

# API answers are a few kilobytes; a megabyte is generous and still harmless to hold.
DEFAULT_MAX_ANSWER_BYTES = 1024 * 1024
# What the client asks for, so that no server has a reason to send an encoding it cannot bound.
ACCEPT_ENCODING = "gzip, deflate"

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
    encoding = header(headers, "content-encoding").strip().lower()
    stated = stated_length(headers)
    return encoding in ("", "identity") and stated is not None and stated <= limit


def header(headers: httpx.Headers, name: str) -> str:
    """`headers.get(name, "")`, the values of a repeated header joined as httpx joins them,
    without the KeyError that `get` raises and catches for an absent one (every answer lacks
    a Content-Encoding)."""
    return ", ".join(headers.get_list(name))


def stated_length(headers: httpx.Headers) -> int | None:
    """The one Content-Length an answer states, or None (absent, repeated, not ASCII digits:
    `"²".isdigit()` is true, yet `int("²")` fails)."""
    stated = header(headers, "content-length").strip()
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
