"""The mock in process: httpx transports straight into its ASGI app, no socket, no thread.

``AvatarClient("crun", api_key=mock.crun_key, transport=mock.transport())`` talks to the same
stateful, spec-validated app a :class:`MockServer` serves, called as a function: nothing
listens on a port and no server thread runs. The async transport is httpx's own
``ASGITransport`` on the caller's loop. httpx has no sync transport for an ASGI app (and the
ways to get one, Starlette's ``TestClient`` and ``a2wsgi``, both run the app's loop in a worker
thread); the sync transport here runs each request to completion on an event loop of its own,
in the calling thread, which is all a sync client needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack

import httpx

from .._registry import Provider
from ._app import MockApp
from ._controls import MockControls
from ._outgoing import CallbackDelivery
from ._providers._names import ProviderOptions
from ._state import DEFAULT_CALLBACK_ATTEMPTS, DEFAULT_CALLBACK_BACKOFF, DEFAULT_EXPIRE_AFTER

T = TypeVar("T")

# Where the in-process mock says its files are (results, uploads): a name that cannot resolve
# (RFC 2606), so a URL of it that escapes the transport fails instead of reaching anyone.
IN_PROCESS_BASE_URL = "http://kling-mock.invalid"
# A bound on each request and on waiting for callbacks in the sync transport's own loop.
_SYNC_LIMIT = 60.0


class InProcessMock(MockControls):
    """Both providers' mock APIs, reached through httpx transports instead of a port.

    Takes :class:`MockServer`'s options (but ``port`` and ``header_timeout``, which are the
    socket's) and has its scripting calls: ``fault``, ``advance``, ``step``, ``calls``,
    ``set_credits``, ``callbacks``, ``errors``. Use one of the two transports per mock at a
    time: the sync one runs the app on a loop of its own (so not from inside a running event
    loop: use :meth:`async_transport` there), the async one on the loop of the request.
    Results and upload URLs are under ``base_url`` (``http://kling-mock.invalid``), which
    only the transports reach.

    Callbacks (``callback_url``) are still POSTed over HTTP, to loopback hosts only, the one
    thing that opens a socket; with the sync transport they are sent before each request
    returns and before :meth:`advance` returns.
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
        callback_attempts: int = DEFAULT_CALLBACK_ATTEMPTS,
        callback_backoff: float = DEFAULT_CALLBACK_BACKOFF,
        rate_limits: Mapping[str, tuple[int, float]] | None = None,
        expire_after: float = DEFAULT_EXPIRE_AFTER,
        log: Callable[[str], None] | None = None,
        base_url: str = IN_PROCESS_BASE_URL,
        **per_provider: Unpack[ProviderOptions],
    ) -> None:
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
        self.base_url = base_url.rstrip("/")
        self.state.base_url = self.base_url
        self.state.in_process = True
        self.app = MockApp(self.state, log=log)
        self._asgi = httpx.ASGITransport(app=self.app)
        self._loop: asyncio.AbstractEventLoop | None = None  # the sync transport's

    def __repr__(self) -> str:
        return f"InProcessMock(base_url={self.base_url!r})"

    # -- the transports ----------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """A transport for ``httpx.Client`` / ``AvatarClient(transport=...)``."""
        return _SyncTransport(lambda request: self._run(self.handle(request)))

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """A transport for ``httpx.AsyncClient`` / ``AsyncAvatarClient(transport=...)``."""
        return _AsyncTransport(self)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """One request through the app, on the running loop; the answer read whole."""
        loop = asyncio.get_running_loop()
        if self.state.loop is not loop:
            self._bind()
        # The client's read timeout bounds the answer, as on a socket (a "slow" fault).
        seconds = (request.extensions.get("timeout") or {}).get("read")
        try:
            async with asyncio.timeout(seconds):
                response = await self._asgi.handle_async_request(request)
                body = b"".join([chunk async for chunk in response.aiter_raw()])
        except ConnectionAbortedError:  # a "drop" fault: what a closed connection raises
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
        except TimeoutError:
            raise httpx.ReadTimeout("the mock did not answer in time", request=request) from None
        # A stream, as from a socket: the client may read it raw (a download does).
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(body),
            request=request,
        )

    def _bind(self) -> None:
        """Move the state's timers and callbacks to the running loop (a new test's loop)."""
        state = self.state
        state.leave_loop()
        self.app.startup()
        state.settle_due()

    # -- the sync side's loop ----------------------------------------------------------

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the sync transport's loop, in this thread, then the background work
        it started (callbacks)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # no loop runs in this thread: the sync side may run its own
        else:
            work.close()
            raise RuntimeError(
                "the in-process mock's sync transport was called from a running event loop,"
                " which it cannot block: give the async client mock.async_transport()"
            )
        loop = self._loop
        if loop is None or loop.is_closed():
            loop = self._loop = asyncio.new_event_loop()
        return loop.run_until_complete(self._with_background(work))

    async def _with_background(self, work: Coroutine[Any, Any, T]) -> T:
        async with asyncio.timeout(_SYNC_LIMIT):
            result = await work
            await self._idle()
        return result

    async def _idle(self) -> None:
        await asyncio.sleep(0)  # what advance() scheduled runs first
        await self.state.quiet()

    # -- scripting that waits ------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the mock's clock forward; tasks whose time is up finish at once (with the sync
        transport their callbacks are sent before this returns)."""
        self.state.advance(seconds)
        loop = self.state.loop
        if loop is not None and loop is self._loop and not loop.is_running():
            self._run(asyncio.sleep(0))

    def wait_callbacks(self, count: int, timeout: float = 5.0) -> list[CallbackDelivery]:
        if self._sync_side():
            self._run(asyncio.sleep(0))
            if len(self.state.callbacks) < count:
                raise TimeoutError(f"{len(self.state.callbacks)} of {count} callbacks")
            return self.callbacks
        return super().wait_callbacks(count, timeout)

    async def idle(self) -> None:
        """Wait, on the async transport's loop, until the callbacks under way have been sent
        or wait for a later time of the mock's clock (a retry: ``advance`` brings it forward);
        bound it with ``asyncio.timeout``."""
        await self._idle()

    def wait_idle(self, timeout: float = 5.0) -> None:
        if self._sync_side():
            self._run(asyncio.sleep(0))
            return
        super().wait_idle(timeout)

    def _sync_side(self) -> bool:
        loop = self._loop
        return loop is not None and self.state.loop is loop and not loop.is_running()

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Cancel what is left of the background work, close the sync side's loop."""
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            if self.state.loop is loop:
                loop.run_until_complete(self.app.shutdown())
            loop.close()
        self.state.loop = None

    async def aclose(self) -> None:
        """:meth:`close` from the async side, on the loop the async transport used."""
        if self.state.loop is asyncio.get_running_loop():
            await self.app.shutdown()
            self.state.loop = None
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class _SyncTransport(httpx.BaseTransport):
    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self._answer = answer  # the mock's answer, on the sync side's loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # The sync request's body is a sync stream; the ASGI side reads an async one.
        body = request.read()
        copy = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )
        response = self._answer(copy)
        response.request = request
        return response

    def close(self) -> None:
        # A client closing ends its own use, not the mock: others may still talk to it.
        pass


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, mock: InProcessMock) -> None:
        self._mock = mock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._mock.handle(request)

    async def aclose(self) -> None:
        pass
