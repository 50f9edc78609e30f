"""The ASGI application: a guard and the fault injector in front of connexion.

connexion validates every request against the specs (key, parameters, body) and routes it to
the handler of its operationId; everything connexion would answer the HTTP way (400, 401,
415, 500 problem documents) is answered the providers' way instead: HTTP 200 with an
envelope code. The guard in front catches what connexion itself would turn into a 500
(bodies that are not UTF-8, nested too deeply, or too large).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
import warnings
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, ClassVar
from urllib.parse import parse_qs

with warnings.catch_warnings():
    # connexion imports starlette's test client, which warns about httpx on import.
    warnings.simplefilter("ignore")
    from connexion import ConnexionMiddleware
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.validators import (
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
)
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from ._faults import Fault
from ._handlers import HANDLERS, envelope, media_lookup
from ._specs import Provider, Route, routes, spec_parts
from ._state import MockState

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger("kling_avatar.testing")

MAX_BODY = 24 * 1024 * 1024  # a 10 MB file in base64, with room to spare
MAX_DEPTH = 64  # no request of either API nests deeper than 3
_STATE_KEY = "kling_avatar.mock_state"
_ROUTE_KEY = "kling_avatar.mock_route"
_REQUEST_FAULTS = ("envelope", "http", "slow", "drop", "truncated", "non_json")
_HTML_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)
_JSON = [(b"content-type", b"application/json")]


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


async def _send_json(send: Send, body: Any, status: int = 200, headers: Any = ()) -> None:
    payload = _dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON, (b"content-length", str(len(payload)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": payload})


# -- connexion ---------------------------------------------------------------------------


async def _dispatch(scope: Scope, receive: Receive, send: Send) -> None:
    """The app behind connexion's validation: the request is valid, run its handler."""
    state: MockState = scope[_STATE_KEY]
    route: Route = scope[_ROUTE_KEY]
    kwargs: dict[str, Any] = {
        name: values[0]
        for name, values in parse_qs(scope["query_string"].decode("latin-1")).items()
    }
    if route.method == "POST":
        if _content_type(scope) == "multipart/form-data":
            try:
                form = await Request(scope, receive).form()
            except MultiPartException as exc:
                await _send_json(send, envelope(route.provider, 422, f"multipart body: {exc}"))
                return
            kwargs["body"] = {k: v for k, v in form.items() if isinstance(v, str)}
            kwargs["file"] = form.get("file")
        else:
            chunks = [message.get("body", b"") async for message in _drain(receive)]
            kwargs["body"] = json.loads(b"".join(chunks))
    try:
        body = await HANDLERS[route.operation_id](state, **kwargs)
    except Exception as exc:
        # A bug in the mock, not an answer a provider gives: kept for the test to see,
        # answered the way the providers answer their own server errors.
        logger.error("mock error in %s", route.operation_id, exc_info=exc)
        state.record_error(f"{route.operation_id}: {type(exc).__name__}: {exc}")
        body = envelope(route.provider, 500, "Server error")
    await _send_json(send, body)


async def _drain(receive: Receive) -> Any:
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return
        more = message.get("more_body", False)
        yield message


def _problem_message(exc: ProblemException) -> str:
    detail = str(exc.detail or exc.title or "Invalid request")
    if exc.status == 415:
        return f"Content-Type is not accepted here: {detail}"
    return detail


def _on_problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    route: Route = request.scope[_ROUTE_KEY]
    assert isinstance(exc, ProblemException)
    if 400 <= exc.status < 500:
        body = envelope(route.provider, 422, _problem_message(exc))
        return ConnexionResponse(200, "application/json", body=_dumps(body))
    return _on_error(request, exc)


def _on_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    if isinstance(exc, MultiPartException):
        # connexion's form validation parses the body with starlette, which raises this.
        body = envelope(request.scope[_ROUTE_KEY].provider, 422, f"multipart body: {exc}")
        return ConnexionResponse(200, "application/json", body=_dumps(body))
    state: MockState = request.scope[_STATE_KEY]
    route: Route = request.scope[_ROUTE_KEY]
    logger.error("mock error in %s", route.operation_id, exc_info=exc)
    state.record_error(f"{route.operation_id}: {type(exc).__name__}: {exc}")
    body = envelope(route.provider, 500, "Server error")
    return ConnexionResponse(200, "application/json", body=_dumps(body))


class _CachedJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    """connexion's JSON body validator, compiled once per schema instead of per request."""

    _compiled: ClassVar[dict[int, Any]] = {}

    @property
    def _validator(self) -> Any:
        # The schemas live as long as the (cached) specs, so their ids stay theirs.
        key = id(self._schema)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = super()._validator
        return compiled


_build_lock = threading.Lock()
_built: list[ConnexionMiddleware] = []


def validator() -> ConnexionMiddleware:
    """connexion's request validation for every operation of both specs, around the handlers.

    One per process: it holds no state of its own (that rides in the scope), and reading both
    specs takes longer than starting a server.
    """
    with _build_lock:
        if not _built:
            _built.append(_build())
        return _built[0]


def _build() -> ConnexionMiddleware:
    app = ConnexionMiddleware(
        _dispatch,
        # Routing and request validation only. The key is checked in front (MockApp), from the
        # same specs' security schemes: connexion's check costs more than the rest together.
        middlewares=[
            ServerErrorMiddleware,
            ExceptionMiddleware,
            RoutingMiddleware,
            RequestValidationMiddleware,
        ],
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
        validator_map={
            "body": MediaTypeDict(
                {
                    "*/*json": _CachedJSONBodyValidator,
                    "application/x-www-form-urlencoded": FormDataValidator,
                    "multipart/form-data": MultiPartFormDataValidator,
                }
            )
        },
    )
    for part in spec_parts():
        # connexion resolves every operationId to a function even as a middleware; the
        # dispatcher behind it picks the handler itself.
        resolver = Resolver(function_resolver=lambda _operation_id: _dispatch)
        app.add_api(part.spec, base_path=part.mount, name=part.mount, resolver=resolver)
    app.add_error_handler(ProblemException, _on_problem)
    app.add_error_handler(Exception, _on_error)
    return app


# -- the guard and the faults ------------------------------------------------------------


class _Rejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                raise _Rejected("Content-Length is not a number") from None
            if declared > MAX_BODY:
                raise _Rejected("request body is too large")
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Rejected("client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise _Rejected("request body is too large")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return str(value.decode("latin-1").split(";")[0].strip().lower())
    return ""


def _check_json(body: bytes) -> None:
    """Reject what connexion's JSON parsing or jsonschema would crash on."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Rejected(f"request body is not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        return  # connexion answers "Request body must not be empty" itself
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return  # cannot nest deeper than the limit; let connexion parse it once
    try:
        value = json.loads(text)
    except RecursionError:
        raise _Rejected("request body is nested too deeply") from None
    except ValueError:
        return  # connexion answers invalid JSON with the parser's message
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _Rejected("request body is nested too deeply")
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _authorized(scope: Scope, route: Route, key: str) -> bool:
    for name, value in scope["headers"]:
        if name == route.key_header:
            if route.bearer:
                scheme, _, value = value.partition(b" ")
                if scheme.lower() != b"bearer":
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

    def __init__(self, state: MockState) -> None:
        self.state = state
        self.inner = validator()
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
        route = self.routes.get((scope["method"], scope["path"]))
        if route is None:
            await self._other(scope, receive, send)
            return
        state = self.state
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
                await self._fault(fault, route.provider, send)
                return
        if not _authorized(scope, route, state.keys[route.provider]):
            refusal = envelope(route.provider, 401, "Unauthorized: missing or invalid API key")
            await _send_json(send, refusal)
            return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            try:
                body = await _read_body(scope, receive)
                if _content_type(scope) != "multipart/form-data":
                    _check_json(body)
            except _Rejected as rejected:
                await _send_json(send, envelope(route.provider, 422, rejected.message))
                return
            receive = _replay(body, receive)
        inner_scope = dict(scope)
        inner_scope["path"] = route.inner_path
        inner_scope["raw_path"] = route.inner_path.encode()
        inner_scope[_STATE_KEY] = state
        inner_scope[_ROUTE_KEY] = route
        if fault is not None and fault.kind == "truncated":
            await self.inner(inner_scope, receive, _truncating(send))
        elif answer_later:
            await self.inner(inner_scope, receive, _discard)
            await _drop_connection(send)
        else:
            await self.inner(inner_scope, receive, send)

    async def _fault(self, fault: Fault, provider: Provider, send: Send) -> None:
        if fault.kind == "envelope":
            code = int(fault.get("code"))
            await _send_json(send, envelope(provider, code, fault.get("message") or _TEXT[code]))
        elif fault.kind == "http":
            status = int(fault.get("status"))
            # The body keeps to the envelope's own codes: a 503 says "maintenance" (455).
            code = status if status in _ENVELOPE_CODES else 455 if status == 503 else 500
            body = envelope(provider, code, fault.get("message") or _TEXT.get(status, "Error"))
            await _send_json(send, body, status, _retry_after(fault.get("retry_after")))
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
            found = media_lookup(self.state, path[len("/media/") :])
            if found is None:
                await _send_json(send, {"code": 404, "message": "Not found", "data": None}, 404)
                return
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
        elif path.startswith("/upload/") and method == "PUT":
            await self._presigned_put(scope, receive, send)
        elif path in self.allowed:
            body = {"code": 405, "message": "Method not allowed", "data": None}
            await _send_json(send, body, 405, [(b"allow", self.allowed[path])])
        else:
            await _send_json(send, {"code": 404, "message": "Not found", "data": None}, 404)

    async def _presigned_put(self, scope: Scope, receive: Receive, send: Send) -> None:
        # crun's upload flow: PUT the raw bytes to the presigned URL, then use file_url.
        name = path_name = scope["path"][len("/upload/") :]
        expected = self.state.presigned.get(name)
        if expected is None:
            await _send_json(send, {"code": 404, "message": "Not found", "data": None}, 404)
            return
        try:
            body = await _read_body(scope, receive)
        except _Rejected as rejected:
            await _send_json(send, {"code": 413, "message": rejected.message, "data": None}, 413)
            return
        mime = _content_type(scope) or expected
        self.state.media[f"uploads/{path_name}"] = (body, mime)
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]}
        )
        await send({"type": "http.response.body", "body": b""})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        import httpx

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.state.loop = asyncio.get_running_loop()
                self.state.http = httpx.AsyncClient(trust_env=False)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for future in list(self.state.background):
                    future.cancel()
                if self.state.http is not None:
                    await self.state.http.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


_TEXT = {
    401: "Unauthorized",
    402: "Insufficient credits",
    404: "Not found",
    422: "Validation error",
    429: "Rate limited",
    455: "Service unavailable: the system is under maintenance",
    500: "Server error",
    501: "Generation failed",
    505: "Feature disabled",
    503: "Service unavailable",
}


_ENVELOPE_CODES = frozenset({200, 401, 402, 404, 422, 429, 455, 500, 501, 505})


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
