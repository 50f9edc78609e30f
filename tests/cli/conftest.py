"""The command as a user runs it: `kling-avatar ...` (its `main`, in process) on the mock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kling_avatar.testing import MockServer

from .helpers import APIKLEY_KEY, CRUN_KEY, Cli


def _mock(step: float) -> Iterator[MockServer]:
    with MockServer(step=step, seed=0, crun_key=CRUN_KEY, apikley_key=APIKLEY_KEY) as mock:
        yield mock
    assert not mock.errors, f"the mock server raised while answering: {mock.errors}"


@pytest.fixture(scope="session")
def fast_mock() -> Iterator[MockServer]:
    """Tasks finish at their first status read."""
    yield from _mock(0.0)


@pytest.fixture(scope="session")
def slow_mock() -> Iterator[MockServer]:
    """Tasks stay unfinished for longer than any test runs (a minute per state)."""
    yield from _mock(60.0)


def _fresh(mock: MockServer) -> Iterator[MockServer]:
    mock.clear_faults()
    mock.set_credits(100.0)
    yield mock
    mock.clear_faults()


@pytest.fixture
def mock(fast_mock: MockServer) -> Iterator[MockServer]:
    yield from _fresh(fast_mock)


@pytest.fixture
def slow(slow_mock: MockServer) -> Iterator[MockServer]:
    yield from _fresh(slow_mock)


@pytest.fixture
def cli(mock: MockServer) -> Cli:
    return Cli(mock)


@pytest.fixture
def slow_cli(slow: MockServer) -> Cli:
    return Cli(slow)


@pytest.fixture(params=["crun", "apikley"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)
