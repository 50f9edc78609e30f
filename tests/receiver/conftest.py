"""Mocks for the receiver tests: one that finishes at once, one whose tasks wait for advance()."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kling_avatar.testing import MockServer

WEBHOOK_KEY = "whsec-receiver-tests"


@pytest.fixture(scope="module")
def quick_mock() -> Iterator[MockServer]:
    with MockServer(
        step=0.0, seed=13, webhook_key=WEBHOOK_KEY, callback_attempts=3, callback_backoff=0.05
    ) as mock:
        yield mock
    assert not mock.errors


@pytest.fixture(scope="module")
def slow_mock() -> Iterator[MockServer]:
    """Each state lasts an hour unless the test moves the clock with advance()."""
    with MockServer(
        step=3600.0, seed=14, webhook_key=WEBHOOK_KEY, callback_attempts=3, callback_backoff=0.05
    ) as mock:
        yield mock
    assert not mock.errors


@pytest.fixture(params=["crun", "apikley"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)
