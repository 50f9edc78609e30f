"""Shared fixtures: one mock server per session (starting one costs ~0.3 s), clients on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from kling_avatar import AvatarClient
from kling_avatar.testing import MockServer

from .helpers import Calls, make_client


@pytest.fixture(scope="session")
def session_mock() -> Iterator[MockServer]:
    with MockServer(step=0.0, seed=0, callback_attempts=1) as mock:
        yield mock
    assert not mock.errors, f"the mock server raised while answering: {mock.errors}"


@pytest.fixture
def mock(session_mock: MockServer) -> Iterator[MockServer]:
    """The session's mock, with no faults and full balances at the start of each test."""
    session_mock.clear_faults()
    session_mock.set_credits(100.0)
    yield session_mock
    session_mock.clear_faults()


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
