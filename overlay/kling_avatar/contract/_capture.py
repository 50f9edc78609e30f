"""The lifecycle checks' callback capture server: every POST it gets, kept as it came.

A tiny ASGI app served by uvicorn on 127.0.0.1, with the package's limits on what a client may
send: the header bounds every server here runs with (`uvicorn_limits`) and a bounded body
(`read_body`). It keeps what it is sent, unjudged: the lifecycle checks judge it against the
spec. Unlike the package's callback receiver (`kling_avatar.Receiver`), which confirms and hands
on finished tasks, this one must see a provider's callback exactly as it was sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Self

import attrs
import uvicorn

from .._http_guard import BodyRefused, read_body, uvicorn_limits
from .._serving import QuickServer, loopback_socket

__all__ = ["MAX_CALLBACKS", "MAX_CALLBACK_BODY", "Callback", "CallbackReceiver"]

MAX_CALLBACK_BODY = 1024 * 1024
MAX_CALLBACKS = 1000  # a suite run expects a handful; a flood is not kept
CALLBACK_READ_TIMEOUT = 10.0
_ANSWER = b'{"code":200,"msg":"success"}'

Message = MutableMapping[str, Any]


@attrs.frozen
class Callback:
    body: Any
    headers: Mapping[str, str] = attrs.field(factory=dict)


class CallbackReceiver:
    """Records every POST to ``http://127.0.0.1:<port>/...`` (at most :data:`MAX_CALLBACKS`,
    each body at most :data:`MAX_CALLBACK_BODY` bytes). Use as a context manager."""

    def __init__(self, port: int = 0) -> None:
        self.received: list[Callback] = []
        self._lock = threading.Lock()
        self._socket = loopback_socket(port)
        config = uvicorn.Config(
            self,
            **uvicorn_limits(),
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,
            timeout_graceful_shutdown=1,
        )
        self._server = QuickServer(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/callback"

    def __enter__(self) -> Self:
        try:
            self._thread = self._server.start_in_thread(self._socket, "kling-contract-callbacks")
        except RuntimeError:
            raise RuntimeError("the callback capture server did not start") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._server.stop_thread(self._thread)
        self._socket.close()

    def snapshot(self) -> list[Callback]:
        """What was received so far."""
        with self._lock:
            return list(self.received)

    async def __call__(
        self,
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        status = 405
        if scope.get("method") == "POST":
            headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or [])
            try:
                raw = await read_body(
                    headers, receive, limit=MAX_CALLBACK_BODY, within=CALLBACK_READ_TIMEOUT
                )
            except BodyRefused as refused:
                status = refused.status
            else:
                self._keep(raw, headers)
                status = 200
        answer = _ANSWER if status == 200 else b"{}"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(answer)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    def _keep(self, raw: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        try:
            body: Any = json.loads(raw)
        except (ValueError, RecursionError):
            body = raw.decode("utf-8", "replace")
        named = {name.decode("latin-1"): value.decode("latin-1") for name, value in headers}
        with self._lock:
            if len(self.received) < MAX_CALLBACKS:
                self.received.append(Callback(body, named))
