"""MockServer: the mock on a free loopback port, in a background thread."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Self, Unpack

import uvicorn

from .._http_guard import DEFAULT_HEADER_TIMEOUT
from .._http_guard import guarded_protocol as _guarded_protocol
from .._registry import Provider
from .._serving import QuickServer, loopback_socket
from ._app import MockApp
from ._controls import MockControls
from ._providers._names import ProviderOptions
from ._state import DEFAULT_CALLBACK_ATTEMPTS, DEFAULT_CALLBACK_BACKOFF, DEFAULT_EXPIRE_AFTER


class MockServer(MockControls):
    """Both providers' APIs on ``http://127.0.0.1:<port>``, stateful, scriptable.

    Use as a context manager (or call :meth:`start` / :meth:`stop`)::

        with MockServer(step=0.0, credits=100.0) as mock:
            client = SomeClient(base_url=mock.base_url, api_key=mock.crun_key)
            mock.fault("envelope", operation="getTaskInfo", code=455, times=2)

    Each provider has two accounts: ``keys[name]`` (``mock.crun_key``) and ``other_keys[name]``
    (``mock.other_crun_key``), whose tasks are their own; see :class:`MockControls`.

    Finished tasks, stored files and unused upload URLs are forgotten ``expire_after`` seconds
    (of the mock's clock) after they finished or were stored, so a mock left running stays
    small; a task read after that is not found. A connection that takes longer than
    ``header_timeout`` seconds to send a request's headers is closed. ``log``, when given,
    is called with one line per request (method, path, operation, HTTP status and envelope
    code); paths only, so no query string (a presigned signature) is ever in it.

    ``rate_limits`` enforces creation limits per provider, e.g. ``{"apikley": (20, 10.0)}``
    (kie.ai's documented 20 creations per 10 s per account): at most that many tasks created
    per account (API key) in any sliding window of that many seconds, on the mock's clock
    (``advance`` moves it). Over the limit a creation is rejected, not queued: HTTP 429 with
    ``Retry-After`` and envelope code 429, as both specs describe; nothing is created or
    charged. Off (None) by default.

    A callback that is refused (no connection, a timeout, a non-2xx answer) is retried as real
    providers do: ``callback_attempts`` attempts in all (default 10), the delay doubling from
    ``callback_backoff`` seconds (default 15: about two hours in all, as fal.ai documents) on
    the mock's clock, so ``advance`` brings the next attempt forward. Tests shorten both.
    Every attempt is in :attr:`callbacks`, with its status or error and the delay to the next.
    """

    def __init__(
        self,
        *,
        step: float = 0.0,
        credits: float = 100.0,
        seed: int | None = None,
        webhook_key: str | None = None,
        keys: Mapping[Provider, str] | None = None,
        other_keys: Mapping[Provider, str] | None = None,
        null_reads: Mapping[Provider, int] | None = None,
        port: int = 0,
        callback_attempts: int = DEFAULT_CALLBACK_ATTEMPTS,
        callback_backoff: float = DEFAULT_CALLBACK_BACKOFF,
        rate_limits: Mapping[str, tuple[int, float]] | None = None,
        expire_after: float = DEFAULT_EXPIRE_AFTER,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        log: Callable[[str], None] | None = None,
        **per_provider: Unpack[ProviderOptions],
    ) -> None:
        if not (isinstance(header_timeout, int | float) and 0 < header_timeout < math.inf):
            raise ValueError("header_timeout must be a finite number of seconds > 0")
        super().__init__(
            step=step,
            credits=credits,
            seed=seed,
            webhook_key=webhook_key,
            keys=keys,
            other_keys=other_keys,
            null_reads=null_reads,
            callback_attempts=callback_attempts,
            callback_backoff=callback_backoff,
            rate_limits=rate_limits,
            expire_after=expire_after,
            **per_provider,
        )
        self._header_timeout = float(header_timeout)
        self._log = log
        self._port = port
        self._server: QuickServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def __repr__(self) -> str:
        # The keys stay out of it, like everywhere else.
        return f"MockServer(base_url={self.base_url!r})"

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("this MockServer is already running")
        sock = loopback_socket(self._port)
        port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.state.base_url = self.base_url
        config = uvicorn.Config(
            MockApp(self.state, log=self._log),
            http=_guarded_protocol(self._header_timeout),
            lifespan="on",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            # No Server/Date headers and no reload/signal handling: it runs in a thread.
            server_header=False,
            date_header=False,
        )
        server = QuickServer(config)
        try:
            self._thread = server.start_in_thread(sock, f"kling-mock-{port}")
        except RuntimeError:
            raise RuntimeError("the mock server did not start") from None
        self._server = server
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.stop_thread(thread)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
