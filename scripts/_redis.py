"""A throwaway `redis-server` of one's own on 127.0.0.1 (the Debian package's binary), for the
scripts and the tests (tests/redis_server.py) that need the stores shared across processes."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

INSTALL_HINT = "apt-get install redis-server"
_START_TIMEOUT = 10.0


class RedisMissing(RuntimeError):
    """No redis-server on PATH."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server(
    folder: Path, *, persist: bool = False, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Its URL (``redis://127.0.0.1:PORT/0``) and process; stopped on exit. `persist`: an
    append-only file in `folder`, so the server started again there remembers."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisMissing(f"redis-server is not installed ({INSTALL_HINT})")
    port = port or free_port()
    command = [
        binary,
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "yes" if persist else "no",
        "--dir",
        str(folder),
        "--protected-mode",
        "yes",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + _START_TIMEOUT
        while not answers_ping(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", server
    finally:
        server.terminate()
        server.wait(timeout=10)
