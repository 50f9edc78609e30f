"""A real `redis-server` on 127.0.0.1 for the stores shared across processes (`redis_url`).

`.ci/run` installs the Debian package; on a developer machine without it the Redis tests are
skipped with the command that installs it, and under CI (CI=true) they fail instead, so a
missing install step can never pass as green.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import _redis

INSTALL_HINT = _redis.INSTALL_HINT


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`redis://127.0.0.1:PORT/0` of a throwaway server, stopped after the session."""
    with redis_server(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A throwaway server of one's own (its URL, and its process, to stop it mid-test)."""
    with contextlib.ExitStack() as stack:
        try:
            started = stack.enter_context(_redis.redis_server(folder))
        except _redis.RedisMissing as missing:
            if os.environ.get("CI"):
                pytest.fail(f"{missing}; .ci/run must install it")
            pytest.skip(str(missing))
        except RuntimeError as failed:  # it did not start
            pytest.fail(str(failed))
        yield started
