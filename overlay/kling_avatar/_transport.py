"""One client's connections: where a `Send` or a `Fetch` step becomes a bounded request.

A channel holds the client's httpx clients (one per server: the API, the provider's upload
server, and "external" for presigned URLs and videos, which never carries the key), its
concurrency slots, and the bounds every request gets: a whole-request deadline (`_deadlines`
for the blocking channel, `asyncio.timeout` for the async one) and at most `max_answer_bytes`
read and decompressed (`_limits.BoundedBody`). The drivers (`_drive`) call `send` and `fetch`;
nothing else sends.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import httpx

from ._deadlines import check_deadline, deadline, end_deadline, start_deadline
from ._download import Download, DownloadPlan
from ._httpx_internals import install_deadlines, keep_no_cookies
from ._limits import ACCEPT_ENCODING, BoundedBody, framed_within, too_large

if TYPE_CHECKING:
    import asyncio

    from ._providers import Server

__all__ = ["AsyncChannel", "SyncChannel"]

HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)


class _Channel(Generic[HttpT]):
    """What both channels share: the httpx clients, opened on first use, and the answer bounds.

    `open(server)` makes the httpx client for a server (the generated client, carrying the key
    the provider's way, or a plain one for "external").
    """

    def __init__(
        self,
        provider: str,
        open: Callable[[Server], HttpT],
        *,
        timeout: float,
        max_answer_bytes: int,
        max_connections: int,
    ) -> None:
        self.provider = provider
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self.max_connections = max_connections
        self._open: Callable[[Server], HttpT] = open
        self._http: dict[Server, HttpT] = {}

    def client(self, server: Server) -> HttpT:
        """The httpx client for `server`, opened on first use."""
        if server not in self._http:
            client = self._open(server)
            # Only the encodings the bounded reader decodes (httpx would also offer br and zstd
            # when their packages are installed).
            client.headers["Accept-Encoding"] = ACCEPT_ENCODING
            keep_no_cookies(client)
            self._http[server] = self._prepared(client)
        return self._http[server]

    def _prepared(self, client: HttpT) -> HttpT:
        return client

    def _seconds(self, kwargs: dict[str, object]) -> float:
        """The whole request (connect, send, every read) must end within this."""
        timeout = kwargs.get("timeout", self.timeout)
        return float(timeout) if isinstance(timeout, int | float) else self.timeout

    def _answer_body(self, response: httpx.Response) -> BoundedBody | None:
        """The bounded reader of `response`'s body, or None when httpx may read it itself: it
        is read already (a test's MockTransport hands it back so), or it comes unencoded with a
        Content-Length within the cap, where HTTP's framing ends the read at that length (then
        `_read` checks the size, and the deadline bounds each read in time)."""
        if response.is_stream_consumed or framed_within(response.headers, self.max_answer_bytes):
            return None
        return BoundedBody(response.headers, self.max_answer_bytes, self.provider)

    def _read(self, response: httpx.Response) -> httpx.Response:
        """`response`, read by httpx (see `_answer_body`), once its size is within the cap."""
        if len(response.content) > self.max_answer_bytes:
            raise too_large(self.max_answer_bytes, "more bytes arrived", self.provider)
        return response


class SyncChannel(_Channel[httpx.Client]):
    """The blocking client's connections; safe to share across threads."""

    def __init__(
        self,
        provider: str,
        open: Callable[[Server], httpx.Client],
        *,
        timeout: float,
        max_answer_bytes: int,
        max_connections: int,
    ) -> None:
        super().__init__(
            provider,
            open,
            timeout=timeout,
            max_answer_bytes=max_answer_bytes,
            max_connections=max_connections,
        )
        # At most `max_connections` requests in flight, across threads: each takes a token
        # and puts it back, the rest wait for one. A queue of tokens, not a semaphore:
        # `threading.Semaphore` runs a Condition in Python, a SimpleQueue's get and put are C.
        self._free: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(max_connections):
            self._free.put(None)

    def _prepared(self, client: httpx.Client) -> httpx.Client:
        return install_deadlines(client)

    @contextlib.contextmanager
    def _slot(self) -> Iterator[None]:
        self._free.get()
        try:
            yield
        finally:
            self._free.put(None)

    def send(self, server: Server, kwargs: dict[str, object]) -> httpx.Response:
        """One request, bounded: done within its timeout, at most `max_answer_bytes` read."""
        # `_slot` and `deadline`, written out: every request passes here.
        self._free.get()
        token = start_deadline(self._seconds(kwargs))
        try:
            client = self.client(server)
            response = client.send(client.build_request(**kwargs), stream=True)  # type: ignore[arg-type]
            try:
                body = self._answer_body(response)
                if body is None:
                    response.read()
                    return self._read(response)
                for chunk in response.iter_raw():
                    body.feed(chunk)
                    check_deadline()
                return body.response(response)
            finally:
                response.close()
        finally:
            end_deadline(token)
            self._free.put(None)

    def fetch(self, plan: DownloadPlan) -> Path:
        """Streams the video `plan` names into its file (`_download.Download`); the path."""
        job = Download(plan, self.provider)
        client = self.client("external")
        try:
            with self._slot(), deadline(plan.timeout):
                while True:
                    with client.stream(**job.request()) as response:
                        if not job.head(response):
                            continue
                        for chunk in response.iter_raw():
                            job.feed(chunk)
                            check_deadline()
                        return job.finish()
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise job.transport_failure(exc) from exc
        finally:
            job.cleanup()

    def close(self) -> None:
        """Closes the connections (new ones are opened if the channel is used again)."""
        clients, self._http = self._http, {}
        for client in clients.values():
            client.close()


class AsyncChannel(_Channel[httpx.AsyncClient]):
    """The asyncio client's connections."""

    _slots: asyncio.Semaphore | None = None

    @property
    def slots(self) -> asyncio.Semaphore:
        """At most `max_connections` requests in flight; the rest wait here, in order."""
        if self._slots is None:
            import asyncio

            self._slots = asyncio.Semaphore(self.max_connections)
        return self._slots

    async def send(self, server: Server, kwargs: dict[str, object]) -> httpx.Response:
        """One request, bounded: done within its timeout, at most `max_answer_bytes` read."""
        import asyncio

        async with self.slots:
            client = self.client(server)
            request = client.build_request(**kwargs)  # type: ignore[arg-type]
            seconds = self._seconds(kwargs)
            try:
                async with asyncio.timeout(seconds):
                    response = await client.send(request, stream=True)
                    try:
                        body = self._answer_body(response)
                        if body is None:
                            await response.aread()
                            return self._read(response)
                        async for chunk in response.aiter_raw():
                            body.feed(chunk)
                        return body.response(response)
                    finally:
                        await response.aclose()
            except TimeoutError:
                # Whether the request left is unknown: counted as sent, so a creation is not
                # resent.
                raise httpx.ReadTimeout(
                    f"no complete answer within {seconds:g}s", request=request
                ) from None

    async def fetch(self, plan: DownloadPlan) -> Path:
        """Streams the video `plan` names into its file (`_download.Download`); the path."""
        import asyncio

        job = Download(plan, self.provider)
        try:
            async with self.slots:
                try:
                    async with asyncio.timeout(plan.timeout):
                        await self._receive(job)
                except TimeoutError:
                    raise job.transport_failure(httpx.ReadTimeout("deadline")) from None
                except (httpx.HTTPError, httpx.InvalidURL) as exc:
                    raise job.transport_failure(exc) from exc
            # fsync and rename block for as long as the disk takes (tens of milliseconds for a
            # video): in a thread, so that the event loop serves everything else meanwhile. The
            # timeout bounds the server, not the local disk; a cancel waits for the thread, so
            # that the cleanup never races it.
            finishing = asyncio.ensure_future(asyncio.to_thread(job.finish))
            try:
                return await asyncio.shield(finishing)
            except asyncio.CancelledError:
                await asyncio.wait({finishing})
                if not finishing.cancelled():
                    finishing.exception()  # retrieved: the cancel is what the caller gets
                raise
        finally:
            job.cleanup()

    async def _receive(self, job: Download) -> None:
        client = self.client("external")
        while True:
            async with client.stream(**job.request()) as response:
                if job.head(response):
                    async for chunk in response.aiter_raw():
                        job.feed(chunk)  # into the page cache: microseconds a chunk
                    return

    async def close(self) -> None:
        """Closes the connections (new ones are opened if the channel is used again)."""
        clients, self._http = self._http, {}
        self._slots = None  # a semaphore belongs to one event loop
        for client in clients.values():
            await client.aclose()
