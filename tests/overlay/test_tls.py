"""Every client of a process verifies servers with one TLS context: httpx would parse certifi's
whole CA bundle again for each client it makes (about 18 ms of CPU), which a service opening a
client per request paid on every request. ``SSL_CERT_FILE`` is still honoured."""

from __future__ import annotations

import asyncio
import inspect
import shutil
from pathlib import Path

import certifi
import httpx
import pytest
from kling_avatar import AsyncAvatarClient, AvatarClient, NotFoundError
from kling_avatar._registry import PROVIDERS
from kling_avatar.testing import MockServer

from .helpers import make_async_client, make_client


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[object]:
    """Each TLS context httpx makes from now on, under a CA file of this test's own (so that a
    context cached before it cannot hide one made here)."""
    made: list[object] = []
    create = httpx.create_ssl_context

    def counted(*args: object, **kwargs: object) -> object:
        made.append(create(*args, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    monkeypatch.setattr(httpx, "create_ssl_context", counted)
    # Without the suite's own sharing (tests/conftest.py), which would hide a client that
    # does not share.
    for transport in (httpx.HTTPTransport, httpx.AsyncHTTPTransport):
        monkeypatch.setattr(transport, "__init__", inspect.unwrap(transport.__init__))
    monkeypatch.setenv("SSL_CERT_FILE", str(shutil.copy(certifi.where(), tmp_path / "ca.pem")))
    return made


UNKNOWN = "0d6e3d59-0d39-4a7a-9f7e-3b0c7a3b3c3c"  # a task id of every provider's form


def ask(client: AvatarClient) -> None:
    """One request to the provider (the mock knows no such task)."""
    with client, pytest.raises(NotFoundError):
        client.get_task(UNKNOWN)


async def ask_async(client: AsyncAvatarClient) -> None:
    async with client:
        with pytest.raises(NotFoundError):
            await client.get_task(UNKNOWN)


def test_every_client_shares_one_context(
    made: list[object], mock: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for provider in PROVIDERS:
        ask(make_client(mock, provider))
        ask(make_client(mock, provider))
        ask(make_client(mock, provider, record_traffic=tmp_path / f"{provider}.jsonl"))
        asyncio.run(ask_async(make_async_client(mock, provider)))
    assert len(made) == 1

    # Another CA file is another context, as httpx's own default would read it.
    monkeypatch.setenv("SSL_CERT_FILE", str(shutil.copy(certifi.where(), tmp_path / "ca2.pem")))
    ask(make_client(mock, PROVIDERS[0]))
    assert len(made) == 2
