"""Receivers served on loopback with clients on a mock, and what they handed on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import attrs
from kling_avatar import AvatarClient, Receiver, Task, as_provider
from kling_avatar._serving import serve
from kling_avatar.testing import MockServer
from overlay.helpers import key_of, media_urls

from .conftest import WEBHOOK_KEY

SECRET = "receiver-test-secret-0123456789"


def client(mock: MockServer, provider: str, **kwargs: Any) -> AvatarClient:
    # Retries after 10 ms: what a retry does is the same, without waiting out the real backoff.
    kwargs.setdefault("retry_delay", 0.01)
    return AvatarClient(
        as_provider(provider), api_key=key_of(mock, provider), base_url=mock.base_url, **kwargs
    )


media = media_urls  # URLs of media the mock serves itself


@attrs.define
class Served:
    receiver: Receiver
    url: str
    handled: list[Task]

    def wait_handled(self, count: int, timeout: float = 10.0) -> list[Task]:
        deadline = time.monotonic() + timeout
        while len(self.handled) < count:
            assert time.monotonic() < deadline, f"{len(self.handled)} of {count} handed on"
            time.sleep(0.01)
        return list(self.handled)


@contextmanager
def served_receiver(
    mock: MockServer,
    *,
    handler: Callable[[Task], object] | None = None,
    mount: Callable[[Receiver], Any] | None = None,
    path: str = "",
    **kwargs: Any,
) -> Iterator[Served]:
    """A Receiver with a blocking client per provider on `mock`, served by uvicorn; `mount`
    wraps it in another app (served at `path`)."""
    handled: list[Task] = []

    def record(task: Task) -> object:
        result = handler(task) if handler is not None else None
        handled.append(task)
        return result

    kwargs.setdefault("webhook_key", WEBHOOK_KEY)
    receiver = Receiver("http://127.0.0.1:1", secret=SECRET, handler=record, **kwargs)
    with ExitStack() as stack:
        for provider in ("crun", "apikley"):
            receiver.add_client(stack.enter_context(client(mock, provider)))
        app = receiver if mount is None else mount(receiver)
        url = stack.enter_context(serve(app))
        receiver.public_url = url + path
        yield Served(receiver, receiver.public_url, handled)
