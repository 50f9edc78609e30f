"""The front of the mock: routing, the fault injector, the key check and a guard.

Spec operations go on to connexion (see _validation) once the key is right and the body is
something connexion can parse without crashing (UTF-8, not nested absurdly, not too large);
media downloads and the routes a provider serves beside its spec (presigned uploads) are
served here. What is said each provider's way comes from its ProviderMock.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ._accounts import ACCOUNT
from ._asgi import (
    ROUTE_KEY,
    STATE_KEY,
    BodyRefused,
    Message,
    Receive,
    Scope,
    Send,
    content_type,
    read_body,
    send_json,
)
from ._fastpath import NO_BODY
from ._faults import Fault
from ._files import GONE, media_lookup
from ._lookup import provider_mocks
from ._media import RENDER_SLOTS
from ._outgoing import outgoing_client
from ._provider_mock import ProviderMock, RawHandler
from ._specs import Route, routes, templated_allow, templated_route
from ._state import MockState
from ._validation import fast_operations, run_handler, validator

MAX_DEPTH = 64  # no request of either API nests deeper than 3
_REQUEST_FAULTS = ("envelope", "http", "slow", "drop", "truncated", "non_json")
_HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


# -- the guard and the faults ------------------------------------------------------------


def _parse_json(body: bytes) -> Any:
    """The JSON body, parsed once; NO_BODY when connexion should answer it (not JSON, empty).

    Rejects what connexion's JSON parsing or jsonschema would crash on: bytes that are not
    UTF-8, nesting past MAX_DEPTH, an integer too long for Python to convert.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused(f"request body is not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        return NO_BODY  # connexion answers "Request body must not be empty" itself
    try:
        value = json.loads(text)
    except RecursionError:
        raise BodyRefused("request body is nested too deeply") from None
    except json.JSONDecodeError:
        return NO_BODY  # connexion answers invalid JSON with the parser's message
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise BodyRefused(f"request body is not valid JSON: {exc}") from None
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return value  # cannot nest deeper than the limit
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BodyRefused("request body is nested too deeply")
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


def _authorized(scope: Scope, route: Route, key: str) -> bool:
    for name, value in scope["headers"]:
        if name == route.key_header:
            if route.scheme:
                scheme, _, value = value.partition(b" ")
                if scheme.lower() != route.scheme:
                    return False
            return hmac.compare_digest(value.strip(), key.encode())
    return False


def _retry_after(value: Any) -> list[tuple[bytes, bytes]]:
    if value is None:
        return []
    text = str(int(value)) if isinstance(value, int | float) else str(value)
    return [(b"retry-after", text.encode("latin-1"))]


class MockApp:
    """The ASGI app one MockServer serves."""

    def __init__(self, state: MockState, log: Callable[[str], None] | None = None) -> None:
        self.state = state
        self.log = log
        self.kinds = provider_mocks()
        self.inner = validator()
        self.fast = fast_operations()
        self.routes = routes()
        methods: dict[str, list[str]] = {}
        for method, path in self.routes:
            methods.setdefault(path, []).append(method)
        self.allowed = {path: ", ".join(sorted(m)).encode() for path, m in methods.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        route = self.routes.get((scope["method"], scope["path"])) or templated_route(
            scope["method"], scope["path"]
        )
        if self.log is None:
            await self._serve(scope, receive, send, route)
            return
        seen = _Seen(send)
        try:
            await self._serve(scope, receive, seen.send, route)
        finally:
            operation = route.operation_id if route is not None else "-"
            # The path only: a query string can carry a presigned URL's signature.
            self.log(f"{scope['method']} {scope['path']} {operation} -> {seen.outcome()}")

    async def _serve(self, scope: Scope, receive: Receive, send: Send, route: Route | None) -> None:
        if route is None:
            await self._other(scope, receive, send)
            return
        state = self.state
        kind = self.kinds[route.provider]
        with state.lock:
            state.calls[route.operation_id] += 1
        fault = state.faults.take(route.operation_id, _REQUEST_FAULTS)
        answer_later = fault is not None and (
            fault.kind == "truncated" or (fault.kind == "drop" and fault.get("after"))
        )
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(float(fault.get("delay")))
            elif not answer_later:
                await self._fault(fault, kind, send)
                return
        if route.key_header is None or _authorized(scope, route, state.keys[route.provider]):
            ACCOUNT.set(0)  # the main account's, or an operation anyone may call
        elif _authorized(scope, route, state.other_keys[route.provider]):
            ACCOUNT.set(1)  # this request's task (ASGI serves each request in a task of its own)
        else:
            message = "Unauthorized: missing or invalid API key"
            await send_json(send, kind.refusal(route.operation_id, 401, message), kind.status(401))
            return
        parsed: Any = NO_BODY
        length: int | None = None
        if scope["method"] in ("POST", "PUT", "PATCH"):
            try:
                body = await read_body(scope, receive)
                if body and not content_type(scope):
                    # Nothing says what the body is (connexion's form check would crash on it).
                    raise BodyRefused("Content-Type is not accepted here: the body has none")
                if content_type(scope) != "multipart/form-data":
                    parsed = _parse_json(body)
            except BodyRefused as refused:
                rejection = kind.rejection(route.operation_id, refused.message)
                await send_json(send, rejection, kind.status(422))
                return
            receive = _replay(body, receive)
            length = len(body)
        answer: Send = send
        if fault is not None and fault.kind == "truncated":
            answer = _truncating(send)
        elif answer_later:
            answer = _discard
        fast = self.fast.get(route.operation_id)
        kwargs = fast.accept(scope, parsed) if fast is not None else None
        if kwargs is not None:
            await run_handler(state, route, kwargs, answer)
        else:
            await self.inner(self._inner_scope(scope, route, length), receive, answer)
        if answer is _discard:
            await _drop_connection(send)

    def _inner_scope(self, scope: Scope, route: Route, length: int | None) -> Scope:
        inner = dict(scope)
        if length is not None:
            # The body is read whole now; connexion looks for it by its Content-Length, which
            # a chunked request does not carry.
            inner["headers"] = [
                *(
                    h
                    for h in scope["headers"]
                    if h[0] not in (b"content-length", b"transfer-encoding")
                ),
                (b"content-length", str(length).encode()),
            ]
        inner["path"] = route.inner_path
        inner["raw_path"] = route.inner_path.encode()
        inner[STATE_KEY] = self.state
        inner[ROUTE_KEY] = route
        return inner

    async def _fault(self, fault: Fault, kind: ProviderMock, send: Send) -> None:
        if fault.kind == "envelope":
            code = int(fault.get("code"))
            body = kind.envelope(code, fault.get("message") or _TEXT[code])
            await send_json(send, body, kind.status(code))
        elif fault.kind == "http":
            status = int(fault.get("status"))
            # The body keeps to the envelope's own codes: a 503 says "maintenance" (455).
            code = status if status in _ENVELOPE_CODES else 455 if status == 503 else 500
            body = kind.envelope(code, fault.get("message") or _TEXT.get(status, "Error"))
            await send_json(send, body, status, _retry_after(fault.get("retry_after")))
        elif fault.kind == "non_json":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/html"),
                        (b"content-length", str(len(_HTML_PAGE)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _HTML_PAGE})
        elif fault.kind == "drop":
            await _drop_connection(send)

    async def _other(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        if path.startswith("/media/") and method in ("GET", "HEAD"):
            # uvicorn hands over the path percent-decoded, as media is stored.
            found = await media_lookup(self.state, path[len("/media/") :])
            if found is None:
                await send_json(send, {"code": 404, "message": "Not found", "data": None}, 404)
                return
            if found == GONE:
                # Each result is rendered once; one dropped to bound memory is not made again.
                body = {"code": 410, "message": "Gone: the mock no longer keeps this result"}
                await send_json(send, {**body, "data": None}, 410)
                return
            assert isinstance(found, tuple)
            data, mime = found
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", mime.encode("latin-1")),
                        (b"content-length", str(len(data)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b"" if method == "HEAD" else data})
        elif raw := self._raw_route(method, path):
            await raw(self.state, scope, receive, send)
        elif allow := self.allowed.get(path) or templated_allow(path):
            body = {"code": 405, "message": "Method not allowed", "data": None}
            await send_json(send, body, 405, [(b"allow", allow)])
        else:
            await send_json(send, {"code": 404, "message": "Not found", "data": None}, 404)

    def _raw_route(self, method: str, path: str) -> RawHandler | None:
        for kind in self.kinds.values():
            for (route_method, prefix), handler in kind.raw_routes.items():
                if method == route_method and path.startswith(prefix):
                    return handler
        return None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def startup(self) -> None:
        """Bind the state to the running loop (its timers and callbacks run there)."""
        self.state.loop = asyncio.get_running_loop()
        self.state.http = outgoing_client()
        # Threads start only when a render is submitted: the in-process mock renders inline.
        self.state.renders = ThreadPoolExecutor(
            max_workers=RENDER_SLOTS, thread_name_prefix="kling-mock-render"
        )

    async def shutdown(self) -> None:
        for future in list(self.state.background):
            future.cancel()
        if self.state.http is not None:
            await self.state.http.aclose()
            self.state.http = None
        if self.state.renders is not None:
            # A render under way ends by itself within RENDER_SECONDS.
            self.state.renders.shutdown(wait=False, cancel_futures=True)
            self.state.renders = None


_TEXT = {
    400: "Bad request",
    401: "Unauthorized",
    402: "Insufficient credits",
    404: "Not found",
    405: "Method not allowed",
    422: "Validation error",
    429: "Rate limited",
    455: "Service unavailable: the system is under maintenance",
    500: "Server error",
    501: "Generation failed",
    503: "Service unavailable",
    505: "Feature disabled",
}


_ENVELOPE_CODES = frozenset({200, 400, 401, 402, 404, 405, 422, 429, 455, 500, 501, 505})


class _Seen:
    """What was answered: the HTTP status and the envelope's code, for the request log."""

    def __init__(self, send: Send) -> None:
        self._send = send
        # What a dropping fault closes (see _drop_connection): the server's own transport.
        self.transport = getattr(getattr(send, "__self__", None), "transport", None)
        self.status: int | None = None
        self.code: str | None = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif self.code is None and message.get("body"):
            found = _CODE.match(message["body"])
            self.code = found.group(1).decode() if found else ""
        await self._send(message)

    def outcome(self) -> str:
        if self.status is None:
            return "no answer (connection dropped)"
        return f"HTTP {self.status}" + (f", code {self.code}" if self.code else "")


_CODE = re.compile(rb'\{"code":(\d+)')


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _discard(message: Message) -> None:
    pass


def _truncating(send: Send) -> Send:
    """Sends the response with its JSON body cut in the middle (Content-Length to match)."""
    start: Message = {}
    chunks: list[bytes] = []

    async def truncating(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        cut = body[: max(1, len(body) // 2)]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": cut})

    return truncating


async def _drop_connection(send: Send) -> None:
    """Close the TCP connection without answering.

    ASGI has no message for this; uvicorn's `send` is a method of its request cycle, which
    holds the transport. Anything else gets an exception, which servers turn into a 500.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("dropped by a mock fault")
    transport.close()
    # Let the loop run connection_lost, so uvicorn knows the client is gone and does not
    # report a response that was never started.
    for _ in range(2):
        await asyncio.sleep(0)
