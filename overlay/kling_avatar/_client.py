"""The blocking client: the flows of `_flows`, driven by `_drive.run_sync`."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Literal, Self, cast

import httpx

from . import _flows as flows
from ._base_client import DEFAULT_WAIT_TIMEOUT, BaseClient
from ._download import DEFAULT_DOWNLOAD_TIMEOUT, DEFAULT_MAX_DOWNLOAD_BYTES
from ._drive import run_sync
from ._flows import OnUpdate, Watcher
from ._inputs import Media
from ._models import Task
from ._providers import Server
from ._tls import tls_context
from ._transport import SyncChannel
from ._uploads import FileSource


class AvatarClient(BaseClient[httpx.BaseTransport]):
    """A client for one provider's Kling Avatar API.

    The key falls back to the provider's variable (``CRUN_API_KEY``, ``APIKLEY_API_KEY``,
    ``FAL_KEY``), the base URL to its ``<NAME>_BASE_URL``, then the provider's own address.
    Reads are retried up to `max_retries` times on 429, 455, 5xx and connection errors (first
    after about `retry_delay` seconds, doubling; a Retry-After is honoured); a creation only
    when the connection could not be made. `timeout` bounds each request as a whole (every read
    of it), `max_answer_bytes` what one answer may hold, read and decompressed
    (ResponseTooLargeError).
    `transport` replaces the network (tests, benchmarks).
    `record_traffic` (a file path) appends every exchange, redacted, as JSON Lines for
    `make contract-traffic`.
    At most `max_connections` requests are in flight at once (default 64, across threads);
    further calls wait their turn in the client, however many there are.
    Use it as a context manager, or call `close()`.
    """

    _channel_class = SyncChannel

    def create_task(
        self,
        *,
        image_url: Media,
        audio_url: Media,
        prompt: str = "",
        mode: Literal["std", "pro"] = "pro",
        callback_url: str | None = None,
    ) -> Task:
        """Starts a generation. `image_url`/`audio_url`: a str is an http(s) URL, sent as it is;
        a local file is a `pathlib.Path` or an open binary file, read (a regular file, at most
        10 MB) and uploaded first. Never sent twice unless the connection provably failed
        before sending."""
        return run_sync(
            flows.create(self.session, image_url, audio_url, prompt, mode, callback_url)
        )

    def get_task(self, task_id: str) -> Task:
        """The task as the provider reports it now."""
        return run_sync(flows.get(self.session, task_id))

    def wait_for_task(
        self,
        task_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
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
        return run_sync(
            flows.wait(self.session, task_id, timeout, on_update, not_found_grace, receiver)
        )

    def generate(
        self,
        *,
        image_url: Media,
        audio_url: Media,
        prompt: str = "",
        mode: Literal["std", "pro"] = "pro",
        callback_url: str | None = None,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
        receiver: Watcher | None = None,
    ) -> Task:
        """`create_task` then `wait_for_task`: the finished task. With a `receiver`, the task
        is created with a callback URL it minted (unless `callback_url` is given) and the wait
        ends when that callback arrives."""
        return run_sync(
            flows.generate(
                self.session,
                image_url,
                audio_url,
                prompt,
                mode,
                callback_url,
                timeout,
                on_update,
                receiver,
            )
        )

    def cancel_task(self, task_id: str) -> bool:
        """Asks the provider to cancel the task: True when it took the request (the task may
        still finish, and be paid for: read it again), False when the task had already
        finished. NotSupportedError, with nothing sent, where the provider cannot cancel."""
        return run_sync(flows.cancel(self.session, task_id))

    def get_credits(self) -> float:
        """The account's remaining credits."""
        return run_sync(flows.credits(self.session))

    def upload_file(self, path_or_bytes: FileSource, *, content_type: str | None = None) -> str:
        """Uploads a local file (a `pathlib.Path`, an open binary file or the bytes; a regular
        file of at most 10 MB, an accepted image or audio type, detected from the content when
        not given) and returns the URL to pass as `image_url`/`audio_url`."""
        return run_sync(flows.upload_source(self.session, path_or_bytes, content_type))

    def download(
        self,
        task: Task,
        to: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        timeout: float = DEFAULT_DOWNLOAD_TIMEOUT,
    ) -> Path:
        """Saves the task's video (its first URL) to `to`, a file or a folder, and returns the
        path. In a folder the name is the task id's safe characters plus a video suffix; the
        file is written to a new temporary file beside it, never through a symlink, its length
        checked against Content-Length, then renamed. An existing file is kept (DownloadError)
        unless `overwrite`. At most `max_bytes`, done within `timeout` seconds; only an http(s)
        URL is fetched, without the API key."""
        return run_sync(
            flows.download(
                self.session, task, to, overwrite=overwrite, max_bytes=max_bytes, timeout=timeout
            )
        )

    def close(self) -> None:
        """Closes the connections (the client opens new ones if used again)."""
        cast(SyncChannel, self.session.channel).close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _open(self, server: Server) -> httpx.Client:
        if server == "external":  # no API key: presigned URLs carry their own authority
            return httpx.Client(timeout=self.timeout, verify=tls_context(), **self._httpx_args())
        return cast(httpx.Client, self._generated_client(server).get_httpx_client())
