from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from kling_avatar.testing import MockServer


@pytest.fixture
def mock(kling_mock_server: MockServer) -> MockServer:
    return kling_mock_server


@pytest.fixture
def http(kling_mock_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=kling_mock_server.base_url, timeout=10.0) as client:
        yield client
