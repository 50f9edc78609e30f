"""What the router tests share: routers on the mock, sync or async behind one interface, and
counts of what the mock created."""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from typing import Any

from kling_avatar import AsyncAvatarRouter, AvatarRouter
from kling_avatar.testing import MockServer
from overlay.helpers import FAST, MediaUrls, media_urls

__all__ = [
    "CREATE",
    "GET",
    "UPLOAD",
    "Blocking",
    "Counts",
    "MediaUrls",
    "make_router",
    "media_urls",
]

# The spec's operationIds, which the mock counts calls by.
CREATE = {"crun": "createTask", "apikley": "kling-ai-avatar-v1-pro"}
GET = {"crun": "getTaskInfo", "apikley": "getTaskDetails"}
UPLOAD = {"crun": "getUploadUrl", "apikley": "uploadFileStream"}


def router_options(mock: MockServer, **overrides: Any) -> dict[str, Any]:
    return {
        **FAST,
        "api_keys": {"crun": mock.crun_key, "apikley": mock.apikley_key},
        "base_urls": {"crun": mock.base_url, "apikley": mock.base_url},
        **overrides,
    }


class Blocking:
    """An AsyncAvatarRouter called like an AvatarRouter (each call runs on one private loop),
    so that one test body checks both."""

    def __init__(self, router: AsyncAvatarRouter) -> None:
        self.inner = router
        self._loop = asyncio.new_event_loop()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            return self._loop.run_until_complete(result) if inspect.isawaitable(result) else result

        return call

    def close(self) -> None:
        self._loop.run_until_complete(self.inner.close())
        self._loop.close()


def make_router(kind: str, providers: Any, options: dict[str, Any]) -> Any:
    if kind == "sync":
        return AvatarRouter(providers, **options)
    return Blocking(AsyncAvatarRouter(providers, **options))


class Counts:
    """Requests and tasks at the mock since this object was made (the mock lives all session)."""

    def __init__(self, mock: MockServer) -> None:
        self._mock = mock
        self._calls = self._snapshot_calls()
        self._tasks = self._snapshot_tasks()

    def _snapshot_calls(self) -> Counter[str]:
        with self._mock.state.lock:
            return Counter(self._mock.state.calls)

    def _snapshot_tasks(self) -> Counter[str]:
        with self._mock.state.lock:
            return Counter(t.provider for t in self._mock.state.tasks.values())

    def calls(self, operation: str) -> int:
        return self._snapshot_calls()[operation] - self._calls[operation]

    def tasks(self, provider: str | None = None) -> int:
        """Tasks the mock created (at `provider`, or anywhere)."""
        now = self._snapshot_tasks() - self._tasks
        return now[provider] if provider else sum(now.values())
