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

Two more costs of the run are paid once rather than again and again: Hypothesis's caches, shared
by every process the tests start (see ``HYPOTHESIS_STORAGE_DIRECTORY`` below), and the garbage
collector's walks over what each worker loads to collect the tests (``pytest_collection_finish``).
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kling_avatar._tls import tls_context
from kling_avatar.testing import MockServer

pytest_plugins = ["kling_avatar.testing.pytest_plugin", "redis_server"]

# Hypothesis keeps its caches in `.hypothesis` of the folder it starts in: the Unicode tables of a
# codec (UTF-8's take 1.25 s of CPU to build) and the constants it reads from local modules. The
# tests that run schemathesis or Hypothesis in a process of their own (an installed `kling-avatar
# contract run`, a plain `st run`, a user's pytest) start it in a fresh folder, where each built
# them again; they share the repository's, as a user's commands in one checkout do. Only caches
# and examples that failed live there: each run's requests come from its seed as before.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(__file__).resolve().parents[1] / ".hypothesis")
)


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


def pytest_collection_finish(session: pytest.Session) -> None:
    # What a worker has loaded by now (schemathesis, Hypothesis, connexion, the specs, every
    # test item) lives as long as the worker; frozen, the collector no longer walks it at each
    # full collection (measured: 3.0 to 4.1 s of each worker's CPU went to collections, 1.6 to
    # 2.1 s with it frozen).
    gc.collect()
    gc.freeze()


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
