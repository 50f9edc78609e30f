"""A Redis that answers what a test tells it to: a raw RESP server on 127.0.0.1, real sockets.

redis-py talks to it as to a real server (the connection handshake is answered ``+OK``); each
script or key command (EVALSHA, EVAL, SET, EXISTS, DEL, ...) gets the bytes `answer(command)`
returns, verbatim, so a test can send an array where a number belongs, a NaN, a huge number,
or close the connection (None) mid-call, which a real Redis never does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

Answer = Callable[[list[bytes]], bytes | None]

# Commands redis-py sends on its own when it connects; a real server says +OK to them.
_HANDSHAKE = {b"CLIENT", b"SELECT", b"AUTH", b"READONLY"}
# HELLO's answer as a Redis 7 gives it (redis-py's sync client asks for RESP3).
_HELLO = b"%3\r\n+server\r\n+redis\r\n+version\r\n+7.0.0\r\n+proto\r\n:3\r\n"


class RespError(str):
    """An error reply (``-ERR ...``)."""


def resp(value: object) -> bytes:
    """`value` on the wire: int (``:``), float (RESP3 double, NaN and infinities included),
    str (simple string), RespError (error), bytes (bulk), None (RESP3 null), bool (RESP3
    boolean), list (array, nested as deep as it goes)."""
    if isinstance(value, bool):
        return b"#t\r\n" if value else b"#f\r\n"
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, float):
        return b"," + repr(value).encode() + b"\r\n"
    if isinstance(value, RespError):
        return b"-" + _line(value) + b"\r\n"
    if isinstance(value, str):
        return b"+" + _line(value) + b"\r\n"
    if isinstance(value, bytes):
        return b"$%d\r\n%s\r\n" % (len(value), value)
    if value is None:
        return b"_\r\n"
    if isinstance(value, list):
        return b"*%d\r\n" % len(value) + b"".join(resp(item) for item in value)
    raise TypeError(f"no RESP form for {value!r}")


def _line(text: str) -> bytes:
    # A simple string or error is one line.
    return text.replace("\r", " ").replace("\n", " ").encode("utf-8", "replace")


class FakeRedis:
    """`with FakeRedis(answer) as fake: fake.url`; `fake.commands` lists what arrived."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.commands: list[list[bytes]] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self._listener.getsockname()[1]}/0"

    def __enter__(self) -> Self:
        self._accept.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Shutting the sockets down wakes the threads blocked on them (Linux), at once.
        self._stopping.set()
        for sock in [self._listener, *self._conns]:
            with contextlib.suppress(OSError):  # closed by its thread already
                sock.shutdown(socket.SHUT_RDWR)
        self._accept.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            thread = threading.Thread(target=self._talk, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _talk(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while not self._stopping.is_set():
                parsed = _command(buffer)
                if parsed is None:
                    try:
                        chunk = conn.recv(65536)
                    except OSError:
                        return
                    if not chunk:
                        return
                    buffer += chunk
                    continue
                command, buffer = parsed
                name = command[0].upper() if command else b""
                if name == b"HELLO":
                    reply: bytes | None = _HELLO if command[1:2] == [b"3"] else b"+OK\r\n"
                elif name in _HANDSHAKE:
                    reply = b"+OK\r\n"
                elif name == b"PING":
                    reply = b"+PONG\r\n"
                else:
                    self.commands.append(command)
                    reply = self.answer(command)
                if reply is None:
                    return  # the server went away mid-call
                try:
                    conn.sendall(reply)
                except OSError:
                    return


def _command(buffer: bytes) -> tuple[list[bytes], bytes] | None:
    """One RESP array of bulk strings from the front of `buffer`, and the rest; None if the
    whole command has not arrived yet."""
    if not buffer.startswith(b"*"):
        return None if not buffer else ([], b"")
    end = buffer.find(b"\r\n")
    if end < 0:
        return None
    count, at = int(buffer[1:end]), end + 2
    parts: list[bytes] = []
    for _ in range(count):
        end = buffer.find(b"\r\n", at)
        if end < 0:
            return None
        size = int(buffer[at + 1 : end])
        start = end + 2
        if len(buffer) < start + size + 2:
            return None
        parts.append(buffer[start : start + size])
        at = start + size + 2
    return parts, buffer[at:]
