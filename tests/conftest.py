"""Suite-wide pytest setup.

The mock's fixtures (``kling_mock`` in process, ``kling_mock_server`` on a port) come from the
plugin we ship for users' own test suites; pytest only accepts ``pytest_plugins`` in this
top-level conftest. ``redis_url`` (a
real redis-server on 127.0.0.1) is shared by every store that spans processes.

``session_mock`` is one mock server for the whole run (one per pytest-xdist worker, each on a
free port; starting one costs ~0.3 s); the suites that share it take it through ``mock``, which
clears its faults and refills its balances (a suite with a mock of its own defines its own
``mock``).

The tests' own httpx clients (``httpx.get`` and ``post`` make one per call) take the package's
one TLS context, as the package's clients do (``kling_avatar._tls``): httpx would otherwise
parse the whole CA bundle for each, about 18 ms of CPU, over a hundred times a run, for
servers on 127.0.0.1 that speak plain HTTP.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from kling_avatar._tls import tls_context
from kling_avatar.testing import MockServer

pytest_plugins = ["kling_avatar.testing.pytest_plugin", "redis_server"]


def _shared_tls(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def with_shared_context(self: Any, *args: Any, verify: Any = True, **kwargs: Any) -> None:
        init(self, *args, verify=tls_context() if verify is True else verify, **kwargs)

    return with_shared_context


for _transport in (httpx.HTTPTransport, httpx.AsyncHTTPTransport):
    _transport.__init__ = _shared_tls(_transport.__init__)  # type: ignore[method-assign]


# The folders whose tests run the longest (whole contract runs, installed venvs, killed services)
# go first: pytest-xdist hands tests out in order, and one of them started last would keep a
# worker busy after the others are done.
_LONGEST_FIRST = tuple(f"tests/{folder}/" for folder in ("install", "contract", "service"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(_LONGEST_FIRST))


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
