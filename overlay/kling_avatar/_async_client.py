"""The asyncio client: the same flows as `AvatarClient`, driven with awaits."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Awaitable
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Self, TypeVar

import httpx

from ._base_client import (
    DEFAULT_WAIT_TIMEOUT,
    BaseClient,
    Done,
    Flow,
    Notify,
    OnUpdate,
    Send,
    Sleep,
    Step,
    advance,
)
from ._download import (
    DEFAULT_DOWNLOAD_TIMEOUT,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    download_async,
)
from ._exceptions import AvatarError, InvalidRequestError
from ._inputs import Media, read_local_media
from ._models import Task
from ._providers import Server
from ._uploads import FileSource, is_local_file, prepare_upload

if TYPE_CHECKING:
    from ._receiver import Receiver

T = TypeVar("T")


# A file is read in a worker thread, never on the event loop: a slow disk, a network share or
# a large file would stop every other task of the loop meanwhile. URLs skip the thread hop.


async def local_media(image_url: object, audio_url: object) -> tuple[object, object]:
    """The local files among `image_url`/`audio_url` read off the loop (`read_local_media`)."""
    if is_local_file(image_url) or is_local_file(audio_url):
        return await asyncio.to_thread(read_local_media, image_url, audio_url)
    return image_url, audio_url


async def local_upload(source: object, content_type: str | None) -> object:
    """An `upload_file` source that is a local file, read and checked off the loop."""
    if is_local_file(source):
        return await asyncio.to_thread(prepare_upload, source, content_type, field="path_or_bytes")
    return source


class AsyncAvatarClient(BaseClient[httpx.AsyncClient, httpx.AsyncBaseTransport]):
    """The asyncio form of `AvatarClient`: the same arguments and behaviour, every method a
    coroutine. `on_update` may also be a coroutine function. Use it with ``async with``, or
    ``await client.close()``.
    """

    _asynchronous = True

    async def create_task(
        self,
        *,
        image_url: Media,
        audio_url: Media,
        prompt: str = "",
        mode: Literal["std", "pro"] = "pro",
        callback_url: str | None = None,
    ) -> Task:
        """Starts a generation. `image_url`/`audio_url`: a str is an http(s) URL, sent as it is;
        a local file is a `pathlib.Path` or an open binary file, read in a worker thread (a
        regular file, at most 10 MB) and uploaded first. Never sent twice unless the connection
        provably failed before sending."""
        image, audio = await self._local_media(image_url, audio_url)
        return await self._drive(self._create_flow(image, audio, prompt, mode, callback_url))

    async def get_task(self, task_id: str) -> Task:
        """The task as the provider reports it now."""
        return await self._drive(self._get_flow(task_id))

    async def wait_for_task(
        self,
        task_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,  # noqa: ASYNC109 - a deadline, not a cancel scope
        on_update: OnUpdate | None = None,
        not_found_grace: float | None = None,
        receiver: Receiver | None = None,
    ) -> Task:
        """Polls, on the provider's schedule by the task's age, until the task succeeds.

        Calls `on_update(task)` on every state change. Raises GenerationFailedError (with the
        task) when it fails, WaitTimeoutError after `timeout` seconds. A not-found answer within
        `not_found_grace` seconds counts as not there yet (default, for Apikley, which does not
        see a task it has just created: 30 s from the creation of a task this client created,
        6 s from the start of the wait for any other id; 0 for crun).

        With a `receiver` (the task created with one of its callback URLs), returns as soon
        as the receiver has confirmed the task's callback; polling then only backs it up, on
        the receiver's slow `poll_interval`, so a lost callback still ends the wait.
        """
        return await self._drive(
            self._wait_flow(task_id, timeout, on_update, not_found_grace, receiver)
        )

    async def generate(
        self,
        *,
        image_url: Media,
        audio_url: Media,
        prompt: str = "",
        mode: Literal["std", "pro"] = "pro",
        callback_url: str | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,  # noqa: ASYNC109 - a deadline, not a cancel scope
        on_update: OnUpdate | None = None,
        receiver: Receiver | None = None,
    ) -> Task:
        """`create_task` then `wait_for_task`: the finished task. With a `receiver`, the task
        is created with a callback URL it minted (unless `callback_url` is given) and the wait
        ends when that callback arrives."""
        callback_url = self._callback_url(callback_url, receiver)
        image, audio = await self._local_media(image_url, audio_url)
        create = self._create_flow(image, audio, prompt, mode, callback_url)
        return await self._drive(self._generate_flow(create, timeout, on_update, receiver))

    async def get_credits(self) -> float:
        """The account's remaining credits."""
        return await self._drive(self._credits_flow())

    async def upload_file(
        self, path_or_bytes: FileSource, *, content_type: str | None = None
    ) -> str:
        """Uploads a local file (a `pathlib.Path`, an open binary file or the bytes; a regular
        file of at most 10 MB, an accepted image or audio type, detected from the content when
        not given) and returns the URL to pass as `image_url`/`audio_url`. A file is read in a
        worker thread."""
        source = await self._on_behalf(local_upload(path_or_bytes, content_type))
        return await self._drive(self._upload_flow(source, content_type))

    async def _local_media(self, image_url: object, audio_url: object) -> tuple[object, object]:
        return await self._on_behalf(local_media(image_url, audio_url))

    async def _on_behalf(self, read: Awaitable[T]) -> T:
        """`read`'s result; input it rejects names the provider the call was for."""
        try:
            return await read
        except InvalidRequestError as error:
            error.provider = error.provider or self.provider
            raise

    async def download(
        self,
        task: Task,
        to: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        timeout: float = DEFAULT_DOWNLOAD_TIMEOUT,  # noqa: ASYNC109 - a deadline
    ) -> Path:
        """Saves the task's video (its first URL) to `to`, a file or a folder, and returns the
        path. In a folder the name is the task id's safe characters plus a video suffix; the
        file is written to a new temporary file beside it, never through a symlink, its length
        checked against Content-Length, then renamed. An existing file is kept (DownloadError)
        unless `overwrite`. At most `max_bytes`, done within `timeout` seconds; only an http(s)
        URL is fetched, without the API key."""
        plan = self._download_plan(task, to, overwrite, max_bytes, timeout)
        return await download_async(self._client("external"), plan, self.provider)

    @cached_property
    def _slots(self) -> asyncio.Semaphore:
        """At most `max_connections` requests in flight; the rest wait here, in order."""
        return asyncio.Semaphore(self.max_connections)

    async def close(self) -> None:
        """Closes the connections (the client opens new ones if used again)."""
        clients, self._http = self._http, {}
        self.__dict__.pop("_slots", None)  # a semaphore belongs to one event loop
        for client in clients.values():
            await client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _client(self, server: Server) -> httpx.AsyncClient:
        if server not in self._http:
            if server == "external":  # no API key: presigned URLs carry their own authority
                client = httpx.AsyncClient(timeout=self.timeout, **self._httpx_args())
            else:
                client = self._generated_client(server).get_async_httpx_client()
            self._http[server] = self._prepared(client)
        return self._http[server]

    async def _send(self, step: Send) -> httpx.Response:
        """One request, bounded: done within its timeout, at most `max_answer_bytes` read."""
        client = self._client(step.server)
        request = client.build_request(**step.kwargs)
        seconds = self._request_seconds(step)
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
            # Whether the request left is unknown: counted as sent, so a creation is not resent.
            raise httpx.ReadTimeout(
                f"no complete answer within {seconds:g}s", request=request
            ) from None

    async def _drive(self, flow: Flow[T]) -> T:
        reply: object = None
        error: BaseException | None = None
        try:
            while not isinstance(step := advance(flow, reply, error), Done):
                reply, error = await self._perform(step)
            return step.value
        finally:
            flow.close()

    async def _perform(self, step: Step) -> tuple[object, BaseException | None]:
        """Carries out one step: its reply, or the transport error to throw into the flow.
        (The router performs its clients' steps through this too.)"""
        if isinstance(step, Send):
            try:
                async with self._slots:
                    return await self._send(step), None
            except (httpx.HTTPError, httpx.InvalidURL, AvatarError) as exc:
                return None, exc
        if isinstance(step, Sleep):
            if step.wake is None:
                if self._pause is None:
                    await asyncio.sleep(step.seconds)
                else:
                    await self._pause(step.seconds)
            else:  # the receiver may run on another loop or thread: a thread-safe wake
                return await step.wake.wait_async(step.seconds), None
        elif isinstance(step, Notify):
            result = step.callback(step.task)
            if inspect.isawaitable(result):
                await result
        return None, None
