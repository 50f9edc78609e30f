"""Recording a client's HTTP exchanges, for contract checks of the traffic a service sends.

Opt-in: ``AvatarClient(..., record_traffic="traffic.jsonl")`` appends one JSON object per
exchange (method, URL, status, headers, bodies, timing) to the file; ``make contract-traffic
FILE=traffic.jsonl`` checks every exchange against the specs and each task's lifecycle.

The recording sits in an httpx transport that wraps the client's own, so it sees each request
as sent and each answer as received, retries and uploads included. Secrets never reach the
file, in any encoding: what is secret is the package's one rule (`kling_avatar._redact`), applied
to the URL, every header value, the bodies and error texts. The API key (wherever it appears:
URLs, bodies a provider echoes, raw, escaped, percent-encoded or base64'd) and the
authentication headers become ``[redacted]``; a presigned URL keeps its parameters' names with
their values ``REDACTED`` (still a valid URL). A body that is not UTF-8 is redacted as bytes
before it is stored as base64; a gzip body is recorded decompressed. Bodies are redacted, then
kept up to ``max_body`` bytes each (marked truncated past that), so a secret crossing the cut is
blanked whole and a video download does not land in the file.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import attrs
import httpx

from ._redact import Redactor
from ._tls import tls_context

DEFAULT_MAX_BODY = 64 * 1024


class TrafficRecorder:
    """Appends redacted exchanges to a JSON Lines file; safe to share between clients/threads.

    What is secret, and how it is blanked, is the package's one rule (`kling_avatar._redact`):
    the recorder only says where it applies (URLs, header values, bodies, error texts).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        secrets: Iterable[str] = (),
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.path = os.fspath(path)
        self.max_body = int(max_body)
        self._redactor = Redactor(*secrets, style="recording")
        self._lock = threading.Lock()
        self._count = 0

    def __repr__(self) -> str:  # the secrets stay out of it
        return f"TrafficRecorder(path={self.path!r})"

    def add_secret(self, secret: str) -> None:
        with self._lock:
            if secret and secret not in self._redactor.secrets:
                self._redactor = Redactor(*self._redactor.secrets, secret, style="recording")

    def redact(self, text: str) -> str:
        return self._redactor(text)

    @property
    def capture_limit(self) -> int:
        """Bytes of a body kept before redaction: past `max_body` by as much as an encoded
        secret can span, so that one crossing the cut is whole when it is blanked."""
        return self.max_body + self._redactor.reach

    def wrap(
        self, inner: Any, *, asynchronous: bool
    ) -> httpx.BaseTransport | httpx.AsyncBaseTransport:
        """A transport that records through this recorder around ``inner`` (None: httpx's)."""
        if asynchronous:
            return AsyncRecordingTransport(
                inner or httpx.AsyncHTTPTransport(verify=tls_context()), self
            )
        return RecordingTransport(inner or httpx.HTTPTransport(verify=tls_context()), self)

    # -- writing ------------------------------------------------------------------------------

    def _headers(self, headers: httpx.Headers) -> dict[str, str]:
        redactor = self._redactor
        return {name: redactor.header(name, value) for name, value in headers.multi_items()}

    def _body(self, data: bytes, truncated: bool, encoding: str = "") -> dict[str, Any]:
        """The body as the client reads it, redacted *before* it is cut to `max_body` bytes."""
        data, cut_short = _decoded(data, encoding, self.capture_limit)
        truncated = truncated or cut_short
        try:
            text: str | None = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            clean = self._redactor(text).encode("utf-8")
            if len(clean) > self.max_body:
                clean, truncated = clean[: self.max_body], True
            # A cut that split a character drops that character's first bytes.
            return {"body": clean.decode("utf-8", "ignore"), "truncated": truncated}
        # Binary (an upload, a video's first bytes, text in another encoding): redacted as bytes
        # first, so that the base64 cannot decode to a secret.
        clean = self._redactor.data(data)
        if len(clean) > self.max_body:
            clean, truncated = clean[: self.max_body], True
        return {"body_base64": base64.b64encode(clean).decode("ascii"), "truncated": truncated}

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
                **self._body(
                    request_body[: self.capture_limit],
                    len(request_body) > self.capture_limit,
                ),
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


def _decoded(data: bytes, encoding: str, limit: int) -> tuple[bytes, bool]:
    """The body as the client reads it, and whether that is cut short: gzip/deflate undone up
    to `limit` bytes (a cut or broken stream as far as it goes, so that what it holds is
    redacted as text: its compressed bytes could not be), others left as sent."""
    encoding = encoding.strip().lower()
    if encoding not in ("gzip", "deflate") or not data:
        return data, False
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    out = bytearray()
    step = 512
    for start in range(0, len(data), step):
        try:
            out += inflater.decompress(data[start : start + step], limit + 1 - len(out))
        except zlib.error:
            # Not compressed after all (kept as sent), or broken part way (what came before).
            return (bytes(out), True) if out else (data, False)
        if len(out) > limit:
            return bytes(out[:limit]), True
    return bytes(out), not inflater.eof


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

        stream = tee(response.stream, _Capture(self.recorder.capture_limit, done))  # type: ignore[arg-type]
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
