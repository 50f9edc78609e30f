"""A mock serving fal.ai's queue (besides the others), and clients of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kling_avatar.testing import MockServer

from .helpers import KEY


@pytest.fixture(scope="module")
def fal_mock() -> Iterator[MockServer]:
    """Tasks finish at their first status read."""
    with MockServer(step=0.0, seed=23, keys={"fal": KEY}, callback_backoff=0.05) as mock:
        yield mock
    assert not mock.errors, f"the mock server raised while answering: {mock.errors}"


@pytest.fixture
def mock(fal_mock: MockServer) -> Iterator[MockServer]:
    fal_mock.clear_faults()
    fal_mock.set_credits(100.0)
    fal_mock.step = 0.0
    yield fal_mock
    fal_mock.clear_faults()
    fal_mock.step = 0.0
