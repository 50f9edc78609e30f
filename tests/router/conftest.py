"""A router factory, sync and async (every test runs for both), on the suite-wide mock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kling_avatar.testing import MockServer

from .helpers import Counts, make_router, router_options


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
