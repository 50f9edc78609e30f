"""Fixtures: which client drives a call (sync or async), and which provider's shape."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import pytest

from .provider import Clock, async_client, sync_client


class Call(Protocol):
    mode: str

    def __call__(
        self,
        provider: str,
        url: str,
        method: str,
        *args: Any,
        options: Any = None,
        clock: Any = None,
        **kw: Any,
    ) -> Any: ...


class _Call:
    def __init__(self, mode: str) -> None:
        self.mode = mode

    def __call__(
        self,
        provider: str,
        url: str,
        method: str,
        *args: Any,
        options: Any = None,
        clock: Clock | None = None,
        **kw: Any,
    ) -> Any:
        """`client.<method>(*args, **kw)` on a fresh client of this mode, on `clock` if given
        (else the machine's)."""
        options = options or {}
        if self.mode == "sync":
            with sync_client(provider, url, **options) as client:
                if clock is not None:
                    client.use_clock(clock)
                return getattr(client, method)(*args, **kw)

        async def run() -> Any:
            async with async_client(provider, url, **options) as client:
                if clock is not None:
                    client.use_clock(clock)
                return await getattr(client, method)(*args, **kw)

        return asyncio.run(run())


@pytest.fixture(params=["sync", "async"])
def call(request: pytest.FixtureRequest) -> Call:
    return _Call(str(request.param))


@pytest.fixture(params=["crun", "apikley"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)
