"""What each provider's module of the mock declares: one ``ProviderMock``, named ``MOCK``.

The shared parts (the app, the state machine, the controls, the command line) know a provider
only through it, found from ``kling_avatar._registry``'s names (see ``_lookup``); the provider's
module (``_providers/<name>.py``) holds its handlers, its answers' shapes and its defaults.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import attrs

from .._registry import Provider
from ._asgi import Receive, Scope, Send
from ._state import Lifecycle, MockState

Body = dict[str, Any]


@attrs.frozen
class Reply:
    """A handler's answer with an HTTP status (and headers) of its own, for a provider whose
    answers are not all HTTP 200."""

    body: Any
    status: int = 200
    headers: tuple[tuple[bytes, bytes], ...] = ()


# An operation's handler: the state, then the request's parameters by name (query parameters,
# path parameters, the JSON or form body as ``body``, an uploaded ``file``).
Handler = Callable[..., Awaitable[Body | Reply]]
# A route outside the specs (a presigned upload URL), answered as ASGI.
RawHandler = Callable[[MockState, Scope, Receive, Send], Awaitable[None]]


class Envelope(Protocol):
    """The provider's answer envelope around ``data``, with its code and text."""

    def __call__(self, code: int, message: str, data: Any = None) -> Body: ...


@attrs.frozen
class ProviderMock:
    """Everything the mock does one provider's way."""

    name: Provider
    title: str  # as the mock's messages name it ("Apikley")
    default_key: str  # the main account's key when none is given
    key_variable: str  # the environment variable a key is taken from, as the client does
    base_url_variable: str  # the one the client takes its base URL from
    lifecycle: Lifecycle
    # operationId -> handler, for every operation of the provider's spec.
    handlers: Mapping[str, Handler]
    envelope: Envelope
    # The answer refusing a call of operation ``operation_id`` with ``code`` (a wrong key):
    # an API of the provider's may have a shape of its own.
    refusal: Callable[[str, int, str], Body]
    # The answer to a call of operation ``operation_id`` that its spec rejects.
    rejection: Callable[[str, str], Body]
    # (method, path prefix) -> handler, for what the provider serves beside its spec.
    raw_routes: Mapping[tuple[str, str], RawHandler] = attrs.field(factory=dict)
    # What the provider answers a read of a task created a moment ago, before it can be read
    # (``MockServer(null_reads=...)`` scripts it); None: its tasks are readable at once.
    null_read: str | None = None
    # The creation limit the provider documents (creations, seconds), if it documents one.
    documented_rate_limit: tuple[int, float] | None = None
    # Whether its answers carry their code as the HTTP status, with no envelope (a refusal
    # 401, a rejected request 422, a server error 500); else every answer is HTTP 200.
    http_statuses: bool = False

    def status(self, code: int) -> int:
        """The HTTP status an answer of `code` is sent with."""
        return code if self.http_statuses else 200
