"""pytest fixtures for the mock: ``pytest_plugins = ["kling_avatar.testing.pytest_plugin"]``.

``kling_mock`` is a running :class:`~kling_avatar.testing.MockServer` (``step=0``: a task is
finished at its first status read), fresh for each test. A test fails if the mock itself
raised while answering it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import MockServer


@pytest.fixture
def kling_mock() -> Iterator[MockServer]:
    with MockServer(step=0.0, seed=0) as mock:
        yield mock
    assert not mock.errors, f"the mock server raised while answering: {mock.errors}"
