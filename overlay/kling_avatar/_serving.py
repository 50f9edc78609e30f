"""An ASGI app on a free 127.0.0.1 port, served by uvicorn in a background thread: the mock's,
the contract suite's callback capture, and the apps the tests and scripts serve.

uvicorn's own server checks whether to stop on a tick of 0.1 s and then waits 0.1 s at a time for
the connections it asked to close: 0.2 s or more for every server a test starts and stops. This
one is woken at once to stop, and waits only as long as its connections take to close.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal

import uvicorn

__all__ = ["QuickServer", "loopback_socket", "serve"]

_START_TIMEOUT = 10.0
_DRAIN_CHECK = 0.005  # seconds between checks for open connections while stopping


class QuickServer(uvicorn.Server):
    """uvicorn's server, woken at once to stop instead of on its next 0.1 s tick."""

    wake: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.wake = asyncio.Event()
        while not self.should_exit:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 0.5)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn asks every connection to close, then sleeps 0.1 s and checks again every
        # 0.1 s. An idle keep-alive connection closes within a turn or two of the loop, and one
        # answering closes once its answer is sent: checking every few milliseconds, a stop
        # costs what those take, not 0.1 s per check.
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            await asyncio.wait_for(self._drained(), self.config.timeout_graceful_shutdown)
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drained(self) -> None:
        """Returns once every connection has closed and every task has ended."""
        state = self.server_state
        # uvicorn's sets of them say nothing when they change (its protocols add and remove
        # themselves), so they are looked at again every few milliseconds.
        while (state.connections or state.tasks) and not self.force_exit:  # noqa: ASYNC110
            await asyncio.sleep(_DRAIN_CHECK)

    def wake_up(self) -> None:
        loop, wake = self.loop, self.wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)

    def start_in_thread(self, sock: socket.socket, name: str) -> threading.Thread:
        """Serves on ``sock`` in a new thread; returns once the server has started."""
        thread = threading.Thread(target=self._run, args=(sock,), name=name, daemon=True)
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop_thread(thread)
                raise RuntimeError("the server did not start")
            time.sleep(0.002)
        return thread

    def stop_thread(self, thread: threading.Thread) -> None:
        self.should_exit = True
        self.wake_up()
        thread.join(timeout=10)

    def _run(self, sock: socket.socket) -> None:
        # uvicorn installs signal handlers only in the main thread; here it cannot.
        self.run(sockets=[sock])
        sock.close()


def loopback_socket(port: int = 0) -> socket.socket:
    """A socket bound to 127.0.0.1 (``port`` 0: a free one)."""
    # Said to be TCP, so that asyncio turns Nagle's algorithm off on each connection it accepts
    # (it does only for sockets created with IPPROTO_TCP): otherwise an answer written in two
    # parts waits for the client's delayed ACK of the first, 40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextlib.contextmanager
def serve(app: Any, *, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """Yields the app's base URL (``http://127.0.0.1:PORT``); stops the server on exit."""
    sock = loopback_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan=lifespan, log_level="warning", access_log=False)
    server = QuickServer(config)
    thread = server.start_in_thread(sock, f"serve-{port}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop_thread(thread)
