"""connexion 3 validates each request against the spec of its operation, then runs its handler.

Everything connexion would answer the HTTP way (400 and 415 problem documents, a 500 on a bug)
is answered the providers' way instead: HTTP 200 with envelope code 422 naming the field (or 500).
"""

from __future__ import annotations

import json
import logging
import threading
import warnings
from typing import Any, ClassVar
from urllib.parse import parse_qs

with warnings.catch_warnings():
    # connexion imports starlette's test client, which warns about httpx on import.
    warnings.simplefilter("ignore")
    from connexion import ConnexionMiddleware
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import ProblemException, TypeValidationError
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.utils import coerce_type
from connexion.validators import (
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from ._asgi import ROUTE_KEY, STATE_KEY, Receive, Scope, Send, content_type, dumps, send_json
from ._fastpath import FastOperation
from ._fastpath import fast_operations as _fast_operations
from ._lookup import provider_mock
from ._provider_mock import Reply
from ._ratelimit import RateLimited
from ._specs import Route, spec_parts
from ._state import MockState

logger = logging.getLogger("kling_avatar.testing")
# connexion logs each rejected request (a form's at ERROR); here a rejection is an ordinary
# answer (envelope 422), not something to alarm a test log with.
logging.getLogger("connexion.validators").setLevel(logging.CRITICAL)


def query_kwargs(scope: Scope) -> dict[str, Any]:
    """The query parameters by name (the first of repeated ones), as the handlers take them."""
    return {
        name: values[0]
        for name, values in parse_qs(scope["query_string"].decode("latin-1")).items()
    }


async def run_handler(state: MockState, route: Route, kwargs: dict[str, Any], send: Send) -> None:
    """Run a validated request's handler and send its answer."""
    kind = provider_mock(route.provider)
    try:
        body = await kind.handlers[route.operation_id](state, **kwargs)
    except RateLimited as limited:
        # Both specs' RateLimited response: HTTP 429, Retry-After, the envelope's code 429.
        refusal = kind.envelope(429, "Rate limited: too many task creations")
        await send_json(send, refusal, 429, [(b"retry-after", limited.retry_after.encode())])
        return
    except Exception as exc:
        # A bug in the mock, not an answer a provider gives: kept for the test to see,
        # answered the way the providers answer their own server errors.
        logger.error("mock error in %s", route.operation_id, exc_info=exc)
        state.record_error(f"{route.operation_id}: {type(exc).__name__}: {exc}")
        body = Reply(kind.envelope(500, "Server error"), kind.status(500))
    if isinstance(body, Reply):
        await send_json(send, body.body, body.status, body.headers)
    else:
        await send_json(send, body)


async def _dispatch(scope: Scope, receive: Receive, send: Send) -> None:
    """The app behind connexion's validation: the request is valid, run its handler."""
    state: MockState = scope[STATE_KEY]
    route: Route = scope[ROUTE_KEY]
    kwargs = query_kwargs(scope)
    # e.g. /Models/{model}: as the route was matched (connexion's router finds none in a
    # parameter holding a line break).
    kwargs.update(scope.get("path_params") or {})
    kwargs.update(route.params)
    if route.method == "POST":
        if content_type(scope) == "multipart/form-data":
            try:
                form = await Request(scope, receive).form()
            except MultiPartException as exc:
                kind = provider_mock(route.provider)
                body = kind.rejection(route.operation_id, f"multipart body: {exc}")
                await send_json(send, body, kind.status(422))
                return
            kwargs["body"] = {k: v for k, v in form.items() if isinstance(v, str)}
            kwargs["file"] = form.get("file")
        else:
            chunks = [message.get("body", b"") async for message in _drain(receive)]
            kwargs["body"] = json.loads(b"".join(chunks))
    await run_handler(state, route, kwargs, send)


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
    route: Route = request.scope[ROUTE_KEY]
    assert isinstance(exc, ProblemException)
    if 400 <= exc.status < 500:
        kind = provider_mock(route.provider)
        body = kind.rejection(route.operation_id, _problem_message(exc))
        return ConnexionResponse(kind.status(422), "application/json", body=dumps(body))
    return _on_error(request, exc)


def _on_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    route: Route = request.scope[ROUTE_KEY]
    kind = provider_mock(route.provider)
    if isinstance(exc, MultiPartException):
        # connexion's form validation parses the body with starlette, which raises this.
        body = kind.rejection(route.operation_id, f"multipart body: {exc}")
        return ConnexionResponse(kind.status(422), "application/json", body=dumps(body))
    state: MockState = request.scope[STATE_KEY]
    logger.error("mock error in %s", route.operation_id, exc_info=exc)
    state.record_error(f"{route.operation_id}: {type(exc).__name__}: {exc}")
    body = kind.envelope(500, "Server error")
    return ConnexionResponse(kind.status(500), "application/json", body=dumps(body))


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


class _TypedHeaderValidator(ParameterValidator):  # type: ignore[misc]
    """connexion's parameter validator, with a header read as its schema's type first, as it
    reads query and path parameters (it validates a header as the string it arrived as, so a
    number header such as fal's X-Fal-Request-Timeout was never valid)."""

    def validate_header_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        value = request.headers.get(param["name"])
        if value is not None:
            try:
                value = coerce_type(param, value, "header", param["name"])
            except TypeValidationError as exc:
                return str(exc)
        error: str | None = self.validate_parameter("header", value, param)
        return error


_build_lock = threading.Lock()
_built: list[ConnexionMiddleware] = []
_fast: list[dict[str, FastOperation]] = []


def fast_operations() -> dict[str, FastOperation]:
    """The compiled checks of the operations served without connexion (see _fastpath)."""
    # From the specs connexion has read for the validator: reading one again (checking it
    # against OpenAPI's schema) cost as much as the first time, in every process that serves.
    specs = [api.specification for api in validator().apis]
    with _build_lock:
        if not _fast:
            _fast.append(_fast_operations(specs))
        return _fast[0]


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
            "parameter": _TypedHeaderValidator,
            "body": MediaTypeDict(
                {
                    "*/*json": _CachedJSONBodyValidator,
                    "application/x-www-form-urlencoded": FormDataValidator,
                    "multipart/form-data": MultiPartFormDataValidator,
                }
            ),
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
