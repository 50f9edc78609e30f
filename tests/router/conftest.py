"""One mock per session; a router factory, sync and async (every test runs for both)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kling_avatar.testing import MockServer

from .helpers import Counts, make_router, router_options


@pytest.fixture(scope="session")
def session_mock() -> Iterator[MockServer]:
    with MockServer(step=0.0, seed=1, callback_attempts=1) as mock:
        yield mock
    assert not mock.errors, f"the mock server raised while answering: {mock.errors}"


@pytest.fixture
def mock(session_mock: MockServer) -> Iterator[MockServer]:
    session_mock.clear_faults()
    session_mock.set_credits(100.0)
    yield session_mock
    session_mock.clear_faults()


@pytest.fixture
def counts(mock: MockServer) -> Counts:
    return Counts(mock)


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def router_for(mock: MockServer, kind: str) -> Iterator[Callable[..., Any]]:
    """`router_for(providers, **options)`: a router on the mock (closed after the test)."""
    opened: list[Any] = []

    def factory(providers: Any = ("apikley", "crun"), **options: Any) -> Any:
        opened.append(make_router(kind, providers, router_options(mock, **options)))
        return opened[-1]

    yield factory
    for router in opened:
        router.close()
