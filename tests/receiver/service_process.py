"""examples/service/app.py in its own process on a free 127.0.0.1 port, as `make serve` runs it
(its database in a temporary folder unless `env` names one)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "service" / "app.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def service(
    env: Mapping[str, str], *args: str, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Yields the service's base URL and its process; `env` is added to this one's. Started
    again on the `port` it had, a service keeps its callback URLs (its public URL)."""
    port = port or free_port()
    folder = tempfile.TemporaryDirectory(prefix="service-")
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder.name}/videos.sqlite3",
        **env,
    }
    environment.pop("SERVICE_PUBLIC_URL", None)
    process = subprocess.Popen(  # noqa: S603 - this interpreter, the example in this repository
        [sys.executable, str(APP), "--port", str(port), *args], env=environment
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the service exited"
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.05)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)
        folder.cleanup()
