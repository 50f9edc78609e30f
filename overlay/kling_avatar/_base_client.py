"""What the blocking and the asyncio client share: their settings, checked once.

A client is a `Session` (`_flows`: the provider's adapter and the settings every operation
reads) and a channel (`_transport`: its connections); each of its methods drives one flow of
`_flows` through `_drive`. Nothing here sends a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Self, TypeVar

import attrs
import httpx

from ._exceptions import AuthenticationError, InvalidRequestError
from ._flows import Session
from ._inputs import check_url, is_loopback_url, positive_int
from ._limits import DEFAULT_MAX_ANSWER_BYTES
from ._models import Provider
from ._providers import Adapter, Server, adapter_class
from ._redact import has_userinfo
from ._retry import Backoff
from ._steps import Clock
from ._tls import tls_context
from ._traffic import TrafficRecorder, recorder_for
from ._transport import AsyncChannel, SyncChannel

__all__ = ["DEFAULT_MAX_RETRIES", "DEFAULT_TIMEOUT", "DEFAULT_WAIT_TIMEOUT", "BaseClient", "Clock"]

TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_WAIT_TIMEOUT = 600.0  # kie.ai: give up after 10-15 minutes
# Requests in flight per client, and connections per server: httpcore's pool does work per
# waiting request x connection on every change, so more requests than connections at once
# (1,000 concurrent generations) cost quadratic time; the client queues the rest itself.
DEFAULT_MAX_CONNECTIONS = 64
_MAX_KEEPALIVE = 20


class BaseClient(Generic[TransportT]):
    _asynchronous: ClassVar[bool] = False  # which kind of transport the traffic recorder wraps
    _channel_class: ClassVar[type[SyncChannel | AsyncChannel]]

    def __init__(
        self,
        provider: Provider,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_delay: float = 0.5,
        poll_interval: float | None = None,
        transport: TransportT | None = None,
        record_traffic: str | os.PathLike[str] | TrafficRecorder | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        models: Mapping[str, str] | None = None,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    ) -> None:
        """`models` names the model sent for each mode (``{"std": ...}``) where the provider
        picks the mode by model name (Apikley); the defaults are the adapter's."""
        kind = adapter_class(provider)
        name: Provider = kind.name
        key = api_key if api_key is not None else os.environ.get(kind.key_env, "")
        if not key:
            raise AuthenticationError(
                f"no API key: pass api_key= or set {kind.key_env}", provider=name
            )
        if not (key.isascii() and key.isprintable()) or any(c.isspace() for c in key):
            # An HTTP header cannot carry it; say so without echoing it.
            raise AuthenticationError(
                "the API key has characters an HTTP header cannot carry", provider=name
            )
        url = base_url or os.environ.get(kind.base_url_env) or kind.default_base_url
        if isinstance(url, str) and has_userinfo(url):
            # httpx would send them as Basic auth in place of Apikley's Bearer key, and every
            # URL shown (log lines, recordings, messages) would carry them: refused, unquoted.
            raise InvalidRequestError(
                f"base_url (or ${kind.base_url_env}): credentials in the URL (user:password@) "
                f"are refused; the API key goes in api_key= or ${kind.key_env}",
                provider=name,
                field="base_url",
            )
        self.provider: Provider = name
        self.base_url = check_url(url, "base_url").rstrip("/")
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.max_connections = positive_int("max_connections", max_connections, name)
        self.max_answer_bytes = positive_int("max_answer_bytes", max_answer_bytes, name)
        self.max_prompt = kind.max_prompt  # the longest prompt the provider takes
        # Opt-in: every exchange, redacted, to a JSON Lines file (kling_avatar._traffic).
        self._recorder = None if record_traffic is None else recorder_for(record_traffic, [key])
        self._transport: TransportT | None = transport
        # URLs in answers may name this machine only when the API itself is here (the mock).
        adapter = kind(
            key, models, allow_loopback=is_loopback_url(self.base_url), base_url=self.base_url
        )
        schedule = adapter.poll_schedule
        self.session = Session(
            adapter,
            self._channel(),
            timeout=self.timeout,
            max_retries=self.max_retries,
            retry_backoff=Backoff(retry_delay, factor=2.0, maximum=max(8.0, retry_delay)),
            # A poll_interval given scales the provider's schedule (its shortest pause is it).
            poll_scale=1.0 if poll_interval is None else poll_interval / schedule.bands[0][1],
        )
        """What this client's operations run on: `kling_avatar._flows` takes it."""

    def _channel(self) -> SyncChannel | AsyncChannel:
        """The client's connections (`_transport`), opening the httpx client of each server."""
        return self._channel_class(
            self.provider,
            self._open,
            timeout=self.timeout,
            max_answer_bytes=self.max_answer_bytes,
            max_connections=self.max_connections,
        )

    def _open(self, server: Server) -> Any:
        """A new httpx client for `server`, of the subclass's kind."""
        raise NotImplementedError

    def use_clock(self, clock: Clock) -> Self:
        """Read time from ``clock`` and pause through it instead of sleeping.

        For tests: ``kling_avatar.testing.MockClock`` moves the mock's clock by each pause, so
        a wait of 600 s of task time takes milliseconds with the same polls and deadlines.
        """
        self.session = attrs.evolve(self.session, clock=clock)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.provider!r}, base_url={self.base_url!r})"

    def _generated_client(self, server: Server) -> Any:
        """The generated AuthenticatedClient for `server` (it keeps the key out of its repr)."""
        adapter: Adapter = self.session.adapter
        return adapter.client(adapter.server_url(server), self.timeout, self._httpx_args())

    def _httpx_args(self) -> dict[str, Any]:
        if self._transport is None and self._recorder is None:
            return {"limits": self._limits()}
        transport: Any = self._transport
        if self._recorder is not None:
            if transport is None:
                default = httpx.AsyncHTTPTransport if self._asynchronous else httpx.HTTPTransport
                transport = default(limits=self._limits(), verify=tls_context())
            transport = self._recorder.wrap(transport, asynchronous=self._asynchronous)
        return {"transport": transport}

    def _limits(self) -> httpx.Limits:
        # Few idle connections kept: httpcore checks each idle one against every other on
        # every request (1,000 generations: 4.5 s of CPU with 20 kept, 7.9 s with 64).
        n = self.max_connections
        return httpx.Limits(max_connections=n, max_keepalive_connections=min(n, _MAX_KEEPALIVE))
