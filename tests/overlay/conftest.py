"""Clients on the suite-wide mock (tests/conftest.py), for both providers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from kling_avatar import AvatarClient
from kling_avatar.testing import MockServer

from .helpers import Calls, make_client


@pytest.fixture
def calls(mock: MockServer) -> Calls:
    """Requests that reached an operation since the test began."""
    return Calls(mock)


@pytest.fixture(params=["crun", "apikley"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(mock: MockServer, provider: str) -> Iterator[AvatarClient]:
    with make_client(mock, provider) as client:
        yield client


@pytest.fixture
def client_for(mock: MockServer) -> Iterator[Callable[..., AvatarClient]]:
    opened: list[AvatarClient] = []

    def factory(provider: str, **kwargs: object) -> AvatarClient:
        opened.append(make_client(mock, provider, **kwargs))
        return opened[-1]

    yield factory
    for client in opened:
        client.close()
