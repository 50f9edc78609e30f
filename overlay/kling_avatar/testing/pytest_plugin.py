"""pytest fixtures for the mock: ``pytest_plugins = ["kling_avatar.testing.pytest_plugin"]``.

``kling_mock`` is an :class:`~kling_avatar.testing.InProcessMock` (``step=0``: a task is
finished at its first status read), fresh for each test: pass ``kling_mock.transport()`` (or
``kling_mock.async_transport()``) as a client's ``transport=``; no port, no thread.
``kling_mock_server`` is a running :class:`~kling_avatar.testing.MockServer` on a free
loopback port, for what needs a real socket (another process, a URL handed to a tool). Either
fails its test if the mock itself raised while answering it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import MockServer
from ._transport import InProcessMock


@pytest.fixture
def kling_mock() -> Iterator[InProcessMock]:
    with InProcessMock(step=0.0, seed=0) as mock:
        yield mock
    assert not mock.errors, f"the mock raised while answering: {mock.errors}"


@pytest.fixture
def kling_mock_server() -> Iterator[MockServer]:
    with MockServer(step=0.0, seed=0) as mock:
        yield mock
    assert not mock.errors, f"the mock server raised while answering: {mock.errors}"
