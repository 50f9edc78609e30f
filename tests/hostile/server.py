"""A provider that attacks its client: a raw HTTP/1.1 server on 127.0.0.1, real sockets.

Each test gives it a `route`: a function from the request to a *script*, an iterable of bytes to
send and pauses (floats, seconds) between them. So a test can drip an answer one byte at a time,
send a gzip bomb, lie about Content-Length, echo the key or name another task, which no
well-behaved framework would let it do. The connection is closed after each answer.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import json
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

import attrs

Script = Iterable[bytes | float]


@attrs.frozen
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Route = Callable[[Request], Script]


def head(
    status: int = 200, headers: dict[str, str] | None = None, length: int | None = None
) -> bytes:
    lines = [f"HTTP/1.1 {status} X", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(body: object, status: int = 200, headers: dict[str, str] | None = None) -> bytes:
    """A whole answer: JSON for anything but bytes."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return head(status, {"Content-Type": "application/json", **(headers or {})}, len(content)) + (
        content
    )


def envelope(data: object, code: int = 200, message: str = "success") -> bytes:
    return answer({"code": code, "message": message, "msg": message, "data": data})


def drip(whole: bytes, every: float) -> Iterator[bytes | float]:
    """`whole` one byte at a time, `every` seconds apart: never idle long enough for a
    per-read timeout."""
    for i in range(len(whole)):
        yield whole[i : i + 1]
        yield every


def big(size: int, chunk: int = 64 * 1024) -> Iterator[bytes | float]:
    """A JSON-looking answer of `size` bytes, stated in Content-Length, sent in chunks."""
    yield head(200, {"Content-Type": "application/json"}, size)
    piece = b" " * chunk
    sent = 0
    while sent < size:
        part = piece[: min(chunk, size - sent)]
        sent += len(part)
        yield part


@functools.cache
def gzip_of_zeros(size: int, encoding: str = "gzip") -> bytes:
    """`size` bytes of JSON-legal whitespace, gzipped or deflated (1 GiB is about 1 MB)."""
    wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
    # Run-length matching alone packs a run of one byte as tightly as level 9's search (the
    # deflate limit, about 1030 to 1), in two thirds of the CPU.
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits, 9, zlib.Z_RLE)
    block = b" " * (1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    parts.append(packer.compress(b" " * (size % len(block))))
    parts.append(packer.flush())
    return b"".join(parts)


def bomb(size: int, encoding: str = "gzip") -> Iterator[bytes | float]:
    packed = gzip_of_zeros(size, encoding)
    yield head(200, {"Content-Type": "application/json", "Content-Encoding": encoding}, len(packed))
    for i in range(0, len(packed), 64 * 1024):
        yield packed[i : i + 64 * 1024]


def gzipped(body: bytes) -> bytes:
    packed = gzip.compress(body)
    return head(200, {"Content-Encoding": "gzip"}, len(packed)) + packed


class HostileServer:
    """`with HostileServer(route) as server:` serves on `server.url` until the block ends;
    `server.requests` lists what it was asked."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopping = asyncio.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the hostile server did not start")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopping.wait()
        server.close()
        # The answers still going (a drip, a bomb) end now, each closing its connection.
        answering = asyncio.all_tasks() - {asyncio.current_task()}
        for task in answering:
            task.cancel()
        await asyncio.gather(*answering, return_exceptions=True)
        await server.wait_closed()
        await asyncio.sleep(0)  # the closed connections' sockets close on the next turn

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await self._read(reader)
            self.requests.append(request)
            for step in self.route(request):
                if isinstance(step, float | int):
                    await asyncio.sleep(step)
                else:
                    writer.write(step)
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except Exception as exc:  # a broken route: the test sees it in `errors`
            self.errors.append(exc)
        finally:
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> Request:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        line, *fields = head.split("\r\n")
        method, target, _ = line.split(" ", 2)
        headers = {}
        for field in fields:
            if ":" in field:
                name, value = field.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        parts = urlsplit(target)
        return Request(method, parts.path, parse_qs(parts.query), headers, body)
