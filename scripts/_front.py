"""One public URL in front of several service processes, as a load balancer would be: each
request goes to a backend drawn at random (seeded; by turns, a callback would follow its
creation's request to the same process in step); one that refuses the connection (a process that is
down) is skipped, so nothing is lost that never reached a process; a request a process died
under is answered 502, as a balancer must (it may have been carried out).

It notes, on its own clock, when each callback arrived (by task id) and when each answer to a
video request left, and which backend took each, for the wake latency of the load run."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

import attrs
import httpx
from kling_avatar import parse_callback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
_MAX_BODY = 1024 * 1024
_HOP_HEADERS = {
    b"host",
    b"connection",
    b"content-length",
    b"transfer-encoding",
    b"keep-alive",
    b"content-encoding",  # httpx hands the body on decoded
}


@attrs.frozen
class Callback:
    received: float  # when it reached the front
    backend: int
    provider: str
    task_id: str
    status: int


@attrs.frozen
class Answer:
    received: float  # when the request reached the front
    answered: float  # when its answer left it
    backend: int
    method: str
    status: int
    body: dict[str, Any]


class Front:
    """The ASGI app; serve it with kling_avatar._serving.serve."""

    def __init__(self, backends: Sequence[str], timeout: float = 120.0, seed: int = 25) -> None:
        self.backends = list(backends)
        self._draw = random.Random(seed)  # noqa: S311 - spreading load, not a secret
        self._timeout = timeout
        self._lock = threading.Lock()
        self.callbacks: list[Callback] = []
        self.answers: list[Answer] = []
        # Requests that reached a process, answered or not, by their first path segment.
        self.forwarded: Counter[str] = Counter()
        self._http: httpx.AsyncClient | None = None

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        received = time.time()
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > _MAX_BODY:
                await _answer(send, 413, b"too large")
                return
            if not message.get("more_body"):
                break
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout)
        path = scope["path"] + (
            f"?{scope['query_string'].decode()}" if scope["query_string"] else ""
        )
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP_HEADERS]
        first = self._draw.randrange(len(self.backends))
        for attempt in range(len(self.backends)):
            backend = (first + attempt) % len(self.backends)
            try:
                answer = await self._http.request(
                    scope["method"], self.backends[backend] + path, content=body, headers=headers
                )
            except httpx.ConnectError:
                continue  # never reached that process: the next one may take it
            except httpx.HTTPError:
                self._forwarded(scope)
                await _answer(send, 502, b"the backend failed under the request")
                return
            self._forwarded(scope)
            self._note(scope, body, received, backend, answer)
            await _answer(send, answer.status_code, answer.content, answer.headers.raw)
            return
        await _answer(send, 503, b"no backend is up", [(b"retry-after", b"1")])

    def _forwarded(self, scope: Scope) -> None:
        with self._lock:
            self.forwarded[scope["path"].strip("/").split("/")[0]] += 1

    def _note(
        self, scope: Scope, body: bytes, received: float, backend: int, answer: httpx.Response
    ) -> None:
        parts = scope["path"].strip("/").split("/")
        if parts[0] == "callbacks" and len(parts) == 3:
            try:
                task = parse_callback(parts[1], body)
            except Exception:  # a body the receiver refused too
                return
            with self._lock:
                self.callbacks.append(
                    Callback(received, backend, parts[1], task.id, answer.status_code)
                )
        elif parts[0] == "videos":
            try:
                decoded = json.loads(answer.content)
            except ValueError:
                decoded = {}
            with self._lock:
                self.answers.append(
                    Answer(
                        received,
                        time.time(),
                        backend,
                        scope["method"],
                        answer.status_code,
                        decoded if isinstance(decoded, dict) else {},
                    )
                )

    async def _lifespan(
        self,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._http is not None:
                    await self._http.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _answer(
    send: Callable[[Message], Awaitable[None]],
    status: int,
    body: bytes,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    kept = [(k, v) for k, v in headers if k.lower() not in _HOP_HEADERS]
    kept.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": status, "headers": kept})
    await send({"type": "http.response.body", "body": body})
