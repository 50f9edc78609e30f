"""examples/service under attack on its headers (issue 21, item 5), over real sockets: headers
too large are refused and the connection closed; headers that dribble in are cut off."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from .service_process import service

HEADER_LINE = b"X-Pad: " + b"a" * 8183 + b"\r\n"  # 8 KiB a line


def address(url: str) -> tuple[str, int]:
    return "127.0.0.1", int(url.rsplit(":", 1)[1])


def read_until_closed(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection (a reset counts as closed)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


@pytest.fixture(scope="module")
def patient() -> Iterator[str]:
    """Headers may take five minutes here: only their size can close a connection."""
    with service({}, "--header-timeout", "300") as (url, _):
        yield url


@pytest.fixture(scope="module")
def hasty() -> Iterator[str]:
    with service({}, "--header-timeout", "0.5") as (url, _):
        yield url


@pytest.mark.timeout(180)
def test_headers_past_the_bound_are_refused_and_the_connection_closed(patient: str) -> None:
    # The old service read them all (256 MB took it to 2.9 GB) and waited for more.
    with socket.create_connection(address(patient), timeout=60) as sock:
        sock.sendall(b"GET /videos/nope HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sent = 0
        try:
            while sent < 8 * 1024 * 1024:
                sock.sendall(HEADER_LINE)
                sent += len(HEADER_LINE)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed by the server while we were still sending
        answer = read_until_closed(sock)  # the socket timeout only ends a broken run
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    # Headers inside the bound are served as before, by the same process.
    big_but_fine = {f"X-Pad-{i}": "a" * 1000 for i in range(40)}
    assert httpx.get(patient + "/videos/nope", headers=big_but_fine).status_code == 404


@pytest.mark.timeout(180)
def test_connections_dribbling_their_headers_are_closed(hasty: str) -> None:
    socks = [socket.create_connection(address(hasty), timeout=10) for _ in range(20)]
    try:
        for sock in socks:
            sock.sendall(b"GET /videos/nope HTTP/1.1\r\n")
        open_ = list(socks)
        # A header line every 0.1 s on each, until the server has closed every one; the
        # old service kept them all open, so the bound only stops a broken run.
        stop = time.monotonic() + 120
        while open_ and time.monotonic() < stop:
            for sock in list(open_):
                try:
                    sock.sendall(b"X-A: b\r\n")
                except OSError:
                    open_.remove(sock)
            readable, _, _ = select.select(open_, [], [], 0.1)
            for sock in readable:
                if read_until_closed(sock) == b"":
                    open_.remove(sock)
        assert not open_, f"{len(open_)} of {len(socks)} dribbling connections still open"
    finally:
        for sock in socks:
            sock.close()
    # A client that sends its request at once is served.
    assert httpx.get(hasty + "/videos/nope").status_code == 404
