"""Recording a client's HTTP exchanges, for contract checks of the traffic a service sends.

Opt-in: ``AvatarClient(..., record_traffic="traffic.jsonl")`` appends one JSON object per
exchange (method, URL, status, headers, bodies, timing) to the file; ``make contract-traffic
FILE=traffic.jsonl`` checks every exchange against the specs and each task's lifecycle.

The recording sits in an httpx transport that wraps the client's own, so it sees each request
as sent and each answer as received, retries and uploads included. Secrets never reach the
file: the API key (wherever it appears: headers, URLs, bodies a provider echoes), the
authentication headers and the signature parameters of presigned URLs are replaced by
``[redacted]``. Bodies are kept up to ``max_body`` bytes each (marked truncated past that), so
a video download does not land in the file.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import attrs
import httpx

REDACTED = "[redacted]"
# In a URL the marker must keep it a valid URL, so the file still validates against the specs.
REDACTED_PARAM = "REDACTED"
DEFAULT_MAX_BODY = 64 * 1024

# Headers that carry a credential, in either direction.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "cookie",
        "set-cookie",
        "x-webhook-signature",
    }
)
# Query parameters that make a presigned URL (S3, GCS, Azure, crun's) or carry a key.
SECRET_PARAMS = frozenset(
    {
        "signature",
        "sig",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        "googleaccessid",
        "se",
        "sp",
        "sv",
        "token",
        "access_token",
        "api_key",
        "apikey",
        "key",
    }
)
_PARAM_IN_TEXT = re.compile(
    r"(?i)([?&](?:" + "|".join(re.escape(p) for p in sorted(SECRET_PARAMS)) + r")=)[^&\"'\s\\<>]*"
)


class TrafficRecorder:
    """Appends redacted exchanges to a JSON Lines file; safe to share between clients/threads."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        secrets: Iterable[str] = (),
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.path = os.fspath(path)
        self.max_body = int(max_body)
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._lock = threading.Lock()
        self._count = 0

    def __repr__(self) -> str:  # the secrets stay out of it
        return f"TrafficRecorder(path={self.path!r})"

    def add_secret(self, secret: str) -> None:
        with self._lock:
            if secret and secret not in self._secrets:
                self._secrets = sorted({*self._secrets, secret}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _PARAM_IN_TEXT.sub(lambda m: m.group(1) + REDACTED_PARAM, text)

    def wrap(
        self, inner: Any, *, asynchronous: bool
    ) -> httpx.BaseTransport | httpx.AsyncBaseTransport:
        """A transport that records through this recorder around ``inner`` (None: httpx's)."""
        if asynchronous:
            return AsyncRecordingTransport(inner or httpx.AsyncHTTPTransport(), self)
        return RecordingTransport(inner or httpx.HTTPTransport(), self)

    # -- writing ------------------------------------------------------------------------------

    def _headers(self, headers: httpx.Headers) -> dict[str, str]:
        return {
            name: _redacted_header(value) if name.lower() in SECRET_HEADERS else self.redact(value)
            for name, value in headers.multi_items()
        }

    def _body(self, data: bytes, truncated: bool, encoding: str = "") -> dict[str, Any]:
        data = _decoded(data, encoding) if not truncated else data
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            # Binary (an upload, a video's first bytes): kept as base64, never searched for
            # secrets, which are text.
            return {"body_base64": base64.b64encode(data).decode("ascii"), "truncated": truncated}
        return {"body": self.redact(text), "truncated": truncated}

    def record(
        self,
        request: httpx.Request,
        request_body: bytes,
        started: float,
        elapsed: float,
        response: httpx.Response | None = None,
        response_body: bytes = b"",
        response_truncated: bool = False,
        error: BaseException | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "kind": "exchange",
            "started": round(started, 6),
            "elapsed_ms": round(elapsed * 1000, 3),
            "request": {
                "method": request.method,
                "url": self.redact(str(request.url)),
                "headers": self._headers(request.headers),
                **self._body(request_body[: self.max_body], len(request_body) > self.max_body),
            },
            "response": None,
            "error": None if error is None else self.redact(f"{type(error).__name__}: {error}"),
        }
        if response is not None:
            entry["response"] = {
                "status": response.status_code,
                "headers": self._headers(response.headers),
                **self._body(
                    response_body,
                    response_truncated,
                    response.headers.get("content-encoding", ""),
                ),
            }
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self._count += 1
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(line)


def _redacted_header(value: str) -> str:
    # "Bearer <key>" keeps its scheme: what was sent stays checkable, the key does not.
    scheme, space, _ = value.partition(" ")
    return f"{scheme} {REDACTED}" if space and scheme.isalpha() else REDACTED


def _decoded(data: bytes, encoding: str) -> bytes:
    """The body as the client reads it: gzip/deflate undone (bounded), others left as sent."""
    encoding = encoding.strip().lower()
    if encoding not in ("gzip", "deflate") or not data:
        return data
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
        return inflater.decompress(data, 4 * DEFAULT_MAX_BODY)
    except zlib.error:
        return data


class _Capture:
    """Keeps the first ``limit`` bytes of a body and records the exchange once, at close."""

    def __init__(self, limit: int, done: Callable[[bytes, bool], None]) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._limit = limit
        self._truncated = False
        self._done: Callable[[bytes, bool], None] | None = done

    def add(self, chunk: bytes) -> None:
        room = self._limit - self._size
        if room > 0:
            self._chunks.append(chunk[:room])
            self._size += min(room, len(chunk))
        if len(chunk) > room:
            self._truncated = True

    def finish(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(b"".join(self._chunks), self._truncated)


class _SyncTee(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, capture: _Capture) -> None:
        self._inner = inner
        self._capture = capture

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._capture.add(chunk)
            yield chunk

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._capture.finish()


class _AsyncTee(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, capture: _Capture) -> None:
        self._inner = inner
        self._capture = capture

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._capture.add(chunk)
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._capture.finish()


@attrs.frozen
class _Pending:
    """One exchange under way: the request as sent, and when."""

    recorder: TrafficRecorder
    request: httpx.Request
    body: bytes
    started: float = attrs.field(factory=time.time)
    clock: float = attrs.field(factory=time.perf_counter)

    def failed(self, error: BaseException) -> None:
        elapsed = time.perf_counter() - self.clock
        self.recorder.record(self.request, self.body, self.started, elapsed, error=error)

    def answered(self, response: httpx.Response, tee: type[_SyncTee | _AsyncTee]) -> httpx.Response:
        """The response, its body passed through a tee that records the exchange at close."""

        def done(data: bytes, truncated: bool) -> None:
            elapsed = time.perf_counter() - self.clock
            self.recorder.record(
                self.request, self.body, self.started, elapsed, response, data, truncated
            )

        stream = tee(response.stream, _Capture(self.recorder.max_body, done))  # type: ignore[arg-type]
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=stream,
            extensions=response.extensions,
        )


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, recorder: TrafficRecorder) -> None:
        self._inner = inner
        self._recorder = recorder

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        pending = _Pending(self._recorder, request, request.read())
        try:
            response = self._inner.handle_request(request)
        except Exception as exc:
            pending.failed(exc)
            raise
        return pending.answered(response, _SyncTee)

    def close(self) -> None:
        self._inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, recorder: TrafficRecorder) -> None:
        self._inner = inner
        self._recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pending = _Pending(self._recorder, request, await request.aread())
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            pending.failed(exc)
            raise
        return pending.answered(response, _AsyncTee)

    async def aclose(self) -> None:
        await self._inner.aclose()


def recorder_for(
    target: str | os.PathLike[str] | TrafficRecorder, secrets: Iterable[str]
) -> TrafficRecorder:
    """The recorder a client option names: a recorder as given (told the key), or a path."""
    if isinstance(target, TrafficRecorder):
        for secret in secrets:
            target.add_secret(secret)
        return target
    return TrafficRecorder(target, secrets=secrets)
