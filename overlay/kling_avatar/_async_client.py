"""The asyncio client: the flows of `_flows`, driven by `_drive.run_async`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from pathlib import Path
from types import TracebackType
from typing import Literal, Self, TypeVar, cast

import httpx

from . import _flows as flows
from ._base_client import DEFAULT_WAIT_TIMEOUT, BaseClient
from ._download import DEFAULT_DOWNLOAD_TIMEOUT, DEFAULT_MAX_DOWNLOAD_BYTES
from ._drive import run_async
from ._exceptions import InvalidRequestError
from ._flows import OnUpdate, Watcher
from ._inputs import Media, read_local_media
from ._models import Task
from ._providers import Server
from ._tls import tls_context
from ._transport import AsyncChannel
from ._uploads import FileSource, is_local_file, prepare_upload

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


class AsyncAvatarClient(BaseClient[httpx.AsyncBaseTransport]):
    """The asyncio form of `AvatarClient`: the same arguments and behaviour, every method a
    coroutine. `on_update` may also be a coroutine function. Use it with ``async with``, or
    ``await client.close()``.
    """

    _asynchronous = True
    _channel_class = AsyncChannel

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
        return await run_async(flows.create(self.session, image, audio, prompt, mode, callback_url))

    async def get_task(self, task_id: str) -> Task:
        """The task as the provider reports it now."""
        return await run_async(flows.get(self.session, task_id))

    async def wait_for_task(
        self,
        task_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,  # noqa: ASYNC109 - a deadline, not a cancel scope
        on_update: OnUpdate | None = None,
        not_found_grace: float | None = None,
        receiver: Watcher | None = None,
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
        return await run_async(
            flows.wait(self.session, task_id, timeout, on_update, not_found_grace, receiver)
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
        receiver: Watcher | None = None,
    ) -> Task:
        """`create_task` then `wait_for_task`: the finished task. With a `receiver`, the task
        is created with a callback URL it minted (unless `callback_url` is given) and the wait
        ends when that callback arrives."""
        image, audio = await self._local_media(image_url, audio_url)
        return await run_async(
            flows.generate(
                self.session, image, audio, prompt, mode, callback_url, timeout, on_update, receiver
            )
        )

    async def cancel_task(self, task_id: str) -> bool:
        """Asks the provider to cancel the task: True when it took the request (the task may
        still finish, and be paid for: read it again), False when the task had already
        finished. NotSupportedError, with nothing sent, where the provider cannot cancel."""
        return await run_async(flows.cancel(self.session, task_id))

    async def get_credits(self) -> float:
        """The account's remaining credits."""
        return await run_async(flows.credits(self.session))

    async def upload_file(
        self, path_or_bytes: FileSource, *, content_type: str | None = None
    ) -> str:
        """Uploads a local file (a `pathlib.Path`, an open binary file or the bytes; a regular
        file of at most 10 MB, an accepted image or audio type, detected from the content when
        not given) and returns the URL to pass as `image_url`/`audio_url`. A file is read in a
        worker thread."""
        source = await self._on_behalf(local_upload(path_or_bytes, content_type))
        return await run_async(flows.upload_source(self.session, source, content_type))

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
        return await run_async(
            flows.download(
                self.session, task, to, overwrite=overwrite, max_bytes=max_bytes, timeout=timeout
            )
        )

    async def close(self) -> None:
        """Closes the connections (the client opens new ones if used again)."""
        await cast(AsyncChannel, self.session.channel).close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _open(self, server: Server) -> httpx.AsyncClient:
        if server == "external":  # no API key: presigned URLs carry their own authority
            return httpx.AsyncClient(
                timeout=self.timeout, verify=tls_context(), **self._httpx_args()
            )
        return cast(httpx.AsyncClient, self._generated_client(server).get_async_httpx_client())
